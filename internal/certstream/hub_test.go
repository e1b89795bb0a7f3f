package certstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
)

func startHub(t testing.TB, opts HubOptions) (*Hub, *httptest.Server) {
	t.Helper()
	h := NewHub(opts)
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, srv
}

func dial(t testing.TB, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// readMessage returns the next non-heartbeat message.
func readMessage(t testing.TB, conn *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["message_type"] != "heartbeat" {
			return m
		}
	}
}

func TestRoundTripHubToClient(t *testing.T) {
	h, srv := startHub(t, HubOptions{})
	base := wsURL(srv.URL) + "/certstream"
	paths := []string{"/", "/full-stream", "/domains-only"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outs := map[string]chan source.Batch{}
	for _, p := range paths {
		outs[p] = make(chan source.Batch, 16)
		c := NewClient(ClientOptions{URL: base + p, FlushInterval: time.Millisecond})
		go c.Run(ctx, outs[p])
	}
	waitFor(t, "three subscribers", func() bool { return h.Stats().Clients == 3 })

	var published []*certs.Cert
	for i := range 10 {
		c := issued(t, []string{fmt.Sprintf("shop%d.example.com", i), fmt.Sprintf("www.shop%d.example.com", i)}, i%2 == 0, int64(1000+i))
		published = append(published, c)
		h.Publish(c)
	}
	for _, p := range paths {
		entries, _ := collect(t, outs[p], len(published), 0)
		for i, e := range entries {
			got, err := certs.Parse(&e)
			if err != nil {
				t.Fatal(err)
			}
			want := published[i]
			if !slices.Equal(got.DNSNames, want.DNSNames) {
				t.Errorf("%s message %d: names %v, published %v", p, i, got.DNSNames, want.DNSNames)
			}
			if p == "/domains-only" {
				continue
			}
			if got.SHA256 != want.SHA256 || got.SHA1 != want.SHA1 || got.Serial != want.Serial ||
				got.EntryType != want.EntryType || got.Index != want.Index || got.Log.Name != want.Log.Name ||
				got.Log.URL != want.Log.URL || !got.NotBefore.Equal(want.NotBefore) || got.Issuer.CN != want.Issuer.CN {
				t.Errorf("%s message %d:\n got %+v\nwant %+v", p, i, got, want)
			}
		}
	}
	// A write is counted once it returns, which may be after the client has read it.
	waitFor(t, "30 writes counted", func() bool { return h.Stats().Sent >= 30 })
	if st := h.Stats(); st.Published != 10 || st.Sent != 30 || st.Dropped != 0 {
		t.Errorf("stats = %+v, want 10 published, 30 sent, 0 dropped", st)
	}
}

func TestSlowClientLosesMessagesFastClientGetsAll(t *testing.T) {
	h, srv := startHub(t, HubOptions{QueueSize: 8, MaxBehind: time.Hour})
	fast := dial(t, wsURL(srv.URL)+"/certstream/full-stream")
	// The stalled client never reads: its socket buffers fill, then its queue.
	stalled := dial(t, wsURL(srv.URL)+"/certstream/full-stream")
	_ = stalled
	waitFor(t, "two subscribers", func() bool { return h.Stats().Clients == 2 })

	var received atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := fast.Read(context.Background()); err != nil {
				readErr <- err
				return
			}
			received.Add(1)
		}
	}()

	msg := issued(t, []string{"bulk.example.com"}, false, 1)
	stalledDropped := func() uint64 {
		var d uint64
		for _, cs := range h.Stats().PerClient {
			d += cs.Dropped
		}
		return d
	}
	published := 0
	for stalledDropped() < 100 {
		if published > 200_000 {
			t.Fatal("the stalled client never lost a message")
		}
		// Publish in windows the fast client can absorb, so only the stalled one falls behind.
		for range 4 {
			h.Publish(msg)
			published++
		}
		waitFor(t, "the fast client to catch up", func() bool { return received.Load() == int64(published) })
	}
	st := h.Stats()
	if st.Dropped == 0 || st.Dropped != stalledDropped() {
		t.Errorf("total dropped %d, per-client %d", st.Dropped, stalledDropped())
	}
	for _, cs := range st.PerClient {
		// One message may be in the writer's hands, blocked on the full socket.
		if n := cs.Sent + uint64(cs.Queued) + cs.Dropped; cs.Dropped != 0 && n != uint64(published) && n != uint64(published-1) {
			t.Errorf("stalled client accounts for %d sent + %d queued + %d dropped of %d messages", cs.Sent, cs.Queued, cs.Dropped, published)
		}
	}
	if got := received.Load(); got != int64(published) {
		t.Errorf("fast client received %d of %d", got, published)
	}
	select {
	case err := <-readErr:
		t.Fatalf("fast client disconnected: %v", err)
	default:
	}
}

