package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/severity"
)

// xsoar creates a Cortex XSOAR incident (POST <url>/incident) shaped like the ones the CertStream
// pack's integration creates, so the pack's layouts and playbooks work unchanged.
type xsoar struct {
	cfg    Config
	client *http.Client
	links  linker
}

// xsoarIncident is the body of XSOAR's create-incident call. The server matches field names
// case-insensitively; CustomFields is spelled as the CertStream pack spells it.
type xsoarIncident struct {
	Name                string         `json:"name"`
	Type                string         `json:"type"`
	Severity            float64        `json:"severity"`
	Details             string         `json:"details"`
	Occurred            string         `json:"occurred,omitempty"`
	Labels              []xsoarLabel   `json:"labels"`
	CreateInvestigation bool           `json:"createInvestigation"`
	CustomFields        map[string]any `json:"CustomFields"`
	RawJSON             string         `json:"rawJSON"`
}

type xsoarLabel struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// xsoarSeverity maps certhunt severities to XSOAR's scale (0.5 informational … 4 critical).
func xsoarSeverity(s string) float64 {
	if r := severity.Rank(s); r > 0 {
		return float64(r)
	}
	return 0.5
}

func (x *xsoar) body(ev Event) ([]byte, error) {
	inc := ev.Incident
	raw, err := marshalPayload(ev, x.links)
	if err != nil {
		return nil, err
	}
	link := x.links.incident(inc.ID)
	var fingerprint, source string
	var index int64
	if len(inc.Certificates) > 0 {
		c := inc.Certificates[0]
		fingerprint = c.SHA256
		source = c.Log.Name
		if source == "" {
			source = c.Log.URL
		}
		index = c.Log.Index
		if link == "" {
			link = "https://crt.sh/?sha256=" + url.QueryEscape(c.SHA256)
		}
	}
	body := xsoarIncident{
		Name:     "Suspicious Domain Discovered - " + inc.Domain,
		Type:     x.cfg.IncidentType,
		Severity: xsoarSeverity(inc.Severity),
		Details:  xsoarDetails(inc),
		Labels: []xsoarLabel{
			{Type: "certhunt_id", Value: inc.ID},
			{Type: "certhunt_event", Value: ev.Kind},
			{Type: "Domain", Value: inc.Domain},
			{Type: "Asset", Value: inc.Asset},
		},
		CreateInvestigation: true,
		CustomFields: map[string]any{
			"certstreamfingerprint":         fingerprint,
			"certstreamlevenshteindistance": inc.Matched.Similarity,
			"certstreamuserasset":           inc.Asset,
			"certstreamcertificatesource":   source,
			"certstreamcertificateindex":    index,
			"externallink":                  link,
			"domain":                        inc.Domain,
		},
		RawJSON: string(raw),
	}
	evidenceFields(inc.Enrichment, body.CustomFields)
	if !inc.FirstSeen.IsZero() {
		body.Occurred = inc.FirstSeen.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return json.Marshal(body)
}

func xsoarDetails(inc incident.Incident) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) looks like %s: %s match on %q", inc.DomainUnicode, inc.Domain, inc.Asset,
		inc.Matched.Kind, inc.Matched.Value)
	if inc.Matched.Similarity > 0 {
		fmt.Fprintf(&b, " (similarity %.2f)", inc.Matched.Similarity)
	}
	fmt.Fprintf(&b, ". Score %d (%s).", inc.Score, inc.Severity)
	if ev := evidenceSummary(inc.Enrichment); ev != "" {
		fmt.Fprintf(&b, "\nEvidence: %s.", ev)
	}
	for _, r := range inc.Reasons {
		fmt.Fprintf(&b, "\n- %s (+%d): %s", r.Rule, r.Points, r.Detail)
	}
	return b.String()
}

func (x *xsoar) send(ctx context.Context, ev Event) error {
	body, err := x.body(ev)
	if err != nil {
		return permanentError{err}
	}
	h := http.Header{}
	h.Set("Authorization", x.cfg.APIKey)
	h.Set("Accept", "application/json")
	if x.cfg.AuthID != "" {
		h.Set("x-xdr-auth-id", x.cfg.AuthID)
	}
	return post(ctx, x.client, strings.TrimRight(x.cfg.URL, "/")+"/incident", body, keyed(h, ev))
}
