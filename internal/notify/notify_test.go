package notify

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

func testIncident() incident.Incident {
	t0 := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	return incident.Incident{
		ID: "inc-42", CreatedAt: t0, UpdatedAt: t0, Status: "new",
		Severity: "critical", Score: 92, Asset: "paypal.com",
		Domain: "xn--pypal-4ve.com", DomainUnicode: "pаypal.com", RegisteredDomain: "xn--pypal-4ve.com",
		Matched: detect.Matched{Kind: "confusable", Value: "paypal", Similarity: 0.83},
		Reasons: []detect.Reason{
			{Rule: "confusable", Points: 60, Detail: "skeleton equals paypal"},
			{Rule: "new_tld", Points: 10, Detail: "<script>alert(1)</script> & <!channel>"},
		},
		Certificates: []incident.Certificate{{
			SHA256: "ab12cd", SHA1: "ef34", Serial: "0a0b", EntryType: certs.Precert,
			Subject: certs.Name{CN: "xn--pypal-4ve.com"}, DNSNames: []string{"xn--pypal-4ve.com"},
			Log: incident.LogPosition{Name: "Argon 2026h2", URL: "https://ct.example/argon2026h2/", Index: 123456},
		}},
		Sightings: 1, FirstSeen: t0, LastSeen: t0,
	}
}

// harness runs a Dispatcher for one target and collects its deliveries.
type harness struct {
	d          *Dispatcher
	deliveries chan Delivery
}

