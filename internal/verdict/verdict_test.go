package verdict

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
)

func TestHost(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"paypal.com", "paypal.com", ""},
		{"  PayPal.com  ", "PayPal.com", ""},
		{"*.paypal-login.com", "*.paypal-login.com", ""},
		{"https://paypal-login.com/signin?x=1", "paypal-login.com", ""},
		{"http://user@xn--pypal-4ve.com:8443/", "xn--pypal-4ve.com", ""},
		{"paypal-login.com/signin", "paypal-login.com", ""},
		{"paypal-login.com:443", "paypal-login.com", ""},
		{"", "", "empty: not a domain name"},
		{"not a domain!", "", "not a domain name"},
		{"localhost", "", `not a domain name: "localhost" has no dot`},
		{"192.0.2.1", "", "192.0.2.1 is an IP address, not a domain name"},
		{"https://[2001:db8::1]/", "", "is an IP address"},
		{"https:///nohost", "", "not a domain name or a URL with a host"},
		{"a..b.com", "", "not a domain name"},
		{strings.Repeat("a", 64) + ".com", "", "longer than 63 characters"},
	} {
		got, err := Host(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("Host(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Host(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
		}
	}
}

func TestCheckOutput(t *testing.T) {
	ix, err := detect.Build(homograph.List{"paypal.com": {}}, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := json.Marshal(Check(ix, "not a domain!"))
	if want := `{"domain":"not a domain!","error":"not a domain name: character ' ' is not allowed in a host name"}`; string(bad) != want {
		t.Errorf("error line %s, want %s", bad, want)
	}
	url := Check(ix, "https://paypal-login.com/x")
	direct := Check(ix, "paypal-login.com")
	if url.Domain != "paypal-login.com" || !url.Incident || url.Score != direct.Score {
		t.Errorf("URL checked as %+v, host as %+v", url, direct)
	}
	var m map[string]any
	quiet, _ := json.Marshal(Check(ix, "example.org"))
	if err := json.Unmarshal(quiet, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"domain", "score", "severity", "incident", "asset", "matched", "reasons"} {
		if _, ok := m[k]; !ok {
			t.Errorf("check output %s lacks %q", quiet, k)
		}
	}
}
