package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/incident"
)

func TestInventoryAPI(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	if _, err := f.store.RecordOwn(context.Background(), incident.OwnCertificate{Asset: "paypal.com", SHA256: "aa",
		EntryType: certs.X509, Issuer: certs.Name{O: `<img src=x onerror=alert(1)>`}, Names: []string{"www.paypal.com"},
		NotAfter: now.Add(time.Hour), Verdict: "unauthorized-issuer", SeenAt: now}); err != nil {
		t.Fatal(err)
	}
	code, body := f.do(t, "GET", "/api/v1/inventory?domain=PayPal.com", "")
	var inv struct {
		Domain       string
		Names        []incident.OwnName
		Certificates []incident.OwnCertificate
	}
	if err := json.Unmarshal([]byte(body), &inv); err != nil || code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if inv.Domain != "paypal.com" || len(inv.Certificates) != 1 || len(inv.Names) != 1 ||
		inv.Certificates[0].Issuer.O != `<img src=x onerror=alert(1)>` || strings.Contains(body, "<img") {
		t.Fatalf("inventory: %s", body)
	}
	if code, body := f.do(t, "GET", "/api/v1/inventory", ""); code != http.StatusOK || !strings.Contains(body, `"www.paypal.com"`) {
		t.Fatalf("all domains: %d %s", code, body)
	}
	for _, q := range []string{"domain=*.paypal.com", "domain=a..b", "limit=0", "limit=x", "domain=" + strings.Repeat("a", 300)} {
		if code, body := f.do(t, "GET", "/api/v1/inventory?"+q, ""); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}
