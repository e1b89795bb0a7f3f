package certstream

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

func TestDecodeFixtureMessages(t *testing.T) {
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/"})
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	serverGo := readFixture(t, "server-go-lite-example.json")
	floatTimes := bytes.Replace(serverGo, []byte(`"not_before": 1659252405`), []byte(`"not_before": 1659252405.25`), 1)
	if bytes.Equal(floatTimes, serverGo) {
		t.Fatal("fixture changed: cannot make a float not_before")
	}
	calidogLog := certs.LogRef{Name: "Google 'Argon2020' log", URL: "ct.googleapis.com/logs/argon2020/", Type: "certstream"}
	yetiLog := certs.LogRef{Name: "DigiCert Yeti2022-2 Log", URL: "https://yeti2022-2.ct.digicert.com/log", Type: "certstream"}
	yeti := certs.Cert{
		SHA256:             "576138c03c03a3346a0b3289111b74ab8adfa5029f0643e6f30e69f30e4e4efc",
		SHA1:               "27583d013d71b8d3a66e2c7a863ae91fdbf01b5d",
		Serial:             "0498bdf812faf923febd5ef7b374899fc61a",
		EntryType:          certs.Precert,
		Subject:            certs.Name{CN: "cmslieferhit.e06.k-k.de"},
		Issuer:             certs.Name{C: "US", CN: "R3", O: "Let's Encrypt"},
		NotBefore:          time.Unix(1659252405, 0).UTC(),
		NotAfter:           time.Unix(1667028404, 0).UTC(),
		DNSNames:           []string{"cmslieferhit.e06.k-k.de"},
		SignatureAlgorithm: "sha256, rsa",
		Log:                yetiLog,
		Index:              712420366,
		SeenAt:             time.UnixMilli(1659301203904).UTC(),
	}
	yetiFloat := yeti
	yetiFloat.NotBefore = time.Unix(1659252405, 250e6).UTC()

	for _, tc := range []struct {
		name  string
		frame []byte
		want  certs.Cert
	}{{
		name:  "CaliDog full-stream message without as_der",
		frame: readFixture(t, "calidog-full-example.json"),
		want: certs.Cert{
			SHA1:      "84e01801529308e0bc1cdac8b44864768a615632",
			Serial:    "37a3a72033b9aff73a4bed5bb4f7ce6746e",
			EntryType: certs.X509,
			Subject:   certs.Name{CN: "access.smm-cheap.com"},
			// CaliDog sends no issuer: the chain's first subject is the issuer.
			Issuer:    certs.Name{C: "US", CN: "Let's Encrypt Authority X3", O: "Let's Encrypt"},
			NotBefore: time.Unix(1581737741, 0).UTC(),
			NotAfter:  time.Unix(1589513741, 0).UTC(),
			DNSNames:  []string{"access.smm-cheap.com", "www.access.smm-cheap.com"},
			Log:       calidogLog,
			Index:     343999487,
			SeenAt:    unixSeconds(1581741558.477939),
		},
	}, {
		name:  "certstream-server-go lite precert",
		frame: serverGo,
		want:  yeti,
	}, {
		name:  "float not_before",
		frame: floatTimes,
		want:  yetiFloat,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			it, ok := c.decode(websocket.MessageText, tc.frame, now)
			if !ok || it.malformed != nil {
				t.Fatalf("decode: ok=%v malformed=%+v", ok, it.malformed)
			}
			e := it.entry
			if e.Log != tc.want.Log || e.Index != tc.want.Index || e.Type != tc.want.EntryType || !e.Timestamp.Equal(tc.want.SeenAt) {
				t.Errorf("entry log/index/type/time = %+v %d %s %v", e.Log, e.Index, e.Type, e.Timestamp)
			}
			if e.DER != nil || e.Parsed == nil {
				t.Fatalf("a message without as_der must give Parsed and no DER")
			}
			got, err := certs.Parse(&e)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("parsed cert (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeFullStreamCarriesDER(t *testing.T) {
	h := NewHub(HubOptions{})
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/full-stream"})
	for _, precert := range []bool{false, true} {
		published := issued(t, []string{"login.example.com", "www.login.example.com"}, precert, 42)
		frame, err := h.encode(published, streamFull)
		if err != nil {
			t.Fatal(err)
		}
		it, ok := c.decode(websocket.MessageText, frame, time.Now())
		if !ok || it.malformed != nil {
			t.Fatalf("decode: ok=%v malformed=%+v", ok, it.malformed)
		}
		e := it.entry
		if e.Parsed != nil || !bytes.Equal(e.DER, published.DER) {
			t.Fatalf("full-stream entry must carry the DER and no Parsed")
		}
		ca, _ := testcert.Default()
		if diff := cmp.Diff(ca.Chain(), e.Chain); diff != "" {
			t.Errorf("chain (-want +got):\n%s", diff)
		}
		wantLog := certs.LogRef{Name: testLog.Name, URL: testLog.URL, Type: "certstream"}
		if e.Log != wantLog || e.Index != 42 || e.Type != published.EntryType {
			t.Errorf("entry log/index/type = %+v %d %s", e.Log, e.Index, e.Type)
		}
		got, err := certs.Parse(&e)
		if err != nil {
			t.Fatal(err)
		}
		if got.SHA256 != published.SHA256 || !slices.Equal(got.DNSNames, published.DNSNames) || got.Serial != published.Serial {
			t.Errorf("parsed %s %v %s, published %s %v %s", got.SHA256, got.DNSNames, got.Serial, published.SHA256, published.DNSNames, published.Serial)
		}
	}
}

func TestDecodeFullStreamWithBareTBS(t *testing.T) {
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	_, tbs, err := ca.Precert([]string{"pre.example.org"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	frame := fmt.Sprintf(`{"message_type":"certificate_update","data":{"update_type":"PrecertLogEntry","cert_index":5,`+
		`"source":{"name":"L","url":"https://l.example/"},"leaf_cert":{"as_der":%q,"all_domains":["pre.example.org"]}}}`,
		base64.StdEncoding.EncodeToString(tbs))
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/full-stream"})
	it, ok := c.decode(websocket.MessageText, []byte(frame), time.Now())
	if !ok || it.malformed != nil {
		t.Fatalf("decode: ok=%v %+v", ok, it.malformed)
	}
	if it.entry.DER != nil || !bytes.Equal(it.entry.TBS, tbs) || it.entry.Type != certs.Precert {
		t.Fatalf("a bare TBSCertificate must land in Entry.TBS")
	}
	got, err := certs.Parse(&it.entry)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.DNSNames, []string{"pre.example.org"}) {
		t.Errorf("names = %v", got.DNSNames)
	}
}

func TestDecodeOtherFrames(t *testing.T) {
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/domains-only", Name: "upstream"})
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	self := certs.LogRef{Name: "upstream", URL: "ws://certstream.example.test/domains-only", Type: "certstream"}

	it, ok := c.decode(websocket.MessageText, []byte(`{"message_type":"dns_entries","data":["A.Example.com","*.example.net"]}`), now)
	if !ok || it.malformed != nil || it.entry.Parsed == nil {
		t.Fatalf("dns_entries: ok=%v %+v", ok, it)
	}
	if got := it.entry.Parsed.DNSNames; !slices.Equal(got, []string{"a.example.com", "*.example.net"}) {
		t.Errorf("dns_entries names = %v", got)
	}
	if it.entry.Log != self || it.entry.Index != UnknownIndex {
		t.Errorf("dns_entries log/index = %+v %d", it.entry.Log, it.entry.Index)
	}

	if _, ok := c.decode(websocket.MessageText, []byte(`{"message_type":"heartbeat","timestamp":1700000000.5}`), now); ok {
		t.Error("heartbeat must be skipped")
	}
	if c.Status().Malformed != 0 {
		t.Fatalf("heartbeat counted as malformed")
	}
	if _, ok := c.decode(websocket.MessageText, []byte(`{"message_type":"subscription_ack"}`), now); ok {
		t.Error("unknown message type must be skipped")
	}

	badDER := `{"message_type":"certificate_update","data":{"update_type":"X509LogEntry","cert_index":7,` +
		`"source":{"name":"L","url":"https://l.example/"},"leaf_cert":{"as_der":"@@not base64@@","all_domains":["x.example"]}}}`
	for _, tc := range []struct {
		name    string
		typ     websocket.MessageType
		frame   string
		wantErr string
		log     certs.LogRef
		index   int64
	}{
		{"not JSON", websocket.MessageText, `{"message_type": "certificate_update", "data": {`, "not a certstream message", self, UnknownIndex},
		{"binary", websocket.MessageBinary, "\x00\x01", "binary frame", self, UnknownIndex},
		// Kept under this source (the sender does not choose the key), naming the claimed log.
		{"bad as_der", websocket.MessageText, badDER, `entry 7 of log "https://l.example/": leaf_cert.as_der`, self, 7},
		{"dns_entries object", websocket.MessageText, `{"message_type":"dns_entries","data":{"a":1}}`, "dns_entries data", self, UnknownIndex},
		{"certificate_update list", websocket.MessageText, `{"message_type":"certificate_update","data":["a.example"]}`, "certificate_update data is a list", self, UnknownIndex},
		{"wrong field type", websocket.MessageText, `{"message_type":"certificate_update","data":{"leaf_cert":{"not_before":"soon"}}}`, "not_before", self, UnknownIndex},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it, ok := c.decode(tc.typ, []byte(tc.frame), now)
			if !ok || it.malformed == nil {
				t.Fatalf("want a malformed record, got ok=%v %+v", ok, it)
			}
			m := it.malformed
			if !strings.Contains(m.Err, tc.wantErr) || m.Log != tc.log || m.Index != tc.index || string(m.Data) != tc.frame {
				t.Errorf("malformed = %+v, want error containing %q at %+v/%d", m, tc.wantErr, tc.log, tc.index)
			}
		})
	}
	// one unknown type plus six malformed frames
	if got := c.Status().Malformed; got != 7 {
		t.Errorf("Malformed = %d, want 7", got)
	}
}

// replayServer serves scripted websocket sessions per path: the n-th connection to a path
// gets the n-th script; a script that ends with closeAfter is cut off abruptly, the last one
// stays open until the test ends.
type replayServer struct {
	t       *testing.T
	mu      sync.Mutex
	scripts map[string][][]frame
	conns   map[string]int
	done    chan struct{}
}

type frame struct {
	typ  websocket.MessageType
	data []byte
}

func text(b []byte) frame { return frame{websocket.MessageText, b} }

func newReplayServer(t *testing.T, scripts map[string][][]frame) *httptest.Server {
	rs := &replayServer{t: t, scripts: scripts, conns: map[string]int{}, done: make(chan struct{})}
	srv := httptest.NewServer(rs)
	t.Cleanup(func() { close(rs.done); srv.Close() })
	return srv
}

func (rs *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	sessions := rs.scripts[r.URL.Path]
	n := rs.conns[r.URL.Path]
	rs.conns[r.URL.Path]++
	rs.mu.Unlock()
	if n >= len(sessions) {
		http.Error(w, "no more sessions", http.StatusServiceUnavailable)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	for _, f := range sessions[n] {
		if err := conn.Write(ctx, f.typ, f.data); err != nil {
			return
		}
	}
	if n < len(sessions)-1 {
		return // cut off mid-stream: the client must reconnect
	}
	select {
	case <-ctx.Done():
	case <-rs.done:
	}
}

func TestClientReplaysStreamsAndReconnects(t *testing.T) {
	h := NewHub(HubOptions{})
	certsByPath := map[string][]*certs.Cert{}
	var scripts = map[string][][]frame{}
	heartbeat := text([]byte(`{"message_type":"heartbeat","timestamp":1700000000.123}`))
	malformed := text([]byte(`{"message_type":`))
	calidog := readFixture(t, "calidog-full-example.json")
	serverGo := readFixture(t, "server-go-lite-example.json")
	for _, path := range []string{"/", "/full-stream", "/domains-only"} {
		kind := map[string]streamKind{"/": streamLite, "/full-stream": streamFull, "/domains-only": streamDomains}[path]
		var sessions [][]frame
		for s := range 2 {
			var fs []frame
			if s == 0 && kind != streamDomains {
				fs = append(fs, text(calidog), text(serverGo))
			}
			fs = append(fs, heartbeat)
			for i := range 3 {
				c := issued(t, []string{fmt.Sprintf("s%d-m%d%s.example.com", s, i, strings.ReplaceAll(path, "/", "-"))}, i%2 == 1, int64(100*s+i))
				certsByPath[path] = append(certsByPath[path], c)
				msg, err := h.encode(c, kind)
				if err != nil {
					t.Fatal(err)
				}
				fs = append(fs, text(msg))
				if i == 0 {
					fs = append(fs, malformed, heartbeat)
				}
			}
			sessions = append(sessions, fs)
		}
		scripts[path] = sessions
	}
	srv := newReplayServer(t, scripts)

	for _, path := range []string{"/", "/full-stream", "/domains-only"} {
		t.Run(path, func(t *testing.T) {
			c := NewClient(ClientOptions{URL: wsURL(srv.URL) + path, BatchSize: 4, FlushInterval: 5 * time.Millisecond,
				MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			out := make(chan source.Batch)
			done := make(chan error)
			go func() { done <- c.Run(ctx, out) }()

			fixtures := 2
			if path == "/domains-only" {
				fixtures = 0
			}
			entries, bad := collect(t, out, fixtures+6, 2)
			var names [][]string
			for _, e := range entries {
				parsed, err := certs.Parse(&e)
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, parsed.DNSNames)
			}
			var want [][]string
			if fixtures > 0 {
				want = append(want, []string{"access.smm-cheap.com", "www.access.smm-cheap.com"}, []string{"cmslieferhit.e06.k-k.de"})
			}
			for _, pc := range certsByPath[path] {
				want = append(want, pc.DNSNames)
			}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("names in order, across the reconnect (-want +got):\n%s", diff)
			}
			for _, m := range bad {
				if !strings.Contains(m.Err, "not a certstream message") {
					t.Errorf("malformed record %+v", m)
				}
			}
			waitFor(t, "status after reconnect", func() bool { return c.Status().EntriesProcessed == int64(len(entries)) })
			st := c.Status()
			wantMessages := int64(fixtures + 6 + 2 + 4) // certificates, malformed, heartbeats
			if st.Type != "certstream" || st.Connected == nil || !*st.Connected || st.Reconnects != 1 ||
				st.Malformed != 2 || st.Messages != wantMessages || st.Errors != 1 || st.LastError == "" {
				t.Errorf("status = %+v (connected %v), want connected, 1 reconnect, 2 malformed, %d messages, 1 error", st, *st.Connected, wantMessages)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil after cancel", err)
			}
		})
	}
}

func TestClientDropsServerThatStopsAnsweringPings(t *testing.T) {
	connected := make(chan struct{}, 2)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		select {
		case connected <- struct{}{}:
		default:
		}
		// Never reading means never answering pings.
		<-stop
	}))
	defer srv.Close()
	defer close(stop)
	c := NewClient(ClientOptions{URL: wsURL(srv.URL), PingInterval: 20 * time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx, make(chan source.Batch))
	<-connected
	<-connected
	waitFor(t, "a reconnect", func() bool { return c.Status().Reconnects >= 1 })
	if st := c.Status(); !strings.Contains(st.LastError, "ping unanswered") {
		t.Errorf("status = %+v, want a ping error and a reconnect", st)
	}
}

func TestClientReadLimitDropsConnectionAndRecovers(t *testing.T) {
	small := text([]byte(`{"message_type":"dns_entries","data":["ok.example.com"]}`))
	huge := text([]byte(`{"message_type":"dns_entries","data":["` + strings.Repeat("a", 4096) + `.example.com"]}`))
	srv := newReplayServer(t, map[string][][]frame{"/domains-only": {{huge}, {small}}})
	c := NewClient(ClientOptions{URL: wsURL(srv.URL) + "/domains-only", ReadLimit: 1024, FlushInterval: time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan source.Batch)
	go c.Run(ctx, out)
	entries, _ := collect(t, out, 1, 0)
	if got := entries[0].Parsed.DNSNames; !slices.Equal(got, []string{"ok.example.com"}) {
		t.Errorf("names = %v", got)
	}
	if st := c.Status(); st.Errors < 1 || st.Reconnects != 1 {
		t.Errorf("status = %+v, want the oversized frame to cost one connection", st)
	}
}

func TestClientRejectsUnusableURL(t *testing.T) {
	for _, u := range []string{"ftp://example.com/", "ws://", "://bad"} {
		err := NewClient(ClientOptions{URL: u}).Run(context.Background(), make(chan source.Batch))
		if err == nil || !strings.Contains(err.Error(), u) {
			t.Errorf("Run(%q) = %v, want an error naming the URL", u, err)
		}
	}
}

func TestBackoffGrowsWithJitterAndResets(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	steps := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, step := range steps {
		step *= time.Millisecond
		d := b.next()
		if d < step/2 || d > step {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, d, step/2, step)
		}
	}
	b.reset()
	if d := b.next(); d > 100*time.Millisecond {
		t.Errorf("after reset wait = %v", d)
	}
}

func TestInvalidUTF8AndDuplicateNamesAreTolerated(t *testing.T) {
	h := NewHub(HubOptions{})
	published := &certs.Cert{SHA256: "00ff", Subject: certs.Name{CN: "caf\xe9.example", O: "Caf\xe9 GmbH"}, DNSNames: []string{"cafe.example"}}
	frame, err := h.encode(published, streamLite)
	if err != nil {
		t.Fatalf("encoding a subject with invalid UTF-8: %v", err)
	}
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/"})
	it, ok := c.decode(websocket.MessageText, frame, time.Now())
	if !ok || it.malformed != nil {
		t.Fatalf("decode: ok=%v %+v", ok, it.malformed)
	}
	if got := it.entry.Parsed.Subject.O; got != "Caf\uFFFD GmbH" {
		t.Errorf("subject O = %q", got)
	}
	dup := []byte(`{"message_type":"dns_entries","message_type":"dns_entries","data":["dup.example.com"]}`)
	if it, ok := c.decode(websocket.MessageText, dup, time.Now()); !ok || it.malformed != nil {
		t.Errorf("repeated member name: ok=%v %+v", ok, it.malformed)
	}
}

// Credentials in a certstream URL never reach status, entries, errors or logs.
func TestClientRedactsURLSecrets(t *testing.T) {
	var logs bytes.Buffer
	raw := "ws://alice:pa55word@127.0.0.1:1/full-stream?token=tok-sekrit"
	c := NewClient(ClientOptions{URL: raw, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	items := make(chan item, 1)
	_, err := c.session(context.Background(), items) // port 1 refuses: a dial error
	c.recordError(err)
	c.log.Warn("certstream connection lost; reconnecting", "err", err)
	st := c.Status()
	shown := strings.Join([]string{st.Name, st.URL, st.LastError, c.ref.URL, c.ref.Name, logs.String(), err.Error()}, "\n")
	for _, secret := range []string{"alice", "pa55word", "tok-sekrit"} {
		if strings.Contains(shown, secret) {
			t.Errorf("%q shown:\n%s", secret, shown)
		}
	}
	if st.URL != "ws://REDACTED@127.0.0.1:1/full-stream?token=REDACTED" || st.LastError == "" {
		t.Errorf("status URL %q, last error %q", st.URL, st.LastError)
	}
}
