// Package severity names incident severities and orders them, once for every package that
// compares them (incident grouping, notification filters, syslog levels). The detection engine
// maps scores to these names: low below 40, medium below 60, high below 80, critical from 80.
package severity

// The severities, lowest first.
const (
	Low      = "low"
	Medium   = "medium"
	High     = "high"
	Critical = "critical"
)

// All lists the severities, lowest first.
var All = []string{Low, Medium, High, Critical}

// Rank orders severities: low 1 … critical 4; 0 for anything else.
func Rank(s string) int {
	switch s {
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return 0
}

// Of maps a score (0..100) to its severity: low below 40, medium below 60, high below 80,
// critical from 80.
func Of(score int) string {
	switch {
	case score < 40:
		return Low
	case score < 60:
		return Medium
	case score < 80:
		return High
	}
	return Critical
}
