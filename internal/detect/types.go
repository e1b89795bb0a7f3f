package detect

import "time"

// Reason is one rule's contribution to a score.
type Reason struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// Matched says which rule and listed value decided the alert.
type Matched struct {
	Kind       string  `json:"kind"` // homograph|levenshtein|confusable|combosquat|subdomain|intel
	Value      string  `json:"value"`
	Similarity float64 `json:"similarity"`
}

// IntelHit is a threat-intel feed's indicator that covers a name.
type IntelHit struct {
	Feed       string    `json:"feed"`
	Indicator  string    `json:"indicator"`
	ThreatType string    `json:"threat_type,omitempty"`
	FirstSeen  time.Time `json:"first_seen,omitzero"`
	// Weight is the points the feed's config gives a hit.
	Weight int `json:"-"`
}

// Intel looks names up in the loaded threat-intel feeds. name is lowercase ASCII (punycode),
// wildcard stripped; implementations check the name, its registered domain and each parent.
// It must be safe for concurrent use and cheap (constant time per name).
type Intel interface {
	Lookup(name string) []IntelHit
}

// Alert is the verdict on one DNS name for one asset.
type Alert struct {
	Domain           string     `json:"domain"`         // ASCII (punycode) form, "*." stripped
	DomainUnicode    string     `json:"domain_unicode"` // Unicode form
	RegisteredDomain string     `json:"registered_domain"`
	Asset            string     `json:"asset"` // the protected domain; "" for an intel-only hit
	Matched          Matched    `json:"matched"`
	Reasons          []Reason   `json:"reasons"`
	IntelHits        []IntelHit `json:"intel_hits,omitempty"`
	Score            int        `json:"score"`    // 0..100
	Severity         string     `json:"severity"` // low|medium|high|critical
	// Incident is true when Score >= the incident threshold: serve opens or joins an incident.
	Incident bool `json:"incident"`
}
