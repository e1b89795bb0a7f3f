package certstream

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// FuzzDecodeFrame feeds arbitrary frames to the client's decoder: it must never panic, must
// keep at most maxMalformedData of a bad frame, must attribute every malformed record to
// this source (the sender chooses no keys), and must give only valid UTF-8 names. Run it with
//
//	go test -run XXX -fuzz FuzzDecodeFrame ./internal/certstream
func FuzzDecodeFrame(f *testing.F) {
	for _, name := range []string{"calidog-full-example.json", "server-go-lite-example.json"} {
		f.Add(readFixture(f, name), true)
	}
	f.Add([]byte(`{"message_type":"heartbeat"}`), true)
	f.Add([]byte(`{"message_type":"dns_entries","data":["a.example","b.example"]}`), true)
	f.Add([]byte(`{"message_type":"certificate_update","data":{"cert_index":7,"source":{"url":"https://l/"},"leaf_cert":{"as_der":"@@"}}}`), true)
	f.Add([]byte("\x00\x01"), false)
	c := NewClient(ClientOptions{URL: "wss://user:pw@certstream.example.test/full-stream"})
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, frame []byte, text bool) {
		typ := websocket.MessageBinary
		if text {
			typ = websocket.MessageText
		}
		it, ok := c.decode(typ, frame, now)
		if !ok {
			return
		}
		if m := it.malformed; m != nil {
			if len(m.Data) > maxMalformedData || m.Log != c.ref || m.Err == "" {
				t.Fatalf("malformed record %+v (data %d bytes)", m.Log, len(m.Data))
			}
			return
		}
		if it.entry.Parsed != nil {
			for _, n := range it.entry.Parsed.DNSNames {
				if !utf8.ValidString(n) {
					t.Fatalf("invalid UTF-8 name %q", n)
				}
			}
		}
		if strings.Contains(it.entry.Log.URL, "pw@") {
			t.Fatalf("entry log URL shows the source's password: %q", it.entry.Log.URL)
		}
	})
}
