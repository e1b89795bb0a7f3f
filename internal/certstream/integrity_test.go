package certstream

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// certhunt hashes the DER itself: a message whose sha256 is another certificate's, or the
// hash of empty input sent without DER (certstream-server-go's tiled precerts), is counted
// and the sent hash is not kept.
func TestHashMismatchesCounted(t *testing.T) {
	h := NewHub(HubOptions{})
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/full-stream"})
	good := issued(t, []string{"good.example"}, false, 1)
	frame, err := h.encode(good, streamFull)
	if err != nil {
		t.Fatal(err)
	}
	if it, ok := c.decode(websocket.MessageText, frame, time.Now()); !ok || it.malformed != nil {
		t.Fatalf("decode: %v %+v", ok, it.malformed)
	}
	if n := c.Status().HashMismatches; n != 0 {
		t.Fatalf("an honest message counted as %d hash mismatches", n)
	}
	lied := bytes.Replace(frame, []byte(colonHex(good.SHA256)), []byte(colonHex(strings.Repeat("ab", 32))), 1)
	if bytes.Equal(lied, frame) {
		t.Fatal("the frame carries no sha256 to alter")
	}
	c.decode(websocket.MessageText, lied, time.Now())
	empty := `{"message_type":"certificate_update","data":{"update_type":"PrecertLogEntry","cert_index":3,` +
		`"source":{"name":"L","url":"https://l.example/"},"leaf_cert":{"sha256":"` + strings.ToUpper(emptySHA256) + `","all_domains":["x.example"]}}}`
	it, ok := c.decode(websocket.MessageText, []byte(empty), time.Now())
	if !ok || it.entry.Parsed == nil || it.entry.Parsed.SHA256 != "" {
		t.Errorf("the hash of empty input was kept: %+v", it.entry.Parsed)
	}
	if n := c.Status().HashMismatches; n != 2 {
		t.Errorf("hash mismatches %d, want 2", n)
	}
}

// Jumps in a log's cert_index are counted per log; going back is not a gap.
func TestIndexGapsCounted(t *testing.T) {
	c := NewClient(ClientOptions{URL: "ws://certstream.example.test/"})
	frame := func(log string, index int) []byte {
		return []byte(`{"message_type":"certificate_update","data":{"update_type":"X509LogEntry","cert_index":` +
			strconv.Itoa(index) + `,"source":{"name":"` + log + `","url":"https://` + log + `/"},` +
			`"leaf_cert":{"all_domains":["x.example"]}}}`)
	}
	for _, m := range []struct {
		log   string
		index int
	}{{"a", 10}, {"a", 11}, {"b", 500}, {"a", 15}, {"b", 501}, {"a", 12}, {"a", 16}, {"b", 510}} {
		if _, ok := c.decode(websocket.MessageText, frame(m.log, m.index), time.Now()); !ok {
			t.Fatal("certificate_update skipped")
		}
	}
	if st := c.Status(); st.IndexGaps != 2 || st.MissedEntries != 3+8 {
		t.Errorf("gaps %d, missed %d; want 2 and 11", st.IndexGaps, st.MissedEntries)
	}
}

// A CaliDog-style client (a 15 s read deadline on every frame, no pings of its own) stays
// connected to an idle hub on the default heartbeat. This takes about 20 s of real time:
// the deadline is the client's, so the test cannot be shortened without changing it.
func TestIdleHubKeepsCaliDogClient(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for two default heartbeats")
	}
	t.Parallel()
	h := NewHub(HubOptions{})
	defer h.Close()
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/certstream/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	for i := range 2 {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, msg, err := conn.Read(rctx)
		cancel()
		if err != nil {
			t.Fatalf("frame %d: the client's read deadline passed on an idle hub: %v", i, err)
		}
		if !bytes.Contains(msg, []byte(`"heartbeat"`)) {
			t.Fatalf("frame %d on an idle hub is not a heartbeat: %s", i, msg)
		}
	}
}
