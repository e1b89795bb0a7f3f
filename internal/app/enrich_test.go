package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/notify"

	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/enrich/enrichtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/testcert"
)

// TestEnrichesNewIncidents: an incident opened from a loopback log gets its DNS evidence from
// a loopback resolver and its registration from a loopback RDAP server found through a
// bootstrap file, in the incident's JSON and at /enrichment; the name then goes live, and
// POST /enrich looks again, records it and notifies.
func TestEnrichesNewIncidents(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var live atomic.Bool
	started := make(chan struct{})
	resolver := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		switch q := r.Question[0]; {
		case !live.Load():
			m.Rcode = dns.RcodeNameError
		case strings.EqualFold(q.Name, "paypa1.com.") && q.Qtype == dns.TypeA:
			rr, _ := dns.NewRR("paypa1.com. 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		case !strings.EqualFold(q.Name, "paypa1.com."):
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go resolver.ActivateAndServe()
	<-started
	defer resolver.Shutdown()
	rdap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/domain/paypa1.com" {
			http.NotFound(w, r)
			return
		}
		created := time.Now().UTC().Add(-3 * 24 * time.Hour).Format(time.RFC3339) // a young registration
		io.WriteString(w, `{"events":[{"eventAction":"registration","eventDate":"`+created+`"}],
			"entities":[{"roles":["registrar"],"vcardArray":["vcard",[["fn",{},"text","Lookalike Registrar"]]]}]}`)
	}))
	defer rdap.Close()

	ca, rfc := newRFC6962(t)
	der, err := ca.Issue([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addPublish(t, rfc, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
	cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
	boot := filepath.Join(t.TempDir(), "dns.json")
	os.WriteFile(boot, []byte(fmt.Sprintf(`{"services":[[["com"],["%s/"]]]}`, rdap.URL)), 0o644)
	cfg.Enrich.Enabled = true
	cfg.Enrich.DNS.Resolvers = []string{pc.LocalAddr().String()}
	cfg.Enrich.RDAP.Bootstrap = boot
	cfg.Enrich.DomainInterval = 0  // the test's second look is at once
	cfg.Enrich.AllowPrivate = true // the registry is on loopback
	// A score with room for the evidence.
	cfg.Scoring.Weights, cfg.Scoring.IncidentThreshold = map[string]int{"confusable": 40}, 40
	events := webhookEvents(t, cfg, 4)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	inc := h.enrichedIncident()
	e := inc.Enrichment
	if e.DNS == nil || e.DNS.Status != incident.DNSNXDomain ||
		e.RDAP == nil || e.RDAP.Registrar != "Lookalike Registrar" || e.RDAP.AgeDays == nil || e.Checks != 1 || e.NextCheck == nil {
		t.Fatalf("enrichment %+v dns %+v rdap %+v", e, e.DNS, e.RDAP)
	}
	live.Store(true)
	rules := func() map[string]int {
		var cur incident.Incident
		h.get("/api/v1/incidents/"+inc.ID, &cur)
		m := map[string]int{"score": cur.Score}
		for _, r := range cur.Reasons {
			m[r.Rule] = r.Points
		}
		return m
	}
	h.waitFor("the young registration in the score", func() bool { return rules()["evidence_young_registration"] == 20 })
	s1 := rules()["score"]
	resp, err := http.Post(h.base+"/api/v1/incidents/"+inc.ID+"/enrich", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST enrich: %s", resp.Status)
	}
	var second incident.Enrichment
	h.waitFor("the second look", func() bool {
		h.get("/api/v1/incidents/"+inc.ID+"/enrichment", &second)
		return second.Checks == 2
	})
	if second.DNS.Status != incident.DNSResolves || strings.Join(second.DNS.A, ",") != "192.0.2.1" || len(second.History) != 1 ||
		second.History[0].Change != "started resolving" {
		t.Fatalf("second look: %+v", second)
	}
	h.waitFor("going live in the score", func() bool { r := rules(); return r["evidence_went_live"] == 15 })
	if r := rules(); r["score"] != min(s1+15, 100) {
		t.Errorf("score %d after going live, %d before", r["score"], s1)
	}
	for kind := ""; kind != "went_live"; {
		select {
		case body := <-events:
			kind, _ = body["event"].(string)
			if kind == "went_live" {
				if en, _ := body["enrichment"].(map[string]any); en == nil {
					t.Errorf("went_live without the evidence: %v", body)
				}
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no went_live notification")
		}
	}
	resp, err = http.Get(h.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `certhunt_enrich_total{result="done"} 2`) {
		t.Errorf("metrics lack the enrichment counters:\n%s", body)
	}
}

// TestStuckEnricherNeverSlowsIngestion: with the resolver never answering, one worker and a
// queue of one, every lookalike of the log still becomes an incident; the ones the queue could
// not take are counted as dropped.
func TestStuckEnricherNeverSlowsIngestion(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ca, rfc := newRFC6962(t)
	var entries []ctlogtest.Entry
	for i := range 20 {
		der, err := ca.Issue([]string{fmt.Sprintf("paypal-login%d.com", i)}, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
	}
	addPublish(t, rfc, entries...)
	cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
	cfg.Enrich.Enabled = true
	cfg.Enrich.RDAP.Enabled = false
	cfg.Enrich.DNS.Resolvers = []string{silent.LocalAddr().String()}
	cfg.Enrich.DNS.Timeout = time.Minute
	cfg.Enrich.QueueSize, cfg.Enrich.Concurrency = 1, 1
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	h.waitFor("20 incidents", func() bool {
		var list struct{ Incidents []incident.Incident }
		h.get("/api/v1/incidents?limit=100", &list)
		return len(list.Incidents) == 20
	})
	if s := h.app.Enricher.Stats(); s.Dropped == 0 || s.Done != 0 {
		t.Errorf("enricher stats %+v: want drops and no look finished", s)
	}
}

// TestEnrichSiteGoesLive: a lookalike that resolves but serves nothing at the first look,
// and a clone of the protected site with a login form at the next, fetched through a
// loopback proxy, has the change in its history, the page's evidence in its score and a
// login_form notification.
func TestEnrichSiteGoesLive(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	resolver := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		switch q := r.Question[0]; {
		case (strings.EqualFold(q.Name, "paypa1.com.") || strings.EqualFold(q.Name, "paypal.com.")) && q.Qtype == dns.TypeA:
			rr, _ := dns.NewRR(q.Name + " 60 IN A 127.0.0.1")
			m.Answer = append(m.Answer, rr)
		case !strings.EqualFold(q.Name, "paypa1.com.") && !strings.EqualFold(q.Name, "paypal.com."):
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go resolver.ActivateAndServe()
	<-started
	defer resolver.Shutdown()

	const brand = `<html><head><title>PayPal</title></head><body><nav class="top"><a href="/a">Personal</a><a href="/b">Business</a></nav>
<main class="hero"><h1>Pay, send and save smarter</h1><p>Sign up for a PayPal account and pay your way, send money to friends and family.</p>%s</main></body></html>`
	var live atomic.Bool
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		switch {
		case r.Host == "paypal.com" || host == "paypal.com":
			fmt.Fprintf(w, brand, "")
		case live.Load() && r.URL.Path == "/":
			fmt.Fprintf(w, brand, `<form><input type=email name=email><input type=password name=pass><button>Log in</button></form>`)
		case live.Load():
			http.NotFound(w, r)
		default: // nothing served yet
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		}
	})
	tlsSite, plainSite := httptest.NewTLSServer(site), httptest.NewServer(site)
	defer tlsSite.Close()
	defer plainSite.Close()
	proxy := enrichtest.NewProxy(t, func(hostport string) string {
		if _, port, _ := net.SplitHostPort(hostport); port == "443" {
			return tlsSite.Listener.Addr().String()
		}
		return plainSite.Listener.Addr().String()
	})

	ca, rfc := newRFC6962(t)
	der, err := ca.Issue([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addPublish(t, rfc, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
	cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
	cfg.Enrich.Enabled = true
	cfg.Enrich.DNS.Resolvers = []string{pc.LocalAddr().String()}
	cfg.Enrich.RDAP.Enabled = false
	cfg.Enrich.HTTP.Enabled, cfg.Enrich.HTTP.Proxy = true, proxy.URL
	cfg.Enrich.DomainInterval = 0
	cfg.Enrich.AllowPrivate = true // the sites are on loopback
	cfg.Scoring.Weights, cfg.Scoring.IncidentThreshold = map[string]int{"confusable": 30}, 30
	events := webhookEvents(t, cfg, 8)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	inc := h.enrichedIncident()
	if e := inc.Enrichment; e.HTTP == nil || e.HTTP.Serving() || e.HTTP.Error == "" || e.DNS.Status != incident.DNSResolves {
		t.Fatalf("first look: %+v http %+v", e, e.HTTP)
	}
	score1 := inc.Score
	live.Store(true)
	resp, err := http.Post(h.base+"/api/v1/incidents/"+inc.ID+"/enrich", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cur incident.Incident
	h.waitFor("the login form in the score", func() bool {
		h.get("/api/v1/incidents/"+inc.ID, &cur)
		for _, r := range cur.Reasons {
			if r.Rule == "evidence_login_form" {
				return true
			}
		}
		return false
	})
	e := cur.Enrichment
	if e.HTTP == nil || e.HTTP.Status != 200 || !e.HTTP.LoginForm || e.HTTP.BrandSimilarity == nil || *e.HTTP.BrandSimilarity < 0.5 ||
		e.HTTP.CertMatchesCT == nil || *e.HTTP.CertMatchesCT {
		t.Fatalf("second look: %+v", e.HTTP)
	}
	var changes []string
	for _, c := range e.History {
		changes = append(changes, c.Change)
	}
	if got := strings.Join(changes, "; "); !strings.Contains(got, "started serving a page (HTTP 200)") || !strings.Contains(got, "a login form appeared") {
		t.Errorf("history %q", got)
	}
	if cur.Score <= score1 || cur.Severity == inc.Severity && cur.Score < 100 {
		t.Errorf("score %d (%s), was %d (%s)", cur.Score, cur.Severity, score1, inc.Severity)
	}
	for kind := ""; kind != "login_form"; {
		select {
		case body := <-events:
			kind, _ = body["event"].(string)
			if kind == "login_form" {
				en, _ := body["enrichment"].(map[string]any)
				if hv, _ := en["http"].(map[string]any); hv == nil || hv["login_form"] != true {
					t.Errorf("login_form without the site's evidence: %v", body)
				}
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no login_form notification")
		}
	}
	if log := strings.Join(proxy.Log(), "\n"); !strings.Contains(log, "CONNECT 127.0.0.1:443") {
		t.Errorf("the fetch did not go through the proxy:\n%s", log)
	}
}

// webhookEvents points cfg's notifications at a webhook receiver whose bodies arrive on the
// channel returned (buffered n).
func webhookEvents(t *testing.T, cfg *config.Config, n int) chan map[string]any {
	events := make(chan map[string]any, n)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		events <- body
	}))
	t.Cleanup(receiver.Close)
	cfg.Notify = []config.Notify{{Config: notify.Config{Type: "webhook", Name: "soc", URL: receiver.URL}}}
	return events
}

// enrichedIncident waits for the one incident to have its first enrichment, and returns it.
func (h *harness) enrichedIncident() incident.Incident {
	var inc incident.Incident
	h.waitFor("an enriched incident", func() bool {
		var list struct{ Incidents []incident.Incident }
		h.get("/api/v1/incidents", &list)
		if len(list.Incidents) == 1 && list.Incidents[0].Enrichment != nil {
			inc = list.Incidents[0]
			return true
		}
		return false
	})
	return inc
}
