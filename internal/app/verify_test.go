package app

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// A log that serves an entry its tree does not hold is flagged in /api/v1/sources and the
// metrics, while the phishing certificate it served still opens an incident and an honest
// log next to it verifies.
func TestServeFlagsTamperedLog(t *testing.T) {
	ca, bad := newRFC6962(t)
	good, err := ctlogtest.NewStatic()
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	entries, err := benign(ca, 200, 0)
	if err != nil {
		t.Fatal(err)
	}
	addPublish(t, bad, entries...)
	addPublish(t, good, entries...)
	der, err := ca.Issue([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Tamper(120, ctlogtest.Entry{Cert: der, Chain: ca.Chain()}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, `{"paypal.com": ["paypa1.com"]}`, bad.Info(), good.Info())
	h := start(t, cfg)
	h.waitFor("both logs read", func() bool {
		return h.caughtUp(map[string]int64{bad.Info().URL: 200, good.Info().URL: 200})
	})
	var resp struct{ Sources []source.Status }
	h.get("/api/v1/sources", &resp)
	for _, s := range resp.Sources {
		if s.VerifiedSize == nil || s.VerificationError == nil || s.State != "usable" {
			t.Fatalf("source %s without verification fields or state: %+v", s.Name, s)
		}
		switch s.URL {
		case bad.Info().URL:
			if *s.VerificationError == "" || *s.VerifiedSize != 0 {
				t.Errorf("tampered log: verified %d, error %q", *s.VerifiedSize, *s.VerificationError)
			}
		case good.Info().URL:
			if *s.VerificationError != "" || *s.VerifiedSize != 200 {
				t.Errorf("honest log: verified %d, error %q", *s.VerifiedSize, *s.VerificationError)
			}
		}
	}
	var list struct{ Incidents []incident.Incident }
	h.get("/api/v1/incidents", &list)
	if len(list.Incidents) != 1 || list.Incidents[0].RegisteredDomain != "paypa1.com" {
		t.Errorf("incidents: %+v", list.Incidents)
	}
	mresp, err := http.Get(h.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !strings.Contains(string(metrics), `certhunt_ct_verification_failures_total{source="`+bad.Info().Name+`"} 1`) ||
		!strings.Contains(string(metrics), `certhunt_ct_verified_size{source="`+good.Info().Name+`",type="static"} 200`) ||
		!strings.Contains(string(metrics), `certhunt_ct_concurrency{source="`+good.Info().Name+`"}`) {
		t.Errorf("metrics lack the verification figures:\n%s", metrics)
	}
}
