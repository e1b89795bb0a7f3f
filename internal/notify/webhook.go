package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers. The signature covers the exact body bytes (not the timestamp header);
// receivers verify it with the shared secret before trusting the payload, and can refuse
// replays by the incident's updated_at in the body.
const (
	HeaderSignature = "X-Certhunt-Signature"
	HeaderTimestamp = "X-Certhunt-Timestamp"
	HeaderEvent     = "X-Certhunt-Event"
)

// webhook POSTs the incident JSON with {"event": kind}.
type webhook struct {
	cfg    Config
	client *http.Client
	links  linker
}

func (w *webhook) send(ctx context.Context, ev Event) error {
	body, err := marshalPayload(ev, w.links)
	if err != nil {
		return permanentError{err}
	}
	h := http.Header{}
	h.Set(HeaderEvent, ev.Kind)
	h.Set(HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
	if w.cfg.Secret != "" {
		h.Set(HeaderSignature, Sign([]byte(w.cfg.Secret), body))
	}
	return post(ctx, w.client, w.cfg.URL, body, keyed(h, ev))
}

// Sign returns the X-Certhunt-Signature value for body: "sha256=" and the hex HMAC-SHA256.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
