package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/certhunt/certhunt/internal/incident"
)

// linker builds links back to the incident page of the web UI.
type linker struct{ base string }

// incident returns <base>/#/incidents/<id>, or "" when no base URL is configured.
func (l linker) incident(id string) string {
	if l.base == "" {
		return ""
	}
	return l.base + "/#/incidents/" + url.PathEscape(id)
}

// payload is the JSON document the webhook and file targets write: the incident as the API
// shows it, plus what happened and where to look.
type payload struct {
	Event string `json:"event"`
	Link  string `json:"link,omitempty"`
	// ChangeKey is the Event's Key (in a cluster): the same for every copy of one change.
	ChangeKey string `json:"change_key,omitempty"`
	incident.Incident
}

func marshalPayload(ev Event, links linker) ([]byte, error) {
	return json.Marshal(payload{Event: ev.Kind, Link: links.incident(ev.Incident.ID), ChangeKey: ev.Key, Incident: ev.Incident})
}

// HeaderIdempotencyKey carries the Event's Key on every HTTP target's request, when it has one.
const HeaderIdempotencyKey = "Idempotency-Key"

// keyed adds ev's idempotency key to h.
func keyed(h http.Header, ev Event) http.Header {
	if ev.Key != "" {
		h.Set(HeaderIdempotencyKey, ev.Key)
	}
	return h
}

// maxErrorBody bounds how much of a receiver's error answer is read and quoted.
const maxErrorBody = 512

// post sends body to rawURL. Network errors and 5xx, 408, 425 and 429 answers are worth
// retrying; other non-2xx answers are permanent.
func post(ctx context.Context, client *http.Client, rawURL string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("building request for %s: %w", redactURL(rawURL), err)}
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "certhunt")
	resp, err := client.Do(req)
	if err != nil {
		// The URL may carry a secret (Slack webhooks do); say where without it.
		return fmt.Errorf("POST %s: %w", redactURL(rawURL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("POST %s: %s: %s", redactURL(rawURL), resp.Status, printable(string(snippet)))
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return err
	}
	if resp.StatusCode < 500 {
		return permanentError{err}
	}
	return err
}

// redactURL keeps scheme, host and the first path segment of rawURL: enough to say which
// receiver failed without printing tokens embedded in webhook paths.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	path := u.Path
	if first, rest, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/"); ok && rest != "" {
		path = "/" + first + "/…"
	}
	return u.Scheme + "://" + u.Host + path
}

// unwrapURLError drops *url.Error's copy of the full URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// printable makes untrusted text safe for one log line: control characters become spaces.
func printable(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}
