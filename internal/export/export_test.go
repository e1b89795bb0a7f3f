package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

var t0 = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)

func incidents() []incident.Incident {
	cert := incident.Certificate{
		SHA256: strings.Repeat("ab", 32), SHA1: strings.Repeat("cd", 20), Serial: "3abc01",
		EntryType: certs.Precert, SignatureAlgorithm: "SHA256-RSA",
		Subject:   certs.Name{CN: "xn--pypal-4ve.com"},
		Issuer:    certs.Name{CN: "R11", O: "Let's Encrypt", Raw: "CN=R11,O=Let's Encrypt,C=US"},
		NotBefore: t0, NotAfter: t0.Add(90 * 24 * time.Hour),
		DNSNames: []string{"xn--pypal-4ve.com", "www.xn--pypal-4ve.com"},
		Log:      incident.LogPosition{Name: "Argon 2026h2", URL: "https://ct.example/", Index: 99},
	}
	final := cert
	final.SHA256, final.SHA1, final.EntryType = strings.Repeat("ef", 32), strings.Repeat("01", 20), certs.X509
	return []incident.Incident{
		{
			ID: "inc-1", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), Status: "investigating",
			Verdict: "true_positive", Note: "=HYPERLINK(\"http://evil\",\"x\")",
			Severity: "critical", Score: 92, Asset: "paypal.com",
			Domain: "xn--pypal-4ve.com", DomainUnicode: "pаypal.com", RegisteredDomain: "xn--pypal-4ve.com",
			Matched:      detect.Matched{Kind: "confusable", Value: "paypal", Similarity: 0.8333},
			Reasons:      []detect.Reason{{Rule: "confusable", Points: 60, Detail: "skeleton"}, {Rule: "fresh", Points: 32, Detail: "new"}},
			IntelHits:    []detect.IntelHit{{Feed: "openphish", Indicator: "xn--pypal-4ve.com"}},
			Certificates: []incident.Certificate{cert, final},
			Sightings:    2, FirstSeen: t0, LastSeen: t0.Add(time.Hour),
		},
		{
			ID: "inc-2", CreatedAt: t0, Status: "new", Severity: "medium", Score: 61,
			Asset: "example.org", Domain: "exa'mple\\.org", DomainUnicode: "exa'mple\\.org",
			Matched:   detect.Matched{Kind: "levenshtein", Value: "-1+2"},
			Sightings: 1,
		},
	}
}

func TestCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := CSV(&buf, incidents()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse back: %v\n%s", err, buf.String())
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	get := func(row int, name string) string {
		i, ok := col[name]
		if !ok {
			t.Fatalf("no column %q in %v", name, rows[0])
		}
		return rows[row][i]
	}
	want := map[string]string{
		"id": "inc-1", "created_at": "2026-11-20T08:30:00Z", "updated_at": "2026-11-20T09:30:00Z",
		"status": "investigating", "verdict": "true_positive", "severity": "critical", "score": "92",
		"asset": "paypal.com", "domain": "xn--pypal-4ve.com", "domain_unicode": "pаypal.com",
		"registered_domain": "xn--pypal-4ve.com", "matched_kind": "confusable", "matched_value": "paypal",
		"matched_similarity": "0.833", "reasons": "confusable (+60): skeleton; fresh (+32): new",
		"intel_hits":         "openphish: xn--pypal-4ve.com",
		"certificate_sha256": strings.Repeat("ab", 32) + " " + strings.Repeat("ef", 32),
		"sightings":          "2", "first_seen": "2026-11-20T08:30:00Z", "last_seen": "2026-11-20T09:30:00Z",
		"note": `'=HYPERLINK("http://evil","x")`,
	}
	for name, v := range want {
		if got := get(1, name); got != v {
			t.Errorf("row 1 %s = %q, want %q", name, got, v)
		}
	}
	if got := get(2, "matched_value"); got != "'-1+2" {
		t.Errorf("formula-like cell = %q, want it quoted", got)
	}
	if got := get(2, "first_seen"); got != "" {
		t.Errorf("zero time = %q, want empty", got)
	}
}

func TestDefuseFormula(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"paypal.com": "paypal.com", "": "", "a=b": "a=b",
	} {
		if got := defuseFormula(in); got != want {
			t.Errorf("defuseFormula(%q) = %q, want %q", in, got, want)
		}
	}
}

type stixObj map[string]any

func (o stixObj) s(key string) string { v, _ := o[key].(string); return v }

