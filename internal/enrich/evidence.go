package enrich

import (
	"fmt"

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
	// RuleLooksLikeBrand: the suspect site's screenshot looks like the protected site's.
	RuleLooksLikeBrand = "evidence_looks_like_brand"

	pointsVeryYoung = 20 // registered within a week
	pointsYoung     = 10 // within 30 days
	pointsNXDomain  = -15
	pointsParked    = -10
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

// Raise is the alert that adds a look's positive evidence (a young registration, going live)
// to the incident's score through incident.Store.Raise, each rule once; ok is false when
// there is nothing to add. Negative evidence (NXDOMAIN, parked) stays advisory in the
// enrichment's points: a stored score is never lowered by a look.
func Raise(inc *incident.Incident, e incident.Enrichment) (a detect.Alert, ok bool) {
	has := map[string]bool{}
	for _, r := range inc.Reasons {
		has[r.Rule] = true
	}
	var add []detect.Reason
	for _, r := range e.Reasons {
		if r.Points > 0 && !has[r.Rule] {
			add = append(add, r)
			has[r.Rule] = true
		}
	}
	if !has[RuleWentLive] {
		for _, c := range e.History {
			if c.At.Equal(e.CheckedAt) && c.Change == ChangeStartedResolving {
				add = append(add, detect.Reason{Rule: RuleWentLive, Points: pointsWentLive, Detail: "went live: the name started resolving"})
				break
			}
		}
	}
	if len(add) == 0 {
		return detect.Alert{}, false
	}
	score := inc.Score
	for _, r := range add {
		score += r.Points
	}
	score = min(score, 100)
	return detect.Alert{Domain: inc.Domain, DomainUnicode: inc.DomainUnicode, RegisteredDomain: inc.RegisteredDomain, Asset: inc.Asset,
		Matched: inc.Matched, Reasons: append(append([]detect.Reason{}, inc.Reasons...), add...), IntelHits: inc.IntelHits,
		Score: score, Severity: severity.Of(score), Incident: true}, true
}
