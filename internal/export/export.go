// Package export writes incidents in formats other tools read: CSV for spreadsheets and ticket
// imports, and STIX 2.1 bundles for threat-intel platforms (MISP, OpenCTI, TAXII servers).
//
// Everything in an incident is untrusted (it comes from certificates and feeds); both writers
// encode it so that it stays data: CSV cells that a spreadsheet would run as a formula are
// defused, and STIX patterns escape their string literals.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
)

// CSVHeader is the first row CSV writes; one row per incident follows.
var CSVHeader = []string{
	"id", "created_at", "updated_at", "status", "verdict", "severity", "score",
	"asset", "domain", "domain_unicode", "registered_domain",
	"matched_kind", "matched_value", "matched_similarity",
	"reasons", "intel_hits", "certificate_sha256", "sightings", "first_seen", "last_seen", "note",
	// The enrichment's evidence; empty before the first look.
	"dns_status", "dns_a", "registrar", "age_days", "http_status", "http_title", "login_form", "brand_similarity",
}

// CSV writes incs as CSV with a header row. Multi-valued columns join their values with "; "
// (reasons, intel hits) or a space (certificate SHA-256s, which come from Incident.Certificates:
// pass incidents as the store's Get returns them to have them).
func CSV(w io.Writer, incs []incident.Incident) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("writing CSV header: %w", err)
	}
	row := make([]string, len(CSVHeader))
	for _, inc := range incs {
		reasons := make([]string, len(inc.Reasons))
		for i, r := range inc.Reasons {
			reasons[i] = fmt.Sprintf("%s (+%d): %s", r.Rule, r.Points, r.Detail)
		}
		hits := make([]string, len(inc.IntelHits))
		for i, h := range inc.IntelHits {
			hits[i] = h.Feed + ": " + h.Indicator
		}
		shas := make([]string, len(inc.Certificates))
		for i, c := range inc.Certificates {
			shas[i] = c.SHA256
		}
		similarity := ""
		if inc.Matched.Similarity != 0 {
			similarity = strconv.FormatFloat(inc.Matched.Similarity, 'f', 3, 64)
		}
		row = append(row[:0],
			inc.ID, csvTime(inc.CreatedAt), csvTime(inc.UpdatedAt), inc.Status, inc.Verdict,
			inc.Severity, strconv.Itoa(inc.Score),
			inc.Asset, inc.Domain, inc.DomainUnicode, inc.RegisteredDomain,
			inc.Matched.Kind, inc.Matched.Value, similarity,
			strings.Join(reasons, "; "), strings.Join(hits, "; "), strings.Join(shas, " "),
			strconv.Itoa(inc.Sightings), csvTime(inc.FirstSeen), csvTime(inc.LastSeen), inc.Note,
		)
		row = append(row, evidenceCells(inc.Enrichment)...)
		for i := range row {
			row[i] = defuseFormula(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing CSV row for incident %s: %w", inc.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// defuseFormula prefixes a quote to a cell that a spreadsheet would evaluate (OWASP "CSV
// injection"): one starting with =, +, -, @, a tab or a carriage return.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// evidenceCells are the enrichment's CSV cells: DNS status and first A address, registrar
// and age, the site's status, title, login form and similarity to the protected site.
func evidenceCells(e *incident.Enrichment) []string {
	cells := make([]string, 8)
	if e == nil {
		return cells
	}
	if d := e.DNS; d != nil {
		cells[0] = d.Status
		if len(d.A) > 0 {
			cells[1] = d.A[0]
		}
	}
	if r := e.RDAP; r != nil {
		cells[2] = r.Registrar
		if r.AgeDays != nil {
			cells[3] = strconv.Itoa(*r.AgeDays)
		}
	}
	if h := e.HTTP; h != nil {
		if h.Status > 0 {
			cells[4] = strconv.Itoa(h.Status)
		}
		cells[5] = h.Title
		cells[6] = strconv.FormatBool(h.LoginForm)
		if h.BrandSimilarity != nil {
			cells[7] = strconv.FormatFloat(*h.BrandSimilarity, 'f', 2, 64)
		}
	}
	return cells
}