func exportSTIX(t *testing.T) (string, []stixObj, map[string]stixObj) {
	t.Helper()
	var buf bytes.Buffer
	if err := STIX(&buf, incidents(), t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Type    string    `json:"type"`
		ID      string    `json:"id"`
		Objects []stixObj `json:"objects"`
	}
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatalf("bundle does not parse: %v", err)
	}
	if bundle.Type != "bundle" || !strings.HasPrefix(bundle.ID, "bundle--") {
		t.Fatalf("bundle type %q id %q", bundle.Type, bundle.ID)
	}
	byID := map[string]stixObj{}
	for _, o := range bundle.Objects {
		id := o.s("id")
		if byID[id] != nil {
			t.Errorf("duplicate object %s", id)
		}
		byID[id] = o
		if !strings.HasPrefix(id, o.s("type")+"--") || uuid.Validate(strings.TrimPrefix(id, o.s("type")+"--")) != nil {
			t.Errorf("bad id %q for type %q", id, o.s("type"))
		}
		if o.s("spec_version") != "2.1" {
			t.Errorf("%s spec_version %q", id, o.s("spec_version"))
		}
	}
	return buf.String(), bundle.Objects, byID
}

func TestSTIXBundle(t *testing.T) {
	first, objects, byID := exportSTIX(t)
	second, _, _ := exportSTIX(t)
	if first != second {
		t.Error("two exports of the same incidents differ")
	}
	byType := map[string][]stixObj{}
	for _, o := range objects {
		byType[o.s("type")] = append(byType[o.s("type")], o)
	}
	if n := len(byType["indicator"]); n != 2 {
		t.Fatalf("%d indicators", n)
	}
	if len(byType["identity"]) != 1 || len(byType["domain-name"]) != 2 || len(byType["x509-certificate"]) != 2 ||
		len(byType["relationship"]) != 4 {
		t.Fatalf("object counts: %d identity, %d domain-name, %d x509, %d relationship",
			len(byType["identity"]), len(byType["domain-name"]), len(byType["x509-certificate"]), len(byType["relationship"]))
	}

	ind := byType["indicator"][0]
	for key, want := range map[string]string{
		"pattern": "[domain-name:value = 'xn--pypal-4ve.com']", "pattern_type": "stix", "pattern_version": "2.1",
		"valid_from": "2026-11-20T08:30:00.000Z", "created": "2026-11-20T08:30:00.000Z",
		"modified": "2026-11-20T09:30:00.000Z", "name": "Lookalike of paypal.com: xn--pypal-4ve.com",
		"created_by_ref": byType["identity"][0].s("id"),
	} {
		if got := ind.s(key); got != want {
			t.Errorf("indicator %s = %q, want %q", key, got, want)
		}
	}
	if types, _ := ind["indicator_types"].([]any); len(types) != 1 || types[0] != "malicious-activity" {
		t.Errorf("indicator_types = %v", ind["indicator_types"])
	}
	if labels, _ := ind["labels"].([]any); len(labels) == 0 {
		t.Errorf("no labels")
	}
	if !strings.Contains(ind.s("description"), "pаypal.com") || !strings.Contains(ind.s("description"), "confusable (+60)") {
		t.Errorf("description = %q", ind.s("description"))
	}
	if ind["confidence"] != 92.0 {
		t.Errorf("confidence = %v", ind["confidence"])
	}

	// Quotes and backslashes in the domain are escaped inside the pattern; missing timestamps
	// fall back to the incident's creation and to now.
	ind2 := byType["indicator"][1]
	if got, want := ind2.s("pattern"), `[domain-name:value = 'exa\'mple\\.org']`; got != want {
		t.Errorf("escaped pattern = %s, want %s", got, want)
	}
	if ind2.s("valid_from") != "2026-11-20T08:30:00.000Z" || ind2.s("modified") != "2026-11-20T08:30:00.000Z" {
		t.Errorf("fallback times: valid_from %q modified %q", ind2.s("valid_from"), ind2.s("modified"))
	}

	dn := byType["domain-name"][0]
	wantDN := "domain-name--" + uuid.NewSHA1(uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7"),
		[]byte(`{"value":"xn--pypal-4ve.com"}`)).String()
	if dn.s("value") != "xn--pypal-4ve.com" || dn.s("id") != wantDN {
		t.Errorf("domain-name = %v, want id %s", dn, wantDN)
	}

	x := byType["x509-certificate"][0]
	hashes, _ := x["hashes"].(map[string]any)
	if hashes["SHA-256"] != strings.Repeat("ab", 32) || hashes["SHA-1"] != strings.Repeat("cd", 20) {
		t.Errorf("hashes = %v", hashes)
	}
	for key, want := range map[string]string{
		"serial_number": "3a:bc:01", "issuer": "CN=R11,O=Let's Encrypt,C=US", "subject": "CN=xn--pypal-4ve.com",
		"validity_not_before": "2026-11-20T08:30:00.000Z", "validity_not_after": "2027-02-18T08:30:00.000Z",
		"x_certhunt_entry_type": "precert",
	} {
		if got := x.s(key); got != want {
			t.Errorf("x509 %s = %q, want %q", key, got, want)
		}
	}
	ext, _ := x["x509_v3_extensions"].(map[string]any)
	if ext["subject_alternative_name"] != "DNS:xn--pypal-4ve.com, DNS:www.xn--pypal-4ve.com" {
		t.Errorf("extensions = %v", ext)
	}
	wantX := "x509-certificate--" + uuid.NewSHA1(uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7"),
		[]byte(`{"hashes":{"SHA-1":"`+strings.Repeat("cd", 20)+`"},"serial_number":"3a:bc:01"}`)).String()
	if x.s("id") != wantX {
		t.Errorf("x509 id %s, want %s", x.s("id"), wantX)
	}

	// Every relationship ties the first indicator to its observables, and points at real objects.
	targets := map[string]bool{}
	for _, r := range byType["relationship"] {
		if r.s("relationship_type") != "related-to" || byID[r.s("source_ref")] == nil || byID[r.s("target_ref")] == nil {
			t.Errorf("relationship %v is dangling", r)
		}
		if r.s("source_ref") == ind.s("id") {
			targets[r.s("target_ref")] = true
		}
	}
	if !targets[dn.s("id")] || !targets[x.s("id")] || !targets[byType["x509-certificate"][1].s("id")] {
		t.Errorf("indicator relationships reach %v", targets)
	}
}

