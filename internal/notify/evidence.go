package notify

import (
	"fmt"
	"strconv"
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
	if h := e.HTTP; h != nil {
		parts = append(parts, siteSummary(h))
	}
	return strings.Join(parts, "; ")
}

// siteSummary is the site's evidence in words: "site HTTP 200 "Sign in", login form, 0.91
// like the protected site".
func siteSummary(h *incident.HTTPEvidence) string {
	if !h.Serving() {
		return "site: no page"
	}
	s := fmt.Sprintf("site HTTP %d", h.Status)
	if h.Title != "" {
		s += " " + strconv.Quote(truncate(h.Title, 80))
	}
	if len(h.Redirects) > 0 {
		s += ", redirects to " + truncate(h.FinalURL, 100)
	}
	switch {
	case h.LoginForm && h.PasswordForm:
		s += ", login form with password"
	case h.LoginForm:
		s += ", login form"
	}
	if h.PaymentForm {
		s += ", payment form"
	}
	if h.BrandSimilarity != nil {
		s += fmt.Sprintf(", %.2f like the protected site", *h.BrandSimilarity)
	}
	if h.Parked {
		s += ", parking page"
	}
	return s
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
	if h := e.HTTP; h != nil {
		cf["certhunthttpstatus"] = h.Status
		cf["certhunthttpurl"] = truncate(h.FinalURL, 500)
		cf["certhuntpagetitle"] = truncate(h.Title, 300)
		cf["certhuntloginform"] = h.LoginForm
		cf["certhuntpaymentform"] = h.PaymentForm
		if h.BrandSimilarity != nil {
			cf["certhuntbrandsimilarity"] = *h.BrandSimilarity
		}
		if h.FaviconHash != nil {
			cf["certhuntfaviconhash"] = *h.FaviconHash
		}
		if h.CertMatchesCT != nil {
			cf["certhuntcertmatchesct"] = *h.CertMatchesCT
		}
	}
}
