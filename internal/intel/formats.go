package intel

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The feed formats certhunt reads (SPEC.md, "Threat-intel feed formats").
const (
	FormatDomains   = "domains"
	FormatURLs      = "urls"
	FormatPhishTank = "phishtank"
	FormatURLhaus   = "urlhaus"
	FormatThreatFox = "threatfox"
	FormatMISP      = "misp"
	FormatSTIX      = "stix"
	FormatTAXII     = "taxii"
)

// Formats lists every supported format, in the order the documentation gives them.
var Formats = []string{FormatDomains, FormatURLs, FormatPhishTank, FormatURLhaus, FormatThreatFox, FormatMISP, FormatSTIX, FormatTAXII}

// maxLine bounds one line of a text feed; a longer line means the download is not a feed.
const maxLine = 1 << 20

// parseDomains reads one name per line. "#" starts a comment, and hosts-file lines
// ("0.0.0.0 evil.example") contribute their name, since many blocklists ship that way.
func parseDomains(r io.Reader, b *builder) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) >= 2 && isSinkAddress(fields[0]):
			for _, f := range fields[1:] {
				b.addHost(f, "", time.Time{})
			}
		case len(fields) == 1:
			b.addHost(fields[0], "", time.Time{})
		default:
			b.stats.Records++
			b.stats.Invalid++
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading domains: %w", err)
	}
	return nil
}

func isSinkAddress(s string) bool {
	switch s {
	case "0.0.0.0", "127.0.0.1", "::", "::1":
		return true
	}
	return false
}

// parseURLs reads one URL per line, OpenPhish's feed layout; each URL contributes its host.
func parseURLs(r io.Reader, b *builder) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		b.addURL(line, "phishing", time.Time{})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading urls: %w", err)
	}
	return nil
}

// csvLayout describes one CSV feed: the columns its publisher documents (used when the file
// carries no header), the columns it cannot do without, and what a row contributes.
type csvLayout struct {
	format   string
	columns  []string
	required []string
	row      func(b *builder, get func(column string) string)
}

// PhishTank's online-valid.csv.
var phishtankLayout = csvLayout{
	format:   FormatPhishTank,
	columns:  []string{"phish_id", "url", "phish_detail_url", "submission_time", "verified", "verification_time", "online", "target"},
	required: []string{"url"},
	row: func(b *builder, get func(string) string) {
		threat := "phishing"
		if t := get("target"); t != "" && t != "Other" {
			threat = "phishing: " + t
		}
		b.addURL(get("url"), threat, parseTime(get("submission_time")))
	},
}

// URLhaus's CSV dumps (csv_recent, csv_online, the full dump).
var urlhausLayout = csvLayout{
	format:   FormatURLhaus,
	columns:  []string{"id", "dateadded", "url", "url_status", "last_online", "threat", "tags", "urlhaus_link", "reporter"},
	required: []string{"url"},
	row: func(b *builder, get func(string) string) {
		b.addURL(get("url"), get("threat"), parseTime(get("dateadded")))
	},
}

// ThreatFox's CSV exports. Only name-bearing IOCs (domain, url) are loaded; ip:port and
// hashes are not names and are not counted as records.
var threatfoxLayout = csvLayout{
	format: FormatThreatFox,
	columns: []string{"first_seen_utc", "ioc_id", "ioc_value", "ioc_type", "threat_type", "fk_malware", "malware_alias",
		"malware_printable", "last_seen_utc", "confidence_level", "is_compromised", "reference", "tags", "anonymous", "reporter"},
	required: []string{"ioc_value", "ioc_type"},
	row: func(b *builder, get func(string) string) {
		threat := get("threat_type")
		if m := get("malware_printable"); m != "" && m != "None" && m != "Unknown malware" {
			threat += " (" + m + ")"
		}
		seen := parseTime(get("first_seen_utc"))
		switch get("ioc_type") {
		case "domain":
			b.addHost(get("ioc_value"), threat, seen)
		case "url":
			b.addURL(get("ioc_value"), threat, seen)
		}
	},
}

// errTruncated marks a download that ends in the middle of a record.
var errTruncated = errors.New("truncated")

// parseCSV reads a CSV feed. The header is taken from the file when it has one, either as a
// "#" comment line (URLhaus, ThreatFox) or as the first record (PhishTank); otherwise the
// documented column order applies. Rows with too few fields are counted as invalid; when the
// last row is short the download was cut and the whole parse fails.
func parseCSV(r io.Reader, b *builder, layout csvLayout) error {
	br := bufio.NewReader(r)
	var header []string
	commentLines := 0 // read before the CSV reader starts counting
	for {
		peek, err := br.Peek(1)
		if err != nil || peek[0] != '#' {
			break
		}
		line, err := br.ReadString('\n')
		commentLines++
		if cols := headerFromComment(line, layout.required); cols != nil {
			header = cols
		}
		if err != nil {
			break
		}
	}
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	var pending []string // the first record, when it turns out to be data
	if header == nil {
		first, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s CSV: %w", layout.format, err)
		}
		if cols := normalizeColumns(first); hasAll(cols, layout.required) {
			header = cols
		} else {
			header = layout.columns
			pending = append([]string(nil), first...)
		}
	}
	index := make(map[string]int, len(header))
	for i, c := range header {
		if _, dup := index[c]; !dup {
			index[c] = i
		}
	}
	var rec []string
	get := func(column string) string {
		if i, ok := index[column]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	need := len(header)
	lastShort, shortLine := false, 0
	handle := func() {
		if len(rec) < need {
			lastShort = true
			shortLine, _ = cr.FieldPos(0)
			b.stats.Records++
			b.stats.Invalid++
			return
		}
		lastShort = false
		layout.row(b, get)
	}
	if pending != nil {
		rec = pending
		handle()
	}
	for {
		var err error
		rec, err = cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s CSV: %w", layout.format, err)
		}
		handle()
	}
	if lastShort {
		return fmt.Errorf("reading %s CSV: %w: the last record (line %d) has fewer than %d fields", layout.format, errTruncated, commentLines+shortLine, need)
	}
	return nil
}

// headerFromComment reads a "# col,col,..." line and returns its columns when they name
// every required column.
func headerFromComment(line string, required []string) []string {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
	if line == "" {
		return nil
	}
	cr := csv.NewReader(strings.NewReader(line))
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err != nil {
		return nil
	}
	cols := normalizeColumns(rec)
	if !hasAll(cols, required) {
		return nil
	}
	return cols
}

func normalizeColumns(rec []string) []string {
	cols := make([]string, len(rec))
	for i, c := range rec {
		cols[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")))
	}
	return cols
}

func hasAll(cols, required []string) bool {
	for _, r := range required {
		if !slices.Contains(cols, r) {
			return false
		}
	}
	return true
}

// parseTime reads the timestamp layouts feeds use; a value it cannot read yields the zero
// time, because a missing first-seen date must not cost the indicator.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05 MST", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
