package notify

import (
	"fmt"
	"strings"

	"github.com/certhunt/certhunt/internal/incident"
)

// evidenceSummary says in one line what enrichment found ("" before the first look), for
// XSOAR's details and Slack's message.
func evidenceSummary(e *incident.Enrichment) string {
	if e == nil {
		return ""
	}
	var parts []string
	if d := e.DNS; d != nil {
		s := "DNS " + d.Status
		if len(d.A) > 0 {
			s += " (" + strings.Join(d.A[:min(len(d.A), 3)], ", ") + ")"
		}
		if d.Parked {
			s += ", parked at " + d.ParkingNS
		}
		if d.Wildcard {
			s += ", wildcard"
		}
		parts = append(parts, s)
	}
	if r := e.RDAP; r != nil && r.AgeDays != nil {
		s := fmt.Sprintf("registered %d days ago", *r.AgeDays)
		if r.Registrar != "" {
			s += " at " + truncate(r.Registrar, 100)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// evidenceFields adds the enrichment to XSOAR's custom fields, certhunt-prefixed (XSOAR shows
// them once fields of those names exist); nothing before the first look.
func evidenceFields(e *incident.Enrichment, cf map[string]any) {
	if e == nil {
		return
	}
	if d := e.DNS; d != nil {
		cf["certhuntdnsstatus"] = d.Status
		cf["certhuntipaddresses"] = strings.Join(append(append([]string{}, d.A...), d.AAAA...), ", ")
		cf["certhuntnameservers"] = strings.Join(d.NS, ", ")
		cf["certhuntparked"] = d.Parked
	}
	if r := e.RDAP; r != nil {
		cf["certhuntregistrar"] = r.Registrar
		if r.Created != nil {
			cf["certhuntregistered"] = r.Created.UTC().Format("2006-01-02T15:04:05Z")
		}
		if r.AgeDays != nil {
			cf["certhuntdomainagedays"] = *r.AgeDays
		}
	}
}