func TestSTIXRefusesIncidentWithoutDomain(t *testing.T) {
	err := STIX(&bytes.Buffer{}, []incident.Incident{{ID: "inc-9"}}, t0)
	if err == nil || !strings.Contains(err.Error(), `"inc-9"`) {
		t.Fatalf("err = %v", err)
	}
}

func benchIncidents(n int) []incident.Incident {
	base := incidents()[0]
	out := make([]incident.Incident, n)
	for i := range out {
		out[i] = base
		out[i].ID = "inc-" + strconv.Itoa(i)
	}
	return out
}

func BenchmarkCSV1000(b *testing.B) {
	incs := benchIncidents(1000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := CSV(&buf, incs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSTIX1000(b *testing.B) {
	incs := benchIncidents(1000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := STIX(&buf, incs, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// An issuance incident concerns the organisation's own domain: the indicator is its
// certificates, never the domain, which a platform would block.
func TestSTIXOwnDomainCertificate(t *testing.T) {
	inc := incident.Incident{ID: "9", Asset: "example.com", Domain: "login.example.com", Severity: "critical", Score: 90,
		RegisteredDomain: "example.com (issuer: evil ca)", Matched: detect.Matched{Kind: "issuance", Value: "Evil CA"},
		Reasons:      []detect.Reason{{Rule: "unauthorized-issuer", Points: 90, Detail: `issued by "Evil CA"`}},
		Certificates: []incident.Certificate{{SHA256: "aa"}, {SHA256: "bb"}}, CreatedAt: t0}
	var buf bytes.Buffer
	if err := STIX(&buf, []incident.Incident{inc}, t0); err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []stixObj }
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	for _, o := range bundle.Objects {
		if o.s("type") != "indicator" {
			continue
		}
		if got := o.s("pattern"); got != "[x509-certificate:hashes.'SHA-256' = 'aa'] OR [x509-certificate:hashes.'SHA-256' = 'bb']" {
			t.Errorf("pattern = %s", got)
		}
		if o.s("name") != "Certificate for own domain example.com: login.example.com" || strings.Contains(o.s("description"), "lookalike") ||
			!strings.Contains(o.s("description"), "unauthorized-issuer") {
			t.Errorf("name %q, description %q", o.s("name"), o.s("description"))
		}
		if labels := fmt.Sprint(o["labels"]); strings.Contains(labels, "lookalike") || !strings.Contains(labels, "own-domain-certificate") {
			t.Errorf("labels = %s", labels)
		}
		return
	}
	t.Fatal("no indicator")
}
