package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/certhunt/certhunt/internal/notify/notifyconf"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./certhunt-data" || c.Watchlist.LevenshteinThreshold != 0.85 ||
		c.Watchlist.UpdateInterval != 30*time.Minute || c.Sources.CT.LogList != "default" || c.Sources.CT.LogListRefresh != 24*time.Hour || c.Sources.CT.Start != "end" ||
		c.Scoring.IncidentThreshold != 60 || !c.CertstreamServer.Enabled || !c.Sources.CT.Enabled {
		t.Fatalf("defaults differ from SPEC.md: %+v", c)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"listen: 1.2.3.4:1\nbogus: 1\n", `line 2: unknown key "bogus"`},
		{"watchlist:\n  file: x\n  levenshtien_threshold: 0.9\n", `line 3: watchlist: unknown key "levenshtien_threshold" (did you mean "levenshtein_threshold"?)`},
		{"watchlist:\n  levenshtein_threshold: 1.5\n", "watchlist.levenshtein_threshold: 1.5 is not between 0 and 1"},
		{"sources:\n  ct:\n    start: middle\n", `sources.ct.start: "middle" is not end or beginning`},
		{"sources:\n  ct:\n    logs: [{url: 'ftp://x', type: rfc6962}]\n", `sources.ct.logs[0].url: "ftp://x": scheme must be one of http, https`},
		{"sources:\n  ct:\n    logs: [{url: 'http://x', type: tiles}]\n", `sources.ct.logs[0].type: "tiles" is not rfc6962 or static`},
		{"intel:\n  feeds: [{name: a, file: f, format: csv}]\n", `intel.feeds[0].format: "csv" is not one of`},
		{"notify: [{type: pager}]\n", `notify[0].type: "pager" is not webhook`},
		{"scoring:\n  incident_threshold: 0\n", "scoring.incident_threshold: 0 is not between 1 and 100"},
		{"listen: [1]\n", "line 1: listen: is a list, want a string"},
		{"auth:\n  tokens: ['']\n", "auth.tokens[0]: empty token"},
		{"auth:\n  tokens: [short]\n", "auth.tokens[0]: token is 5 characters, shorter than 16"},
		{"auth:\n  tokens: [{name: soc, token: long-enough-token-1, role: root}]\n", `auth.tokens[0]: role "root"`},
		{"auth:\n  tokens: [{tokn: x}]\n", `line 2: auth.tokens[0]: unknown key "tokn" (did you mean "token"?)`},
	} {
		c, err := Parse([]byte(tc.yaml), "test.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:1\ndata_dir: /file\nwatchlist:\n  file: file.json\n"), 0o644)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Register(fs)
	if err := fs.Parse([]string{"-config", file, "-listen", "127.0.0.1:3", "-certstream", "wss://a/full-stream, wss://b/"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CERTHUNT_LISTEN": "127.0.0.1:2", "CERTHUNT_DATA_DIR": "/env", "CERTHUNT_LEVENSHTEIN_THRESHOLD": "0.9"}
	c, err := f.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:3" || c.DataDir != "/env" || c.Watchlist.File != "file.json" || c.Watchlist.LevenshteinThreshold != 0.9 {
		t.Fatalf("precedence wrong: %+v", c)
	}
	if len(c.Sources.Certstream) != 2 || c.Sources.Certstream[1].URL != "wss://b/" {
		t.Fatalf("certstream list: %+v", c.Sources.Certstream)
	}
	env["CERTHUNT_PARALLEL"] = "many"
	if _, err := f.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil || !strings.Contains(err.Error(), "CERTHUNT_PARALLEL") {
		t.Fatalf("bad env value: %v", err)
	}
}

