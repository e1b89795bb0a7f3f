package intel

import (
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		in   string
		want string
		kind hostKind
	}{
		{"Evil.Example.COM.", "evil.example.com", hostOK},
		{"*.evil.example", "evil.example", hostOK},
		{"pаypal.com", "xn--pypal-4ve.com", hostOK}, // Cyrillic а
		{"xn--pypal-4ve.com", "xn--pypal-4ve.com", hostOK},
		{"münchen.de", "xn--mnchen-3ya.de", hostOK},
		{"198.51.100.7", "", hostIP},
		{"2001:db8::1", "", hostIP},
		{"co.uk", "", hostSuffix},
		{"blogspot.com", "", hostSuffix},
		{"localhost", "", hostInvalid},
		{"bad host.com", "", hostInvalid},
		{"a..b.com", "", hostInvalid},
		{"<html>", "", hostInvalid},
		{strings.Repeat("a", 64) + ".com", "", hostInvalid},
	}
	for _, tt := range tests {
		got, kind := normalizeHost(tt.in)
		if got != tt.want || kind != tt.kind {
			t.Errorf("normalizeHost(%q) = %q, %v; want %q, %v", tt.in, got, kind, tt.want, tt.kind)
		}
	}
}

// hostsOf lists a built set's hosts with their indicator, for comparisons.
func hostsOf(t *testing.T, b *builder) map[string]string {
	t.Helper()
	out := map[string]string{}
	set, err := b.set()
	if err != nil {
		t.Fatal(err)
	}
	for h, e := range set.all() {
		out[h] = e.indicator
	}
	return out
}

func TestParseDomains(t *testing.T) {
	feed := "# a blocklist\n" +
		"Evil.Example\n" +
		"login.bad-bank.example.   # trailing dot and comment\n" +
		"0.0.0.0 hosts-style.example\n" +
		"198.51.100.4\n" +
		"\n" +
		"not a domain line\n"
	b := newBuilder()
	if err := parseDomains(strings.NewReader(feed), b); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"evil.example":           "Evil.Example",
		"login.bad-bank.example": "login.bad-bank.example.",
		"hosts-style.example":    "hosts-style.example",
	}
	if diff := cmp.Diff(want, hostsOf(t, b)); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if b.stats.IPs != 1 || b.stats.Invalid != 1 {
		t.Errorf("stats = %+v; want 1 IP and 1 invalid", b.stats)
	}
}

func TestParseCSVTruncatedLastRecord(t *testing.T) {
	feed := "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n" +
		`"1","2024-07-04 09:10:08","http://a.example/x","online","","malware_download","elf","https://urlhaus.abuse.ch/url/1/","r"` + "\n" +
		`"2","2024-07-04 09:10:09","http://b.exa`
	err := parseCSV(strings.NewReader(feed), newBuilder(), urlhausLayout)
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v; want a truncation error naming line 3", err)
	}
}

func TestParseCSVWithoutHeaderUsesDocumentedColumns(t *testing.T) {
	feed := `"3","2024-07-04 09:10:08","http://noheader.example/x","online","","malware_download","elf","https://urlhaus.abuse.ch/url/3/","r"` + "\n"
	b := newBuilder()
	if err := parseCSV(strings.NewReader(feed), b, urlhausLayout); err != nil {
		t.Fatal(err)
	}
	set, err := b.set()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := set.find("noheader.example")
	if !ok || e.threatType != "malware_download" || e.firstSeen != time.Date(2024, 7, 4, 9, 10, 8, 0, time.UTC).Unix() {
		t.Fatalf("noheader.example: %+v, %v", e, ok)
	}
}

