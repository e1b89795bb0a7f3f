package ctlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	plain := errors.New("connection refused")
	for attempt := range 10 {
		d := b.next(plain)
		ceil := min(100*time.Millisecond<<attempt, time.Second)
		if d < 50*time.Millisecond || d > ceil {
			t.Errorf("attempt %d: wait %v outside [50ms, %v]", attempt, d, ceil)
		}
	}
	if d := b.next(&FetchError{Kind: KindRateLimited, RetryAfter: 700 * time.Millisecond}); d != 700*time.Millisecond {
		t.Errorf("Retry-After 700ms: wait %v", d)
	}
	if d := b.next(&FetchError{Kind: KindRateLimited, RetryAfter: time.Hour}); d != time.Second {
		t.Errorf("Retry-After 1h: wait %v, want the 1s cap", d)
	}
	b.reset()
	if d := b.next(plain); d > 100*time.Millisecond {
		t.Errorf("after reset: wait %v", d)
	}
}

// Retry-After in both RFC forms: delta-seconds and HTTP-date, in each date format a server
// writes, "UTC" (Skylight) and numeric offsets included.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"7":                                7 * time.Second,
		" 120 ":                            2 * time.Minute,
		"Thu, 03 Dec 2026 12:00:30 GMT":    30 * time.Second,
		"Thu, 03 Dec 2026 12:01:00 UTC":    time.Minute,
		"Thursday, 03-Dec-26 12:00:05 GMT": 5 * time.Second,
		"Thu Dec  3 12:00:09 2026":         9 * time.Second,
		"Thu, 03 Dec 2026 13:00:10 +0100":  10 * time.Second,
		"Thu, 03 Dec 2026 11:59:00 UTC":    0, // in the past
		"":                                 0,
		"soon":                             0,
		"-3":                               0,
		"1.5":                              0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
	if got := parseRetryAfter("99999999999999999999", now); got != 0 && got < time.Hour {
		t.Errorf("a huge delta: %v", got)
	}
}

// A 429 or 503 answer's Retry-After reaches the backoff in either form, and requests carry
// certhunt's User-Agent with the contact.
func TestRetryAfterAndUserAgent(t *testing.T) {
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents = append(agents, r.UserAgent())
		switch r.URL.Path {
		case "/429":
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format("Mon, 02 Jan 2006 15:04:05")+" UTC")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/503":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	client := FollowerOptions{Contact: "mailto:ct@example.org"}.withDefaults().HTTPClient
	for _, path := range []string{"/429", "/503"} {
		_, err := httpGet(context.Background(), client, srv.URL+path, 100)
		var fe *FetchError
		if !errors.As(err, &fe) || fe.RetryAfter < 50*time.Minute || fe.RetryAfter > time.Hour {
			t.Errorf("%s: %v, Retry-After %v", path, err, fe)
		}
		b := backoff{min: time.Millisecond, max: 2 * time.Hour}
		if d := b.next(err); d < 50*time.Minute {
			t.Errorf("%s: backoff %v ignores Retry-After", path, d)
		}
	}
	for _, ua := range agents {
		if !strings.HasPrefix(ua, "certhunt/") || !strings.HasSuffix(ua, " (+mailto:ct@example.org)") {
			t.Errorf("User-Agent %q", ua)
		}
	}
}

func TestHTTPGetBoundsAnswers(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 2048)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write(big[:1024])
			w.(http.Flusher).Flush()
			w.Write(big[1024:])
		case "/limited":
			w.Header().Set("Retry-After", "9")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Write(big)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, path := range []string{"/sized", "/chunked"} {
		if _, err := httpGet(ctx, srv.Client(), srv.URL+path, 1000); errorKind(err) != KindDecode {
			t.Errorf("%s over the limit: %v", path, err)
		}
		if body, err := httpGet(ctx, srv.Client(), srv.URL+path, 4096); err != nil || !bytes.Equal(body, big) {
			t.Errorf("%s: %d bytes, %v", path, len(body), err)
		}
	}
	_, err := httpGet(ctx, srv.Client(), srv.URL+"/limited", 1000)
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Kind != KindRateLimited || fe.Status != 429 || fe.RetryAfter != 9*time.Second {
		t.Errorf("429: %#v", err)
	}
}

// A partial tile that is gone because the tile filled up is read from the full tile, and
// a gzipped full tile is decompressed.
func TestStaticPartialTileFallsBackToFullTile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(navigliDir, "tile/data/000"))
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(data)
	zw.Close()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path != "/log/tile/data/000" {
			http.NotFound(w, r)
			return
		}
		w.Write(zipped.Bytes())
	}))
	defer srv.Close()
	info, err := NewLogInfo("navigli", srv.URL+"/log", TypeStatic, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newStaticClient(info, srv.Client(), false)
	b, n, err := c.fetch(context.Background(), span{2, 7})
	if err != nil || n != 5 || len(b.Entries) != 5 || b.Entries[0].Index != 2 {
		t.Fatalf("n = %d, %d entries, err %v", n, len(b.Entries), err)
	}
	if want := []string{"/log/tile/data/000.p/7", "/log/tile/data/000"}; !slices.Equal(paths, want) {
		t.Errorf("requested %v, want %v", paths, want)
	}
	if _, _, err := c.fetch(context.Background(), span{256, 300}); errorKind(err) != KindHTTP {
		t.Errorf("missing tile: %v", err)
	}
}