func TestClientThatStaysBehindIsDisconnected(t *testing.T) {
	// MaxBehind is long enough for the socket to fill, so the kick finds the writer blocked.
	h, srv := startHub(t, HubOptions{QueueSize: 2, MaxBehind: 100 * time.Millisecond, WriteTimeout: time.Hour})
	stalled := dial(t, wsURL(srv.URL)+"/certstream/full-stream")
	_ = stalled
	waitFor(t, "a subscriber", func() bool { return h.Stats().Clients == 1 })
	msg := issued(t, []string{"bulk.example.com"}, false, 1)
	waitFor(t, "the stalled client to be let go", func() bool {
		for range 64 {
			h.Publish(msg)
		}
		return h.Stats().Clients == 0
	})
	if st := h.Stats(); st.SlowDisconnects != 1 || st.Dropped == 0 {
		t.Errorf("stats = %+v, want one slow disconnect and drops", st)
	}
}

func TestClientThatAcceptsNothingIsDropped(t *testing.T) {
	h, srv := startHub(t, HubOptions{QueueSize: 1 << 16, MaxBehind: time.Hour, WriteTimeout: 20 * time.Millisecond})
	stalled := dial(t, wsURL(srv.URL)+"/certstream/full-stream")
	_ = stalled
	waitFor(t, "a subscriber", func() bool { return h.Stats().Clients == 1 })
	msg := issued(t, []string{"bulk.example.com"}, false, 1)
	waitFor(t, "the stalled writer to time out", func() bool {
		for range 64 {
			h.Publish(msg)
		}
		return h.Stats().Clients == 0
	})
	if st := h.Stats(); st.SlowDisconnects != 1 || st.Dropped != 0 {
		t.Errorf("stats = %+v, want one slow disconnect and no drops (the queue never filled)", st)
	}
}

func TestClientThatStopsAnsweringPingsIsDropped(t *testing.T) {
	h, srv := startHub(t, HubOptions{PingInterval: 20 * time.Millisecond})
	silent := dial(t, wsURL(srv.URL)+"/certstream/") // never reads, so never answers pings
	_ = silent
	waitFor(t, "a subscriber", func() bool { return h.Stats().Clients == 1 })
	waitFor(t, "the silent client to be dropped", func() bool { return h.Stats().Clients == 0 })
	if st := h.Stats(); st.SlowDisconnects != 1 {
		t.Errorf("SlowDisconnects = %d, want 1", st.SlowDisconnects)
	}
}

func TestDomainFilter(t *testing.T) {
	h, srv := startHub(t, HubOptions{})
	lite := dial(t, wsURL(srv.URL)+"/certstream/?domain=PayPal")
	domains := dial(t, wsURL(srv.URL)+"/certstream/domains-only?domain=paypal")
	waitFor(t, "two subscribers", func() bool { return h.Stats().Clients == 2 })
	for i, name := range []string{"a.example.com", "paypal-login.example.net", "b.example.com", "secure.paypal.com.evil.test"} {
		h.Publish(issued(t, []string{name}, false, int64(i)))
	}
	for _, want := range []string{"paypal-login.example.net", "secure.paypal.com.evil.test"} {
		m := readMessage(t, lite)
		names := m["data"].(map[string]any)["leaf_cert"].(map[string]any)["all_domains"].([]any)
		if len(names) != 1 || names[0] != want {
			t.Errorf("lite got %v, want %s", names, want)
		}
		d := readMessage(t, domains)
		if dn := d["data"].([]any); d["message_type"] != "dns_entries" || len(dn) != 1 || dn[0] != want {
			t.Errorf("domains-only got %v, want %s", d, want)
		}
	}
}

