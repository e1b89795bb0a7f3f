// Package incident groups alerts into incidents and keeps them in a Store.
//
// An incident is keyed by (asset, registered domain). Every certificate that joins it is kept
// whole (keyed by its SHA-256), and every log sighting of that certificate (keyed by log URL and
// index) is kept too, so recording the same entry twice — a replay after a crash — changes
// nothing.
package incident

import (
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
)

// Statuses and verdicts an analyst can set.
const (
	StatusNew           = "new"
	StatusInvestigating = "investigating"
	StatusClosed        = "closed"

	VerdictNone          = ""
	VerdictTruePositive  = "true_positive"
	VerdictFalsePositive = "false_positive"
	VerdictBenign        = "benign"
)

// Incident is what analysts work on; its JSON is the API's (SPEC.md).
type Incident struct {
	ID               string            `json:"id"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	Status           string            `json:"status"`
	Verdict          string            `json:"verdict"`
	Note             string            `json:"note"`
	Severity         string            `json:"severity"`
	Score            int               `json:"score"`
	Asset            string            `json:"asset"`
	Domain           string            `json:"domain"`
	DomainUnicode    string            `json:"domain_unicode"`
	RegisteredDomain string            `json:"registered_domain"`
	Matched          detect.Matched    `json:"matched"`
	Reasons          []detect.Reason   `json:"reasons"`
	IntelHits        []detect.IntelHit `json:"intel_hits"`
	// Certificates is filled by Get, not by List.
	Certificates []Certificate `json:"certificates,omitempty"`
	// Sightings counts log entries (certificate × log × index) that joined the incident.
	Sightings int       `json:"sightings"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// History lists analyst changes (status, verdict, note), oldest first; filled by Get.
	History []Event `json:"history,omitempty"`
	// Deliveries is each notification target's state for this incident; filled by Get.
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Enrichment is the triage evidence; nil until first gathered.
	Enrichment *Enrichment `json:"enrichment,omitempty"`
	// Campaign is the ID of the campaign the incident belongs to ("" for none); the API fills
	// it (Store.CampaignOf), the store's reads do not.
	Campaign string `json:"campaign"`
}

// Certificate is one certificate of an incident with where it was seen.
type Certificate struct {
	SHA256             string          `json:"sha256"`
	SHA1               string          `json:"sha1"`
	Serial             string          `json:"serial"`
	EntryType          certs.EntryType `json:"entry_type"`
	Subject            certs.Name      `json:"subject"`
	Issuer             certs.Name      `json:"issuer"`
	NotBefore          time.Time       `json:"not_before"`
	NotAfter           time.Time       `json:"not_after"`
	DNSNames           []string        `json:"dns_names"`
	SignatureAlgorithm string          `json:"signature_algorithm,omitempty"`
	// Log and SeenAt are the first sighting; Sightings has them all.
	Log       LogPosition `json:"log"`
	SeenAt    time.Time   `json:"seen_at"`
	Sightings []Sighting  `json:"sightings"`
	// PEM is the certificate (or precertificate) as PEM, when its DER is known.
	PEM string `json:"pem,omitempty"`
}

// LogPosition is a log and an index in it.
type LogPosition struct {
	Name  string `json:"name"`
	URL   string `json:"url"`
	Index int64  `json:"index"`
}

// Sighting is one log entry holding a certificate.
type Sighting struct {
	Log    LogPosition `json:"log"`
	SeenAt time.Time   `json:"seen_at"`
}

// Event is one analyst change.
type Event struct {
	At     time.Time `json:"at"`
	Field  string    `json:"field"` // status|verdict|note
	Value  string    `json:"value"`
	Author string    `json:"author,omitempty"`
}