func TestParseSTIXPattern(t *testing.T) {
	type cmpResult struct {
		Path    string
		Negated bool
		Op      string
		Values  []string
	}
	tests := []struct {
		pattern string
		want    []cmpResult
		wantErr bool
	}{
		{pattern: "[domain-name:value = 'evil.example']",
			want: []cmpResult{{"domain-name:value", false, "=", []string{"evil.example"}}}},
		{pattern: "[domain-name:value = 'x.example'] OR [url:value = 'https://y.example/a?b=\\'c\\'']",
			want: []cmpResult{
				{"domain-name:value", false, "=", []string{"x.example"}},
				{"url:value", false, "=", []string{"https://y.example/a?b='c'"}}}},
		{pattern: "([domain-name:value IN ('a.example', 'b.example')] AND [file:hashes.'SHA-256' = 'aa']) WITHIN 600 SECONDS",
			want: []cmpResult{
				{"domain-name:value", false, "IN", []string{"a.example", "b.example"}},
				{"file:hashes.'sha-256'", false, "=", []string{"aa"}}}},
		{pattern: "[domain-name:value NOT = 'good.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.1']",
			want: []cmpResult{
				{"domain-name:value", true, "=", []string{"good.example"}},
				{"domain-name:resolves_to_refs[*].value", false, "=", []string{"198.51.100.1"}}}},
		{pattern: "[url:value LIKE '%evil%'] REPEATS 2 TIMES START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'",
			want: []cmpResult{{"url:value", false, "LIKE", []string{"%evil%"}}}},
		{pattern: "[(domain-name:value = 'p.example' OR url:value = 'http://q.example/') AND domain-name:value != 'z.example']",
			want: []cmpResult{
				{"domain-name:value", false, "=", []string{"p.example"}},
				{"url:value", false, "=", []string{"http://q.example/"}},
				{"domain-name:value", false, "!=", []string{"z.example"}}}},
		{pattern: "[domain-name:value = 'unterminated]", wantErr: true},
		{pattern: "[(domain-name:value = 'a.example']", wantErr: true},
		{pattern: "[domain-name:value = 'a.example'", wantErr: true},
		{pattern: "domain-name:value = 'a.example'", wantErr: true},
		{pattern: "[domain-name:value 'a.example']", wantErr: true},
		{pattern: "[domain-name:value = 'a.example'] OR", wantErr: true},
		{pattern: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSTIXPattern(tt.pattern)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSTIXPattern(%q) error = %v, wantErr %v", tt.pattern, err, tt.wantErr)
			continue
		}
		var res []cmpResult
		for _, c := range got {
			res = append(res, cmpResult{c.path, c.negated, c.op, c.values})
		}
		if diff := cmp.Diff(tt.want, res); diff != "" {
			t.Errorf("parseSTIXPattern(%q) (-want +got):\n%s", tt.pattern, diff)
		}
	}
}

func TestParseMISPManifestRefusesNonUUIDKeys(t *testing.T) {
	_, err := parseMISPManifest(strings.NewReader(`{"../../etc/passwd": {}}`))
	if err == nil || !strings.Contains(err.Error(), `"../../etc/passwd"`) {
		t.Fatalf("err = %v; want an error naming the bad key", err)
	}
}

func TestSetKeepsEarliestSightingOfDuplicates(t *testing.T) {
	b := newBuilder()
	b.putSeen("dup.example", "http://dup.example/late", "late", time.Unix(2000, 0))
	b.putSeen("dup.example", "http://dup.example/early", "early", time.Unix(1000, 0))
	b.putSeen("dup.example", "http://dup.example/undated", "undated", time.Time{})
	b.putSeen("other.example", "other.example", "", time.Time{})
	set, err := b.set()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := set.find("dup.example")
	want := entry{indicator: "http://dup.example/early", threatType: "early", firstSeen: 1000}
	if !ok || e != want || set.len() != 2 || b.stats.Duplicates != 2 {
		t.Errorf("find = %+v, %v; len %d, duplicates %d; want %+v, 2 hosts, 2 duplicates", e, ok, set.len(), b.stats.Duplicates, want)
	}
}

// Two hosts whose hashes collide share an index slot and are told apart by the chain.
func TestSetFindWalksHashCollisionChain(t *testing.T) {
	set := &indicatorSet{
		seed:    maphash.MakeSeed(),
		arena:   "a.examplebb.example",
		threats: []string{"", "t"},
		records: []record{
			{host: span{0, 9}, indicator: span{0, 9}, threat: 1},
			{host: span{9, 10}, indicator: span{9, 10}, next: 1},
		},
	}
	// Both hosts under the slot of "bb.example"; "a.example" is reached through next.
	set.index = map[uint64]uint32{maphash.String(set.seed, "bb.example"): 2}
	if e, ok := set.find("bb.example"); !ok || e.indicator != "bb.example" {
		t.Errorf("find(bb.example) = %+v, %v", e, ok)
	}
	set.index = map[uint64]uint32{maphash.String(set.seed, "a.example"): 2}
	if e, ok := set.find("a.example"); !ok || e.indicator != "a.example" || e.threatType != "t" {
		t.Errorf("find(a.example) through the chain = %+v, %v", e, ok)
	}
	if _, ok := set.find("c.example"); ok {
		t.Error("find(c.example) found a host that is not there")
	}
}

// A feed repeating one line (a gzip bomb's favourite) holds one pending entry, not one per
// line: duplicates merge while the feed streams.
func TestDuplicateLinesMergeWhileStreaming(t *testing.T) {
	b := newBuilder()
	const lines = 200000
	if err := parseDomains(strings.NewReader(strings.Repeat("evil.example\n", lines)+"other.example\n"), b); err != nil {
		t.Fatal(err)
	}
	if b.pendingCount != 2 || b.stats.Duplicates != lines-1 {
		t.Fatalf("pending %d, duplicates %d; want 2 and %d", b.pendingCount, b.stats.Duplicates, lines-1)
	}
	set, err := b.set()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.find("evil.example"); !ok || set.len() != 2 || b.stats.Duplicates != lines-1 {
		t.Fatalf("set of %d, duplicates %d", set.len(), b.stats.Duplicates)
	}
}
