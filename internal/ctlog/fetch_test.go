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

func TestParseRetryAfter(t *testing.T) {
	if d := parseRetryAfter("7"); d != 7*time.Second {
		t.Errorf("7: %v", d)
	}
	if d := parseRetryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); d < 50*time.Second || d > time.Minute {
		t.Errorf("date a minute ahead: %v", d)
	}
	for _, v := range []string{"", "soon", "-3"} {
		if d := parseRetryAfter(v); d != 0 {
			t.Errorf("%q: %v", v, d)
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
