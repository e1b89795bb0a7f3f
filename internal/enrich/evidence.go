package enrich

import (
	"fmt"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

// Evidence rules and their points: a name registered days ago is what a phishing campaign
// uses; a name that does not resolve, or is parked, is not (yet) serving anything.
const (
	RuleYoungRegistration = "evidence_young_registration"
	RuleNXDomain          = "evidence_nxdomain"
	RuleParked            = "evidence_parked"

	pointsVeryYoung = 20 // registered within a week
	pointsYoung     = 10 // within 30 days
	pointsNXDomain  = -15
	pointsParked    = -10
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
	return out
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
