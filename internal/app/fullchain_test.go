package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/testcert"
)

// Entries from a static-ct-api log go out on the full stream with their chain, the
// issuers fetched from the log by hash.
func TestFullStreamCarriesStaticChain(t *testing.T) {
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	static, err := ctlogtest.NewStatic()
	if err != nil {
		t.Fatal(err)
	}
	defer static.Close()
	h := start(t, testConfig(t, `{"paypal.com": []}`, static.Info()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.base, "http")+"/certstream/full-stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	pair, err := ca.Pair([]string{"chain.example"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addPublish(t, static, ctlogtest.Entry{Precert: pair.Precert, Chain: ca.Chain()}, ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()})
	for seen := 0; seen < 2; {
		_, frame, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var msg struct {
			MessageType string `json:"message_type"`
			Data        struct {
				Chain []struct {
					AsDER string `json:"as_der"`
				} `json:"chain"`
			} `json:"data"`
		}
		if err := json.Unmarshal(frame, &msg); err != nil {
			t.Fatal(err)
		}
		if msg.MessageType != "certificate_update" {
			continue
		}
		seen++
		want := ca.Chain()
		if len(msg.Data.Chain) != len(want) {
			t.Fatalf("full-stream message with %d chain certificates, want %d: %s", len(msg.Data.Chain), len(want), frame)
		}
		for i, c := range msg.Data.Chain {
			if der, _ := base64.StdEncoding.DecodeString(c.AsDER); !bytes.Equal(der, want[i]) {
				t.Errorf("chain[%d] is not the issuer the log holds", i)
			}
		}
	}
}
