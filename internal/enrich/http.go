package enrich

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/twmb/murmur3"
	"golang.org/x/sync/singleflight"

	"github.com/certhunt/certhunt/internal/incident"
)

// Site fetches a suspect name's page (enrich.http): https first, then http, through Proxy
// when set, within a budget no server can stretch, and never at a non-public address unless
// AllowPrivate. Every host it connects to, redirects included, is resolved through DNS (the
// enrichment resolvers) and checked here; without a proxy the checked address is what is
// dialled, so a second DNS answer cannot point the connection elsewhere.
type Site struct {
	// DNS resolves every host contacted (the enrichment resolvers).
	DNS *DNS
	// Proxy, when set, carries every request: https through CONNECT to the address checked
	// here, http as a forward-proxy request (the proxy resolves the name itself, after
	// certhunt has checked its own answer).
	Proxy        *url.URL
	AllowPrivate bool
	// Timeout bounds each connection, TLS handshake and wait for response headers (default
	// 10s); Deadline bounds one whole look, redirects, icon and body included (default 30s).
	Timeout, Deadline time.Duration
	// MaxBody is the most of a body read (default 2 MiB); the rest is not downloaded.
	MaxBody   int64
	UserAgent string
	// BrandTTL is how long a protected domain's own page is kept for comparisons (default 6h).
	BrandTTL time.Duration
	// HTTPSPort and HTTPPort are the ports of the first request (default 443 and 80): labs
	// and tests serve elsewhere.
	HTTPSPort, HTTPPort string
	Now                 func() time.Time

	once   sync.Once
	client *http.Client

	mu     sync.Mutex
	brands map[string]brandEntry
	flight singleflight.Group
}

type brandEntry struct {
	page    *page
	err     string
	expires time.Time
}

// Fetch bounds.
const (
	DefaultMaxBody   = 2 << 20
	maxIcon          = 100 << 10
	maxURLLen        = 2048
	maxBrands        = 1000
	brandErrorTTL    = 30 * time.Minute
	maxHeaderBytes   = 64 << 10
	defaultSiteTTL   = 6 * time.Hour
	defaultSiteWait  = 10 * time.Second
	defaultSiteTotal = 30 * time.Second
)

func (s *Site) init() {
	s.once.Do(func() {
		g := newGuard(resolverOf(s.DNS), s.Proxy, s.AllowPrivate, cmpDuration(s.Timeout, defaultSiteWait))
		// Certificates are not verified: a phishing site's certificate is evidence to record
		// (is it the one from CT?), not a reason to look away; nothing secret is sent.
		rt := g.transport(&tls.Config{InsecureSkipVerify: true}, false) //nolint:gosec // see above
		s.client = &http.Client{Transport: rt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if list, ok := req.Context().Value(redirectsKey{}).(*[]string); ok && len(*list) < maxRedirects+1 {
				*list = append(*list, truncate(req.URL.String(), maxURLLen))
			}
			if len(via) > maxRedirects {
				return errRedirects
			}
			return nil
		}}
	})
}

// fetched is one URL's answer.
type fetched struct {
	url, final string
	redirects  []string
	status     int
	ctype      string
	body       []byte
	truncated  bool
	leaf       string // SHA-256 of the served certificate, hex
}

// get fetches u, following redirects, reading at most limit bytes of the final body.
func (s *Site) get(ctx context.Context, u string, limit int64) (*fetched, error) {
	s.init()
	f := &fetched{url: u}
	ctx = withRedirects(ctx, &f.redirects)
	// The certificate compared with CT's is the first one served (the suspect name's own), not
	// the last: a redirect to another site would answer with that site's.
	var (
		mu   sync.Mutex // a dial's handshake may end on another goroutine
		leaf string
	)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
		mu.Lock()
		defer mu.Unlock()
		if leaf == "" && err == nil && len(cs.PeerCertificates) > 0 {
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			leaf = hex.EncodeToString(sum[:])
		}
	}})
	defer func() {
		mu.Lock()
		f.leaf = leaf
		mu.Unlock()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return f, err
	}
	req.Header.Set("User-Agent", s.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := s.client.Do(req)
	if err != nil {
		return f, cleanErr(err)
	}
	defer resp.Body.Close()
	f.final = truncate(resp.Request.URL.String(), maxURLLen)
	if s.Proxy != nil && resp.Request.URL.Scheme == "http" && (resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout) {
		// Through a forward proxy, a gateway error is the proxy saying the site did not answer.
		return f, fmt.Errorf("the proxy answered %q: no answer from the site", truncate(resp.Status, 64))
	}
	f.status = resp.StatusCode
	f.ctype = printable(resp.Header.Get("Content-Type"), 100)
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // a transport cut short by the deadline may read as a clean end
	}
	if int64(len(body)) > limit {
		body, f.truncated = body[:limit], true
	}
	f.body = body
	if err != nil && !f.truncated {
		return f, fmt.Errorf("reading the body: %w", cleanErr(err))
	}
	return f, nil
}

type redirectsKey struct{}

// withRedirects has CheckRedirect record the chain in list: a redirect's request carries the
// first one's context.
func withRedirects(ctx context.Context, list *[]string) context.Context {
	return context.WithValue(ctx, redirectsKey{}, list)
}

