package ctlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	bo "github.com/certhunt/certhunt/internal/backoff"
	"github.com/certhunt/certhunt/internal/buildinfo"
	"github.com/certhunt/certhunt/internal/redact"
)

// Fetch error kinds, the keys of Follower.FetchErrors.
const (
	KindNetwork     = "network"      // connection failed or body cut short
	KindHTTP        = "http"         // an HTTP status other than 200 and 429
	KindRateLimited = "rate_limited" // HTTP 429
	KindDecode      = "decode"       // an answer that does not parse (truncated tile, bad JSON)
	KindSignature   = "signature"    // a tree head whose signature does not verify
)

// FetchError is a failed request to a log, classified so that retry and metrics can tell
// a rate limit from a broken answer.
type FetchError struct {
	Kind string
	// Status is the HTTP status for KindHTTP and KindRateLimited.
	Status int
	// RetryAfter is the log's Retry-After on a 429, zero otherwise.
	RetryAfter time.Duration
	Err        error
}

func (e *FetchError) Error() string { return e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

func fetchErr(kind string, format string, args ...any) *FetchError {
	return &FetchError{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// errorKind classifies err for counting; errors that are not FetchErrors are network errors.
func errorKind(err error) string {
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return KindNetwork
}

// httpGet fetches url and returns its body, at most limit bytes; a longer body is an error
// rather than a silently truncated answer.
// Errors show the URL with its secrets masked.
func httpGet(ctx context.Context, client *http.Client, rawURL string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, redact.Error(err, rawURL)
	}
	url := redact.URL(rawURL)
	req.Header.Set("User-Agent", buildinfo.UserAgent(""))
	resp, err := client.Do(req)
	if err != nil {
		return nil, &FetchError{Kind: KindNetwork, Err: redact.Error(err, rawURL)}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, &FetchError{Kind: KindRateLimited, Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			Err: fmt.Errorf("GET %s: %s", url, resp.Status)}
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		fe := &FetchError{Kind: KindHTTP, Status: resp.StatusCode, Err: fmt.Errorf("GET %s: %s", url, resp.Status)}
		if resp.StatusCode == http.StatusServiceUnavailable {
			fe.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, fe
	}
	if resp.ContentLength > limit {
		return nil, fetchErr(KindDecode, "GET %s: answer of %d bytes, more than %d", url, resp.ContentLength, limit)
	}
	if resp.ContentLength > 0 {
		// One allocation of the announced size instead of ReadAll's regrowth copies; the
		// transport never delivers more than Content-Length.
		body := make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, &FetchError{Kind: KindNetwork, Err: redact.Error(fmt.Errorf("GET %s: %w", url, err), rawURL)}
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &FetchError{Kind: KindNetwork, Err: redact.Error(fmt.Errorf("GET %s: %w", url, err), rawURL)}
	}
	if int64(len(body)) > limit {
		return nil, fetchErr(KindDecode, "GET %s: answer larger than %d bytes", url, limit)
	}
	return body, nil
}

// parseRetryAfter reads a Retry-After header (RFC 9110 10.2.3) as of now: delta-seconds or
// an HTTP-date. Besides the three forms net/http knows (IMF-fixdate with GMT, RFC 850,
// asctime), it accepts RFC 1123 with another zone name or a numeric offset, since
// Skylight writes "UTC". Anything else, or a date in the past, is no wait.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(max(min(s, maxRetryAfterSeconds), 0)) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		if t, err = time.Parse(time.RFC1123, v); err != nil {
			if t, err = time.Parse(time.RFC1123Z, v); err != nil {
				return 0
			}
		}
	}
	return max(t.Sub(now), 0)
}

// maxRetryAfterSeconds keeps a hostile delta from overflowing a Duration; backoff caps the
// wait at MaxBackoff anyway.
const maxRetryAfterSeconds = 1 << 32

// withUserAgent returns a copy of client whose requests carry ua.
func withUserAgent(client *http.Client, ua string) *http.Client {
	c := *client
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = userAgentTransport{base: base, ua: ua}
	return &c
}

type userAgentTransport struct {
	base http.RoundTripper
	ua   string
}

func (t userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.ua)
	return t.base.RoundTrip(req)
}

// backoff is internal/backoff's schedule between min and max, honouring a log's Retry-After.
type backoff struct {
	min, max time.Duration
	b        bo.Backoff
}

// next returns how long to wait before the next attempt after err: the log's Retry-After
// (capped at max) on a 429, else the jittered exponential delay.
func (b *backoff) next(err error) time.Duration {
	var fe *FetchError
	if errors.As(err, &fe) && fe.RetryAfter > 0 {
		return min(fe.RetryAfter, b.max)
	}
	b.b.Min, b.b.Max = b.min, b.max
	return b.b.Next()
}

func (b *backoff) reset() { b.b.Reset() }

// sleep waits d or until ctx ends, reporting whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool { return bo.Sleep(ctx, d) }
