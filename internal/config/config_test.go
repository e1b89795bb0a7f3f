package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./certhunt-data" || c.Watchlist.LevenshteinThreshold != 0.85 ||
		c.Watchlist.UpdateInterval != 30*time.Minute || c.Sources.CT.LogList != "embedded" || c.Sources.CT.Start != "end" ||
		c.Scoring.IncidentThreshold != 60 || !c.CertstreamServer.Enabled || !c.Sources.CT.Enabled {
		t.Fatalf("defaults differ from SPEC.md: %+v", c)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"listen: 1.2.3.4:1\nbogus: 1\n", `line 2: unknown key "bogus"`},
		{"watchlist:\n  file: x\n  levenshtien_threshold: 0.9\n", `line 3: unknown key "levenshtien_threshold"`},
		{"watchlist:\n  levenshtein_threshold: 1.5\n", "watchlist.levenshtein_threshold: 1.5 is not between 0 and 1"},
		{"sources:\n  ct:\n    start: middle\n", `sources.ct.start: "middle" is not end or beginning`},
		{"sources:\n  ct:\n    logs: [{url: 'ftp://x', type: rfc6962}]\n", `sources.ct.logs[0].url: "ftp://x": scheme must be one of http, https`},
		{"sources:\n  ct:\n    logs: [{url: 'http://x', type: tiles}]\n", `sources.ct.logs[0].type: "tiles" is not rfc6962 or static`},
		{"intel:\n  feeds: [{name: a, file: f, format: csv}]\n", `intel.feeds[0].format: "csv" is not one of`},
		{"notify: [{type: pager}]\n", `notify[0].type: "pager" is not webhook`},
		{"scoring:\n  incident_threshold: 0\n", "scoring.incident_threshold: 0 is not between 1 and 100"},
		{"listen: [1]\n", "line 1: cannot unmarshal"},
		{"auth:\n  tokens: ['']\n", "auth.tokens[0]: empty token"},
		{"auth:\n  tokens: [short]\n", "auth.tokens[0]: token is 5 characters, shorter than 16"},
		{"auth:\n  tokens: [{name: soc, token: long-enough-token-1, role: root}]\n", `auth.tokens[0]: role "root"`},
		{"auth:\n  tokens: [{tokn: x}]\n", `unknown key "tokn"`},
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