// cleanErr drops url.Error's repetition of the URL (the evidence names it already).
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// Fetch looks at name's site and compares it with asset's own page. certs are the SHA-256s
// (hex) of the incident's certificates. Failures are recorded in the evidence, never returned.
func (s *Site) Fetch(ctx context.Context, name, asset string, certs []string) *incident.HTTPEvidence {
	ctx, cancel := context.WithTimeout(ctx, cmpDuration(s.Deadline, defaultSiteTotal))
	defer cancel()
	ev := &incident.HTTPEvidence{}
	f, err := s.first(ctx, name)
	ev.URL = f.url
	ev.Redirects = f.redirects[:min(len(f.redirects), maxRedirects)] // each cut to maxURLLen as recorded
	if err != nil {
		ev.Error = printable(err.Error(), 500)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !strings.HasPrefix(ev.Error, "timeout") {
			ev.Error = "timeout: " + ev.Error
		}
		if f.status == 0 {
			return ev
		}
	}
	ev.Status, ev.FinalURL, ev.ContentType = f.status, f.final, f.ctype
	ev.Bytes, ev.Truncated = int64(len(f.body)), f.truncated
	if f.leaf != "" {
		ev.CertSHA256 = f.leaf
		m := false
		for _, c := range certs {
			m = m || strings.EqualFold(c, f.leaf)
		}
		ev.CertMatchesCT = &m
	}
	p := parsePage(f.body)
	ev.Title = p.title
	ev.LoginForm, ev.PasswordForm, ev.PaymentForm = p.login, p.password, p.payment
	ev.BrandWords = p.brandWords(asset)
	ev.Parked = p.parked()
	ev.FaviconHash = s.favicon(ctx, f.final, p.icon)
	if brand, err := s.brandPage(ctx, asset); err != nil {
		ev.BrandError = truncate(err.Error(), 300)
	} else {
		sim := float64(int(similarity(p, brand)*100+0.5)) / 100
		ev.BrandSimilarity = &sim
	}
	return ev
}

// first fetches https://name/, or http://name/ when https gave no answer.
func (s *Site) first(ctx context.Context, name string) (*fetched, error) {
	u := "https://" + hostPort(name, s.HTTPSPort, "443") + "/"
	f, err := s.get(ctx, u, cmpInt(s.MaxBody, DefaultMaxBody))
	var refused refusedError
	if err == nil || f.status > 0 || len(f.redirects) > 0 || ctx.Err() != nil || errors.As(err, &refused) {
		return f, err // an answer, a redirect followed, or no time left: https spoke for the site
	}
	f2, err2 := s.get(ctx, "http://"+hostPort(name, s.HTTPPort, "80")+"/", cmpInt(s.MaxBody, DefaultMaxBody))
	if err2 != nil && f2.status == 0 {
		return f, fmt.Errorf("https: %v; http: %v", err, err2)
	}
	return f2, err2
}

// favicon is Shodan's hash of the page's icon (its <link rel=icon>, else /favicon.ico).
func (s *Site) favicon(ctx context.Context, base, href string) *int32 {
	if base == "" || ctx.Err() != nil {
		return nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return nil
	}
	if href == "" {
		href = "/favicon.ico"
	}
	ref, err := url.Parse(href)
	if err != nil {
		return nil
	}
	u := b.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil // data: icons and the like
	}
	f, err := s.get(ctx, u.String(), maxIcon)
	if err != nil || f.status != http.StatusOK || len(f.body) == 0 || f.truncated {
		return nil
	}
	h := FaviconHash(f.body)
	return &h
}

// FaviconHash is Shodan's http.favicon.hash: MurmurHash3 (x86, 32-bit, seed 0), as a signed
// integer, of the icon's base64 text with a newline after every 76 characters and at the end
// (Python's base64.encodebytes), which is what analysts pivot on.
func FaviconHash(icon []byte) int32 {
	enc := base64.StdEncoding.EncodeToString(icon)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteByte('\n')
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteByte('\n')
	return int32(murmur3.Sum32([]byte(b.String())))
}

// brandPage is asset's own page, fetched the same way and kept for BrandTTL (a failure for
// less), one fetch at a time per asset.
func (s *Site) brandPage(ctx context.Context, asset string) (*page, error) {
	now := cmpNow(s.Now)()
	key := strings.ToLower(asset)
	s.mu.Lock()
	e, ok := s.brands[key]
	s.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		v, _, _ := s.flight.Do(key, func() (any, error) {
			e := brandEntry{expires: now.Add(cmpDuration(s.BrandTTL, defaultSiteTTL))}
			f, err := s.first(ctx, asset)
			switch {
			case err != nil && f.status == 0:
				e.err, e.expires = "the protected site: "+truncate(err.Error(), 200), now.Add(brandErrorTTL)
			default:
				e.page = parsePage(f.body)
			}
			if ctx.Err() == nil { // a look cut short does not speak for the site
				s.mu.Lock()
				if s.brands == nil || len(s.brands) >= maxBrands {
					s.brands = map[string]brandEntry{}
				}
				s.brands[key] = e
				s.mu.Unlock()
			}
			return e, nil
		})
		e = v.(brandEntry)
	}
	if e.page == nil {
		return nil, errors.New(e.err)
	}
	return e.page, nil
}

func hostPort(host, port, def string) string {
	if port == "" || port == def {
		return host
	}
	return net.JoinHostPort(host, port)
}

func cmpInt(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}