func TestWireSchema(t *testing.T) {
	h, srv := startHub(t, HubOptions{HeartbeatInterval: 5 * time.Millisecond})
	full := dial(t, wsURL(srv.URL)+"/certstream/full-stream")
	lite := dial(t, wsURL(srv.URL)+"/certstream")
	waitFor(t, "two subscribers", func() bool { return h.Stats().Clients == 2 })
	c := issued(t, []string{"Shop.Example.com"}, true, 77)
	h.Publish(c)

	f := readMessage(t, full)
	data := f["data"].(map[string]any)
	leaf := data["leaf_cert"].(map[string]any)
	src := data["source"].(map[string]any)
	checks := map[string][2]any{
		"message_type":       {f["message_type"], "certificate_update"},
		"update_type":        {data["update_type"], "PrecertLogEntry"},
		"cert_index":         {data["cert_index"], float64(77)},
		"cert_link":          {data["cert_link"], "https://ct.example.test/2026/ct/v1/get-entries?start=77&end=77"},
		"source.name":        {src["name"], testLog.Name},
		"source.url":         {src["url"], testLog.URL},
		"source.type":        {src["type"], "rfc6962"},
		"subject.CN":         {leaf["subject"].(map[string]any)["CN"], "Shop.Example.com"},
		"subject.aggregated": {leaf["subject"].(map[string]any)["aggregated"], "/CN=Shop.Example.com/O=Test Org"},
		"subject.C":          {leaf["subject"].(map[string]any)["C"], nil},
		"issuer.O":           {leaf["issuer"].(map[string]any)["O"], c.Issuer.O},
		"sha256":             {leaf["sha256"], colonHex(c.SHA256)},
		"fingerprint":        {leaf["fingerprint"], colonHex(c.SHA1)},
		"serial_number":      {leaf["serial_number"], strings.ToUpper(c.Serial)},
		"not_before":         {leaf["not_before"], float64(c.NotBefore.Unix())},
		"subjectAltName":     {leaf["extensions"].(map[string]any)["subjectAltName"], "DNS:shop.example.com"},
		"is_ca":              {leaf["is_ca"], false},
		"chain length":       {len(data["chain"].([]any)), 2},
		"chain[0].is_ca":     {data["chain"].([]any)[0].(map[string]any)["is_ca"], true},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
	if s, _ := leaf["as_der"].(string); s == "" {
		t.Error("full stream leaf has no as_der")
	}
	l := readMessage(t, lite)
	ldata := l["data"].(map[string]any)
	if _, ok := ldata["chain"]; ok {
		t.Error("lite message has a chain")
	}
	if _, ok := ldata["leaf_cert"].(map[string]any)["as_der"]; ok {
		t.Error("lite message has as_der")
	}

	// Heartbeats arrive on an idle connection.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := lite.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hb struct {
		MessageType string  `json:"message_type"`
		Timestamp   float64 `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &hb); err != nil || hb.MessageType != "heartbeat" || hb.Timestamp == 0 {
		t.Errorf("idle connection got %s, want a heartbeat", b)
	}
}

func TestExampleAndLatestJSON(t *testing.T) {
	h, srv := startHub(t, HubOptions{Prefix: "/feed/"})
	get := func(path string) (int, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	if code, _ := get("/feed/example.json"); code != http.StatusNotFound {
		t.Errorf("example.json before any certificate: %d, want 404", code)
	}
	for i := range 30 {
		h.Publish(issued(t, []string{fmt.Sprintf("n%d.example.com", i)}, false, int64(i)))
	}
	code, b := get("/feed/latest.json")
	var latest struct {
		Messages []struct {
			MessageType string `json:"message_type"`
			Data        struct {
				CertIndex int64 `json:"cert_index"`
			} `json:"data"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(b, &latest); err != nil || code != http.StatusOK {
		t.Fatalf("latest.json: %d %s %v", code, b, err)
	}
	if len(latest.Messages) != 25 || latest.Messages[0].Data.CertIndex != 29 || latest.Messages[24].Data.CertIndex != 5 ||
		latest.Messages[0].MessageType != "certificate_update" {
		t.Errorf("latest.json holds %d messages, first index %d", len(latest.Messages), latest.Messages[0].Data.CertIndex)
	}
	code, b = get("/feed/example.json")
	if code != http.StatusOK || !strings.Contains(string(b), `"n29.example.com"`) {
		t.Errorf("example.json: %d %s", code, b)
	}
	if code, _ := get("/certstream/latest.json"); code != http.StatusNotFound {
		t.Errorf("default prefix still served under a custom prefix: %d", code)
	}
}

func TestPublishWithNoClientsAndClosedHub(t *testing.T) {
	h, srv := startHub(t, HubOptions{})
	h.Publish(nil)
	h.Publish(issued(t, []string{"x.example.com"}, false, 1))
	h.Close()
	_, _, err := websocket.Dial(context.Background(), wsURL(srv.URL)+"/certstream/", nil)
	if err == nil {
		t.Error("a closed hub accepted a client")
	}
	if st := h.Stats(); st.Published != 1 || st.Sent != 0 {
		t.Errorf("stats = %+v", st)
	}
}
