package enrich

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/severity"
)

// Evidence rules and their points: a name registered days ago is what a phishing campaign
// uses; a name that does not resolve, or is parked, is not (yet) serving anything.
const (
	RuleYoungRegistration = "evidence_young_registration"
	RuleNXDomain          = "evidence_nxdomain"
	RuleParked            = "evidence_parked"
	// The site: a login or payment form, a page like the protected site's, the brand's
	// name on a page asking for credentials; a certificate served that is not the one from
	// CT is said (no points: CDNs and shared hosting serve others).
	RuleLoginForm       = "evidence_login_form"
	RulePaymentForm     = "evidence_payment_form"
	RuleBrandSimilarity = "evidence_brand_similarity"
	RuleBrandWords      = "evidence_brand_words"
	RuleCertNotFromCT   = "evidence_cert_not_from_ct"
	// RuleLooksLikeBrand: the suspect site's screenshot looks like the protected site's.
	RuleLooksLikeBrand = "evidence_looks_like_brand"

	pointsVeryYoung = 20 // registered within a week
	pointsYoung     = 10 // within 30 days
	pointsNXDomain  = -15
	pointsParked    = -10

	pointsLoginForm   = 20
	pointsPaymentForm = 20
	pointsClone       = 25 // similarity at or above similarityClone
	pointsLikeBrand   = 10 // at or above similarityNotable
	pointsBrandWords  = 10
	similarityClone   = 0.8
	// pointsLooksLike: a visual clone of the brand's site is what a phishing kit serves, and
	// the strongest evidence a look gathers.
	pointsLooksLike = 25
)

// Reasons are the points the evidence adds to (or takes from) the incident's score, each with
// a detail a person reads.
func Reasons(e incident.Enrichment) []detect.Reason {
	var out []detect.Reason
	if r := e.RDAP; r != nil && r.AgeDays != nil && *r.AgeDays >= 0 {
		switch days := *r.AgeDays; {
		case days < 7:
			out = append(out, detect.Reason{Rule: RuleYoungRegistration, Points: pointsVeryYoung, Detail: fmt.Sprintf("registered %s ago", plural(days, "day"))})
		case days < 30:
			out = append(out, detect.Reason{Rule: RuleYoungRegistration, Points: pointsYoung, Detail: fmt.Sprintf("registered %s ago", plural(days, "day"))})
		}
	}
	if d := e.DNS; d != nil {
		if d.Status == incident.DNSNXDomain {
			out = append(out, detect.Reason{Rule: RuleNXDomain, Points: pointsNXDomain, Detail: "the name does not resolve (NXDOMAIN)"})
		}
		if d.Parked {
			out = append(out, detect.Reason{Rule: RuleParked, Points: pointsParked, Detail: "parked: name server " + d.ParkingNS})
		}
	}
	if s := e.Screenshot; looksLike(s) {
		out = append(out, detect.Reason{Rule: RuleLooksLikeBrand, Points: pointsLooksLike,
			Detail: fmt.Sprintf("looks like the brand's site (visual similarity %.2f)", *s.VisualSimilarity)})
	}
	if h := e.HTTP; h.Serving() {
		out = append(out, siteReasons(h, e.DNS != nil && e.DNS.Parked)...)
	}
	return out
}

func siteReasons(h *incident.HTTPEvidence, parkedDNS bool) []detect.Reason {
	var out []detect.Reason
	switch {
	case h.LoginForm && h.PasswordForm:
		out = append(out, detect.Reason{Rule: RuleLoginForm, Points: pointsLoginForm, Detail: "the site shows a login form with a password field"})
	case h.LoginForm:
		out = append(out, detect.Reason{Rule: RuleLoginForm, Points: pointsLoginForm, Detail: "the site shows a login form (e-mail or user name)"})
	}
	if h.PaymentForm {
		out = append(out, detect.Reason{Rule: RulePaymentForm, Points: pointsPaymentForm, Detail: "the site asks for card details"})
	}
	if s := h.BrandSimilarity; s != nil {
		switch {
		case *s >= similarityClone:
			out = append(out, detect.Reason{Rule: RuleBrandSimilarity, Points: pointsClone, Detail: fmt.Sprintf("the page is a near copy of the protected site's (similarity %.2f)", *s)})
		case *s >= similarityNotable:
			out = append(out, detect.Reason{Rule: RuleBrandSimilarity, Points: pointsLikeBrand, Detail: fmt.Sprintf("the page resembles the protected site's (similarity %.2f)", *s)})
		}
	}
	if len(h.BrandWords) > 0 && (h.LoginForm || h.PaymentForm) {
		out = append(out, detect.Reason{Rule: RuleBrandWords, Points: pointsBrandWords, Detail: "the brand's name (" + strings.Join(h.BrandWords, ", ") + ") on a page asking for credentials"})
	}
	if h.Parked && !parkedDNS {
		out = append(out, detect.Reason{Rule: RuleParked, Points: pointsParked, Detail: "the page is a parking or for-sale page"})
	}
	if m := h.CertMatchesCT; m != nil && !*m {
		out = append(out, detect.Reason{Rule: RuleCertNotFromCT, Points: 0, Detail: "the certificate served is not one of the incident's certificates from CT"})
	}
	return out
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// RuleWentLive is the reason a name that started resolving between two looks gets.
const RuleWentLive = "evidence_went_live"

const pointsWentLive = 15

// Raise is the alert that adds a look's positive evidence (a young registration, going live,
// a login form, a page like the protected site's) to the incident's score through
// incident.Store.Raise, each rule once: a rule already in the incident counts again only by
// what it grew (a similarity that jumps from "resembles" to "near copy"). ok is false when
// there is nothing to add. Negative evidence (NXDOMAIN, parked) stays advisory in the
// enrichment's points: a stored score is never lowered by a look.
func Raise(inc *incident.Incident, e incident.Enrichment) (a detect.Alert, ok bool) {
	reasons := slices.Clone(inc.Reasons)
	at := map[string]int{}
	for i, r := range reasons {
		at[r.Rule] = i
	}
	delta := 0
	add := func(r detect.Reason) {
		i, seen := at[r.Rule]
		switch {
		case !seen:
			at[r.Rule] = len(reasons)
			reasons = append(reasons, r)
			delta += r.Points
		case strings.HasPrefix(r.Rule, "evidence_") && r.Points > reasons[i].Points:
			delta += r.Points - reasons[i].Points
			reasons[i] = r
		}
	}
	for _, r := range e.Reasons {
		if r.Points > 0 {
			add(r)
		}
	}
	if _, seen := at[RuleWentLive]; !seen {
		for _, c := range e.History {
			if c.At.Equal(e.CheckedAt) && incident.IsWentLive(c.Change) {
				add(detect.Reason{Rule: RuleWentLive, Points: pointsWentLive, Detail: "went live: the name " + c.Change})
				break
			}
		}
	}
	if delta == 0 {
		return detect.Alert{}, false
	}
	score := min(inc.Score+delta, 100)
	return detect.Alert{Domain: inc.Domain, DomainUnicode: inc.DomainUnicode, RegisteredDomain: inc.RegisteredDomain, Asset: inc.Asset,
		Matched: inc.Matched, Reasons: reasons, IntelHits: inc.IntelHits,
		Score: score, Severity: severity.Of(score), Incident: true}, true
}