func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{deliveries: make(chan Delivery, 100)}
	d, err := New([]Config{cfg}, Options{
		BaseURL:    "https://certhunt.example/",
		OnDelivery: func(del Delivery) { h.deliveries <- del },
		Backoff:    time.Millisecond,
		MaxBackoff: 4 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// final waits for the delivered or failed report, returning it and the reports before it.
func (h *harness) final(t *testing.T) (Delivery, []Delivery) {
	t.Helper()
	var before []Delivery
	timeout := time.After(10 * time.Second)
	for {
		select {
		case del := <-h.deliveries:
			if del.Status == StatusRetrying {
				before = append(before, del)
				continue
			}
			return del, before
		case <-timeout:
			t.Fatalf("no final delivery; saw %+v", before)
		}
	}
}

func TestWebhookSignedPayload(t *testing.T) {
	secret := "s3cret"
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- body
	}))
	defer srv.Close()

	h := start(t, Config{Type: "webhook", URL: srv.URL + "/hook", Secret: secret})
	h.d.Notify(Event{Kind: KindNew, Incident: testIncident()})
	del, _ := h.final(t)
	if del.Status != StatusDelivered || del.Attempts != 1 || del.Target != "webhook" || del.IncidentID != "inc-42" {
		t.Fatalf("delivery = %+v", del)
	}
	r, body := <-got, <-bodies
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if sig := r.Header.Get(HeaderSignature); !hmac.Equal([]byte(sig), []byte(want)) {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if ts, err := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64); err != nil || ts <= 0 {
		t.Errorf("timestamp header %q", r.Header.Get(HeaderTimestamp))
	}
	if r.Header.Get("Content-Type") != "application/json" || r.URL.Path != "/hook" {
		t.Errorf("content-type %q path %q", r.Header.Get("Content-Type"), r.URL.Path)
	}
	var p struct {
		Event  string `json:"event"`
		Link   string `json:"link"`
		ID     string `json:"id"`
		Domain string `json:"domain"`
		Score  int    `json:"score"`
		Certs  []struct {
			SHA256 string `json:"sha256"`
		} `json:"certificates"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != "new" || p.ID != "inc-42" || p.Domain != "xn--pypal-4ve.com" || p.Score != 92 ||
		p.Link != "https://certhunt.example/#/incidents/inc-42" || len(p.Certs) != 1 || p.Certs[0].SHA256 != "ab12cd" {
		t.Errorf("payload = %+v", p)
	}
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	sig := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig <- r.Header.Get(HeaderSignature)
	}))
	defer srv.Close()
	h := start(t, Config{Type: "webhook", URL: srv.URL})
	h.d.Notify(Event{Kind: KindNew, Incident: testIncident()})
	if del, _ := h.final(t); del.Status != StatusDelivered {
		t.Fatalf("delivery = %+v", del)
	}
	if s := <-sig; s != "" {
		t.Errorf("unexpected signature %q", s)
	}
}

func TestRetriesUntilReceiverAccepts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	h := start(t, Config{Type: "webhook", URL: srv.URL, MaxAttempts: 5})
	h.d.Notify(Event{Kind: KindNew, Incident: testIncident()})
	del, retries := h.final(t)
	if del.Status != StatusDelivered || del.Attempts != 3 || del.LastError != "" {
		t.Fatalf("delivery = %+v", del)
	}
	if len(retries) != 2 || retries[0].Attempts != 1 || retries[1].Attempts != 2 ||
		!strings.Contains(retries[0].LastError, "503") {
		t.Fatalf("retry reports = %+v", retries)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("receiver saw %d calls, want 3", got)
	}
	st := h.d.Status()[0]
	if st.Delivered != 1 || st.Retries != 2 || st.Failed != 0 {
		t.Errorf("status = %+v", st)
	}
}

func TestFailsAfterMaxAttempts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down\nfor maintenance", http.StatusBadGateway)
	}))
	defer srv.Close()
	h := start(t, Config{Type: "webhook", Name: "siem", URL: srv.URL + "/a/secret-token", MaxAttempts: 3})
	h.d.Notify(Event{Kind: KindNew, Incident: testIncident()})
	del, retries := h.final(t)
	if del.Status != StatusFailed || del.Attempts != 3 || del.Target != "siem" || len(retries) != 2 {
		t.Fatalf("delivery = %+v after %d retries", del, len(retries))
	}
	if !strings.Contains(del.LastError, "502") || strings.Contains(del.LastError, "secret-token") ||
		strings.Contains(del.LastError, "\n") {
		t.Errorf("last error %q: want the status, no URL secret, one line", del.LastError)
	}
	if calls.Load() != 3 {
		t.Errorf("receiver saw %d calls, want 3", calls.Load())
	}
	st := h.d.Status()[0]
	if st.Failed != 1 || st.Delivered != 0 || st.LastError == "" {
		t.Errorf("status = %+v", st)
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "bad key", http.StatusUnauthorized)
	}))
	defer srv.Close()
	h := start(t, Config{Type: "xsoar", URL: srv.URL, APIKey: "k", MaxAttempts: 5})
	h.d.Notify(Event{Kind: KindNew, Incident: testIncident()})
	del, retries := h.final(t)
	if del.Status != StatusFailed || del.Attempts != 1 || len(retries) != 0 || !strings.Contains(del.LastError, "401") {
		t.Fatalf("delivery = %+v, retries %v", del, retries)
	}
	if calls.Load() != 1 {
		t.Errorf("receiver saw %d calls", calls.Load())
	}
}

func TestXSOARFieldMapping(t *testing.T) {
	type req struct {
		path, auth, authID string
		body               map[string]any
	}
	got := make(chan req, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		got <- req{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("x-xdr-auth-id"), body}
		w.Write([]byte(`{"id":"77"}`))
	}))
	defer srv.Close()

	h := start(t, Config{Type: "xsoar", URL: srv.URL + "/xsoar/public/v1/", APIKey: "the-key", AuthID: "9"})
	h.d.Notify(Event{Kind: KindSeverityRaised, Incident: testIncident()})
	if del, _ := h.final(t); del.Status != StatusDelivered || del.Target != "xsoar" {
		t.Fatalf("delivery = %+v", del)
	}
	r := <-got
	if r.path != "/xsoar/public/v1/incident" || r.auth != "the-key" || r.authID != "9" {
		t.Errorf("path %q auth %q auth id %q", r.path, r.auth, r.authID)
	}
	b := r.body
	check := func(key string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %#v, want %#v", key, got, want)
		}
	}
	check("name", b["name"], "Suspicious Domain Discovered - xn--pypal-4ve.com")
	check("type", b["type"], "Suspicious Domain")
	check("severity", b["severity"], 4.0)
	check("createInvestigation", b["createInvestigation"], true)
	check("occurred", b["occurred"], "2026-11-26T05:00:00Z")
	details, _ := b["details"].(string)
	if !strings.Contains(details, "pаypal.com") || !strings.Contains(details, "confusable (+60)") {
		t.Errorf("details = %q", details)
	}
	cf, _ := b["CustomFields"].(map[string]any)
	check("certstreamfingerprint", cf["certstreamfingerprint"], "ab12cd")
	check("certstreamlevenshteindistance", cf["certstreamlevenshteindistance"], 0.83)
	check("certstreamuserasset", cf["certstreamuserasset"], "paypal.com")
	check("certstreamcertificatesource", cf["certstreamcertificatesource"], "Argon 2026h2")
	check("certstreamcertificateindex", cf["certstreamcertificateindex"], 123456.0)
	check("externallink", cf["externallink"], "https://certhunt.example/#/incidents/inc-42")
	check("domain", cf["domain"], "xn--pypal-4ve.com")
	if len(cf) != 7 {
		t.Errorf("CustomFields has %d keys: %v", len(cf), cf)
	}
	raw, _ := b["rawJSON"].(string)
	var inc struct {
		Event string `json:"event"`
		incident.Incident
	}
	if err := json.Unmarshal([]byte(raw), &inc); err != nil {
		t.Fatalf("rawJSON %q: %v", raw, err)
	}
	if inc.Event != "severity_raised" || inc.ID != "inc-42" || inc.Certificates[0].Log.Index != 123456 {
		t.Errorf("rawJSON = %+v", inc)
	}
	labels, _ := b["labels"].([]any)
	if len(labels) == 0 {
		t.Errorf("no labels")
	}
}

func TestXSOARSeverityScale(t *testing.T) {
	for sev, want := range map[string]float64{"low": 1, "medium": 2, "high": 3, "critical": 4, "": 0.5} {
		if got := xsoarSeverity(sev); got != want {
			t.Errorf("xsoarSeverity(%q) = %v, want %v", sev, got, want)
		}
	}
}

func TestSlackMessageEscapesUntrustedText(t *testing.T) {
	got := make(chan slackMessage, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m slackMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Error(err)
		}
		got <- m
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	inc := testIncident()
	inc.DomainUnicode = "<!channel>`evil`.com"
	h := start(t, Config{Type: "slack", URL: srv.URL})
	h.d.Notify(Event{Kind: KindNew, Incident: inc})
	if del, _ := h.final(t); del.Status != StatusDelivered {
		t.Fatalf("delivery = %+v", del)
	}
	m := <-got
	all, _ := json.Marshal(m)
	var texts []string
	for _, b := range m.Blocks {
		if b.Text != nil {
			texts = append(texts, b.Text.Text)
		}
		for _, f := range b.Fields {
			texts = append(texts, f.Text)
		}
	}
	joined := strings.Join(texts, "\n")
	for _, bad := range []string{"<script>", "<!channel>", "& <"} {
		if strings.Contains(joined, bad) || strings.Contains(m.Text, bad) {
			t.Errorf("unescaped %q in message %s", bad, all)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "`&lt;!channel&gt;'evil'.com (xn--pypal-4ve.com)`", "*Score*\n92", "`paypal.com`", "confusable (+60)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("message lacks %q:\n%s", want, joined)
		}
	}
	if strings.Index(joined, "confusable (+60)") > strings.Index(joined, "new_tld (+10)") {
		t.Errorf("reasons not ordered by points:\n%s", joined)
	}
	last := m.Blocks[len(m.Blocks)-1]
	if last.Type != "actions" || last.Elements[0].URL != "https://certhunt.example/#/incidents/inc-42" {
		t.Errorf("link block = %+v", last)
	}
}

// parseSyslog splits an RFC 5424 message into header fields, structured data and message.
func parseSyslog(t *testing.T, msg string) (header []string, sd map[string]string, text string) {
	t.Helper()
	parts := strings.SplitN(msg, " ", 7)
	if len(parts) != 7 {
		t.Fatalf("not RFC 5424: %q", msg)
	}
	header = parts[:6]
	rest := parts[6]
	if !strings.HasPrefix(rest, "[certhunt@32473 ") {
		t.Fatalf("structured data missing: %q", rest)
	}
	sd = map[string]string{}
	i := len("[certhunt@32473 ")
	for rest[i] != ']' {
		eq := strings.IndexByte(rest[i:], '=')
		name := strings.TrimSpace(rest[i : i+eq])
		i += eq + 2 // past ="
		var v strings.Builder
		for rest[i] != '"' {
			if rest[i] == '\\' {
				i++
			}
			v.WriteByte(rest[i])
			i++
		}
		sd[name] = v.String()
		i++ // past closing quote
		if rest[i] == ' ' {
			i++
		}
	}
	return header, sd, strings.TrimPrefix(rest[i+1:], " ")
}

func TestSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	h := start(t, Config{Type: "syslog", Network: "udp", Address: pc.LocalAddr().String()})
	inc := testIncident()
	inc.Matched.Value = `pay"pal]\`
	h.d.Notify(Event{Kind: KindNew, Incident: inc})
	if del, _ := h.final(t); del.Status != StatusDelivered {
		t.Fatalf("delivery = %+v", del)
	}
	buf := make([]byte, 4096)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	header, sd, text := parseSyslog(t, string(buf[:n]))
	if header[0] != "<130>1" { // local0 (16*8) + critical (2)
		t.Errorf("PRI/VERSION = %q", header[0])
	}
	if _, err := time.Parse(time.RFC3339Nano, header[1]); err != nil {
		t.Errorf("timestamp %q: %v", header[1], err)
	}
	if header[3] != "certhunt" || header[5] != "incident_new" {
		t.Errorf("app %q msgid %q", header[3], header[5])
	}
	want := map[string]string{"id": "inc-42", "event": "new", "severity": "critical", "score": "92",
		"asset": "paypal.com", "domain": "xn--pypal-4ve.com", "domain_unicode": "pаypal.com",
		"matched_kind": "confusable", "matched_value": `pay"pal]\`, "similarity": "0.830",
		"cert_sha256": "ab12cd", "link": "https://certhunt.example/#/incidents/inc-42"}
	for k, v := range want {
		if sd[k] != v {
			t.Errorf("SD %s = %q, want %q", k, sd[k], v)
		}
	}
	if !strings.Contains(text, "xn--pypal-4ve.com looks like paypal.com") {
		t.Errorf("MSG = %q", text)
	}
}

func TestSyslogTCPOctetCounting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	frames := make(chan string, 2)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for range 2 {
			lenStr, err := r.ReadString(' ')
			if err != nil {
				return
			}
			n, err := strconv.Atoi(strings.TrimSpace(lenStr))
			if err != nil {
				frames <- "bad length " + lenStr
				return
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			frames <- string(buf)
		}
	}()
	h := start(t, Config{Type: "syslog", Network: "tcp", Address: ln.Addr().String()})
	inc := testIncident()
	h.d.Notify(Event{Kind: KindNew, Incident: inc})
	inc.Severity = "low"
	h.d.Notify(Event{Kind: KindSeverityRaised, Incident: inc})
	for i := range 2 {
		if del, _ := h.final(t); del.Status != StatusDelivered {
			t.Fatalf("delivery %d = %+v", i, del)
		}
	}
	first, second := <-frames, <-frames
	h1, sd1, _ := parseSyslog(t, first)
	h2, sd2, _ := parseSyslog(t, second)
	if h1[0] != "<130>1" || sd1["event"] != "new" || h2[0] != "<133>1" || h2[5] != "incident_severity_raised" || sd2["severity"] != "low" {
		t.Errorf("frames:\n%s\n%s", first, second)
	}
}

func TestFileAppendsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.jsonl")
	h := start(t, Config{Type: "file", Path: path})
	inc := testIncident()
	h.d.Notify(Event{Kind: KindNew, Incident: inc})
	h.final(t)
	inc.Severity = "critical"
	h.d.Notify(Event{Kind: KindSeverityRaised, Incident: inc})
	if del, _ := h.final(t); del.Status != StatusDelivered {
		t.Fatalf("delivery = %+v", del)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), data)
	}
	for i, want := range []string{"new", "severity_raised"} {
		var p struct {
			Event string `json:"event"`
			ID    string `json:"id"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &p); err != nil || p.Event != want || p.ID != "inc-42" {
			t.Errorf("line %d = %q (%v)", i, lines[i], err)
		}
	}
}

func TestSlowTargetDoesNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stuck.Close()
	defer close(release)
	path := filepath.Join(t.TempDir(), "out.jsonl")
	deliveries := make(chan Delivery, 10)
	d, err := New([]Config{
		{Type: "webhook", Name: "stuck", URL: stuck.URL, Timeout: time.Minute},
		{Type: "file", Name: "disk", Path: path},
	}, Options{OnDelivery: func(del Delivery) { deliveries <- del }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	d.Notify(Event{Kind: KindNew, Incident: testIncident()})
	select {
	case del := <-deliveries:
		if del.Target != "disk" || del.Status != StatusDelivered {
			t.Fatalf("first delivery = %+v, want disk delivered", del)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the file target waited for the stuck webhook")
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	d, err := New([]Config{{Type: "file", Path: filepath.Join(t.TempDir(), "x")}}, Options{QueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		// Not running: the queue fills. Notify must return at once all the same.
		for range 5 {
			d.Notify(Event{Kind: KindNew, Incident: testIncident()})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Notify blocked")
	}
	st := d.Status()[0]
	if st.Queued != 2 || st.QueueSize != 2 || st.Dropped != 3 {
		t.Errorf("status = %+v", st)
	}
}

func TestMinSeverityFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	d, err := New([]Config{{Type: "file", Path: path, MinSeverity: "high"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inc := testIncident()
	inc.Severity = "medium"
	d.Notify(Event{Kind: KindNew, Incident: inc})
	inc.Severity = "high"
	d.Notify(Event{Kind: KindNew, Incident: inc})
	if q := d.Status()[0].Queued; q != 1 {
		t.Errorf("queued %d, want 1 (only the high one)", q)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Type: "pager"}, `type: "pager" is not`},
		{Config{Type: "webhook", URL: "ftp://x"}, `url: "ftp://x" is not an http or https URL`},
		{Config{Type: "xsoar", URL: "https://x"}, "api_key: must be set"},
		{Config{Type: "syslog", Network: "sctp", Address: "x:1"}, `network: "sctp" is not udp or tcp`},
		{Config{Type: "syslog"}, "address: must be host:port"},
		{Config{Type: "file"}, "path: must be set"},
		{Config{Type: "file", Path: "x", MinSeverity: "urgent"}, `min_severity: "urgent"`},
		{Config{Type: "file", Path: "x", MaxAttempts: -1}, "max_attempts: -1 is negative"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{Type: "file", Path: "x"}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	_, err := New([]Config{{Type: "file", Path: "a"}, {Type: "file", Path: "b"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `notify[1].name: "file" is used twice`) {
		t.Errorf("duplicate names: %v", err)
	}
	_, err = New([]Config{{Type: "file", Path: "a"}, {Type: "webhook", Name: "soc"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "notify[1].url:") {
		t.Errorf("bad second target: %v", err)
	}
}

func BenchmarkNotify(b *testing.B) {
	d, err := New([]Config{{Type: "file", Path: filepath.Join(b.TempDir(), "x")}}, Options{QueueSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	ev := Event{Kind: KindNew, Incident: testIncident()}
	b.ReportAllocs()
	for b.Loop() {
		d.Notify(ev) // queue stays full: measures the never-blocking path ingestion pays
	}
}

func BenchmarkSyslogFormat(b *testing.B) {
	s := newSyslog(Config{Type: "syslog", Address: "127.0.0.1:514"}, linker{base: "https://c.example"})
	ev := Event{Kind: KindNew, Incident: testIncident()}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s.format(ev, now)
	}
}

// An event with a change key (a cluster's) carries it to every HTTP receiver as the
// Idempotency-Key header and in the webhook payload, and reports it in its deliveries; an
// event without one sends neither.
func TestChangeKeyReachesReceivers(t *testing.T) {
	type seen struct{ path, key, body string }
	got := make(chan seen, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.URL.Path, r.Header.Get(HeaderIdempotencyKey), string(body)}
		w.Write([]byte(`{"id":"1"}`))
	}))
	defer srv.Close()
	for _, key := range []string{"42:new:1", ""} {
		for _, c := range []Config{{Type: "webhook", URL: srv.URL + "/hook"}, {Type: "slack", URL: srv.URL + "/slack"},
			{Type: "xsoar", URL: srv.URL + "/xsoar", APIKey: "k"}} {
			h := start(t, c)
			h.d.NotifyTargets(Event{Kind: KindNew, Incident: testIncident(), Key: key}, []string{c.Type})
			del, _ := h.final(t)
			s := <-got
			if del.Status != StatusDelivered || del.Key != key || s.key != key {
				t.Errorf("%s, key %q: delivery %+v, header %q", c.Type, key, del, s.key)
			}
			if c.Type == "webhook" && strings.Contains(s.body, `"change_key"`) != (key != "") {
				t.Errorf("webhook payload, key %q: %s", key, s.body)
			}
		}
	}
}