// TestTestdata checks every config of testdata/: the valid ones validate, the invalid ones fail
// with exactly the errors their "# error:" lines give (a line ending in "..." gives a prefix), except those whose "# preflight:" line
// names a missing file: app's tests check those, and start serve on every valid one.
func TestTestdata(t *testing.T) {
	valid, _ := filepath.Glob("testdata/valid/*.yaml")
	invalid, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(valid) == 0 || len(invalid) == 0 {
		t.Fatal("no testdata")
	}
	for _, file := range valid {
		c, err := LoadFile(file)
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	for _, file := range invalid {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		preflight := false
		for _, line := range strings.Split(string(data), "\n") {
			if msg, ok := strings.CutPrefix(line, "# error: "); ok {
				want = append(want, file+": "+msg)
			}
			preflight = preflight || strings.HasPrefix(line, "# preflight: ")
		}
		c, err := LoadFile(file)
		if err == nil {
			err = c.Validate()
		}
		if preflight { // valid values, but a file serve needs is missing: app's tests check it
			if err != nil {
				t.Errorf("%s: %v", file, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", file)
			continue
		}
		// A wanted line ending in "..." is a prefix (the list of rules grows with detect).
		same := func(got, want string) bool {
			if p, ok := strings.CutSuffix(want, "..."); ok {
				return strings.HasPrefix(got, p)
			}
			return got == want
		}
		if got := strings.Split(err.Error(), "\n"); !slices.EqualFunc(got, want, same) {
			t.Errorf("%s:\n got: %s\nwant: %s", file, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
		}
	}
}

// TestDefaultYAMLInStep keeps the commented example in step with Default: the same values, and
// every key of every section written out.
func TestDefaultYAMLInStep(t *testing.T) {
	c, err := Parse(DefaultYAML(), "default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default(), c, cmpopts.IgnoreUnexported(Config{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("default.yaml differs from Default() (-Default +default.yaml):\n%s", diff)
	}
	var missing []string
	var visit func(ty reflect.Type, path string)
	visit = func(ty reflect.Type, path string) {
		for _, k := range keysOf(ty) {
			key := join(path, k)
			if _, ok := c.lines[key]; !ok {
				missing = append(missing, key)
			}
			if f := fieldsOf(ty)[k]; f.Kind() == reflect.Struct && f != durationType {
				visit(f, key)
			}
		}
	}
	visit(reflect.TypeFor[Config](), "")
	if len(missing) > 0 {
		t.Errorf("default.yaml does not show %v", missing)
	}
}

// FuzzParse: no YAML a user writes makes Parse or Validate panic, and every refusal is an
// *Error whose problems each say something.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Add(DefaultYAML())
	f.Add([]byte("notify: [{type: webhook, x: &a [*a]}]\nscoring: {weights: {typo: 1e99}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil {
			return
		}
		if e, ok := asError(err); ok {
			for _, p := range e.Problems {
				if p.Msg == "" {
					t.Errorf("empty problem in %v", err)
				}
			}
		}
	})
}

// TestNotifyVariantsMatchNotifyconf: every key of a notifier type's struct is a field of
// notifyconf.Config (so it decodes), and every field is some type's key (so it can be set).
func TestNotifyVariantsMatchNotifyconf(t *testing.T) {
	flat := fieldsOf(reflect.TypeFor[notifyconf.Config]())
	used := map[string]bool{}
	v := variants[reflect.TypeFor[Notify]()]
	for _, typ := range notifyconf.Types {
		vt, ok := v.types[typ]
		if !ok {
			t.Errorf("notifier type %q has no struct of keys", typ)
			continue
		}
		for k := range fieldsOf(vt) {
			if _, ok := flat[k]; !ok {
				t.Errorf("%s key %q is not a notifyconf.Config field", typ, k)
			}
			used[k] = true
		}
	}
	for k := range flat {
		if !used[k] {
			t.Errorf("notifyconf.Config field %q is no type's key", k)
		}
	}
}

// TestZeroPartialTileAgeMeansAtOnce: 0s is "read partial tiles at once", as documented, not
// ctlog's default in disguise.
func TestZeroPartialTileAgeMeansAtOnce(t *testing.T) {
	c, err := Parse([]byte("sources:\n  ct:\n    partial_tile_age: 0s\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Sources.CT.FollowerOptions().PartialTileAge; got >= 0 {
		t.Errorf("partial_tile_age 0s gives the follower %v, want a negative age (at once)", got)
	}
	if got := Default().Sources.CT.FollowerOptions().PartialTileAge; got != 30*time.Second {
		t.Errorf("default partial_tile_age gives %v", got)
	}
}

func TestIssuanceConfig(t *testing.T) {
	c, err := Parse([]byte(`issuance:
  allowed_issuers: ["Let's Encrypt", DigiCert Inc]
  domains:
    example.org: {allowed_issuers: [Sectigo Limited], known_keys: ["`+strings.Repeat("ab", 32)+`"]}
  caa: true
  resolvers: [127.0.0.1:53]
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.Issuance.Enabled || len(c.Issuance.AllowedIssuers) != 2 || c.Issuance.Domains["example.org"].AllowedIssuers[0] != "Sectigo Limited" ||
		c.Issuance.ExpiryWindow != 720*time.Hour || c.Issuance.NotifyNewNames {
		t.Fatalf("issuance = %+v", c.Issuance)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"issuance:\n  allowed_issuers: ['']\n", "issuance.allowed_issuers[0]: empty issuer name"},
		{"issuance:\n  known_keys: [abc]\n", `issuance.known_keys[0]: "abc" is not a SHA-256 in hex`},
		{"issuance:\n  domains: {'bad..name': {}}\n", "issuance.domains.bad..name: domain"},
		{"issuance:\n  domains: {example.com: {allowed: [x]}}\n", `unknown key "allowed"`},
		{"issuance:\n  resolvers: [localhost]\n", `issuance.resolvers[0]: "localhost" is not host:port`},
		{"issuance:\n  expiry_window: -1h\n", "issuance.expiry_window: -1h0m0s is negative"},
	} {
		c, err := Parse([]byte(tc.yaml), "test.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

func TestIssuanceFlagsAndEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Register(fs)
	if err := fs.Parse([]string{"-allowed-issuers", "Let's Encrypt, DigiCert Inc", "-issuance-caa"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CERTHUNT_EXPIRY_WINDOW": "48h", "CERTHUNT_ISSUANCE": "true"}
	c, err := f.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Issuance.AllowedIssuers, "|") != "Let's Encrypt|DigiCert Inc" || !c.Issuance.CAA || c.Issuance.ExpiryWindow != 48*time.Hour {
		t.Fatalf("issuance = %+v", c.Issuance)
	}
}
