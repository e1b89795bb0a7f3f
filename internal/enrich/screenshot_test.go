package enrich

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certhunt/certhunt/internal/browsertest"
	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/enrich/enrichtest"
	"github.com/certhunt/certhunt/internal/incident"
)

// shotBrandPage is the protected site's page; a clone serves the same, another site something else.
const shotBrandPage = `<!doctype html><html><body style="margin:0;font-family:sans-serif;background:#fff">
<div style="background:#003087;height:120px"></div>
<div style="margin:80px auto;width:400px;padding:40px;border:2px solid #ccc">
<h1 style="color:#003087">Log in to your account</h1>
<div style="height:40px;border:1px solid #888;margin:20px 0"></div>
<div style="height:40px;border:1px solid #888;margin:20px 0"></div>
<div style="height:50px;background:#0070ba;border-radius:25px"></div></div></body></html>`

const otherPage = `<!doctype html><html><body style="margin:0;background:#222;color:#eee">
<div style="display:flex;gap:10px;padding:10px">` +
	`<div style="width:300px;height:700px;background:#c33"></div>` +
	`<div style="width:500px;height:300px;background:#3c3"></div>` +
	`<div style="width:200px;height:500px;background:#eee"></div></div></body></html>`

// loopbackSites serves pages on 127.0.0.1 under made-up names: resolve maps each name to
// 127.0.0.1, pages to its server's port. hits counts requests that reached any server.
type loopbackSites struct {
	ports map[string]string
	hits  atomic.Int64
}

func newLoopbackSites(t *testing.T, pages map[string]string) *loopbackSites {
	ls := &loopbackSites{ports: map[string]string{}}
	for name, body := range pages {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ls.hits.Add(1)
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		ls.ports[name] = port
	}
	return ls
}

func (ls *loopbackSites) resolve(_ context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if _, ok := ls.ports[host]; ok {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, fmt.Errorf("%s: NXDOMAIN", host)
}

func (ls *loopbackSites) pages(host string) []string {
	if host == "127.0.0.1" { // the literal address: the first site's port
		for _, port := range ls.ports {
			return []string{"http://127.0.0.1:" + port + "/"}
		}
	}
	return []string{"http://" + host + ":" + ls.ports[host] + "/"}
}

func newShooter(t *testing.T, ls *loopbackSites, allowPrivate bool) *Screenshots {
	s := &Screenshots{Dir: filepath.Join(t.TempDir(), "screenshots"), Chromium: browsertest.Chromium(), Timeout: time.Minute,
		Resolve: ls.resolve, AllowPrivate: allowPrivate, pages: ls.pages}
	t.Cleanup(s.Close)
	return s
}

// TestScreenshotLoopback: a loopback suspect page lands as a 0600 PNG of the viewport beside
// the protected site's, and a clone of the brand's page is far more similar than another page.
func TestScreenshotLoopback(t *testing.T) {
	browsertest.Skip(t)
	ls := newLoopbackSites(t, map[string]string{"brand.test": shotBrandPage, "clone.test": shotBrandPage, "other.test": otherPage})
	s := newShooter(t, ls, true)
	ctx := context.Background()

	clone := s.Take(ctx, "1", "clone.test", "brand.test")
	if clone.Error != "" || clone.VisualSimilarity == nil {
		t.Fatalf("clone: %+v", clone)
	}
	if clone.URL != "/api/v1/incidents/1/screenshot.png" || clone.ProtectedURL != "/api/v1/incidents/1/screenshot-protected.png" {
		t.Errorf("clone URLs: %q %q", clone.URL, clone.ProtectedURL)
	}
	other := s.Take(ctx, "2", "other.test", "brand.test")
	if other.Error != "" || other.VisualSimilarity == nil {
		t.Fatalf("other: %+v", other)
	}
	t.Logf("visual similarity: clone %.3f, other page %.3f", *clone.VisualSimilarity, *other.VisualSimilarity)
	if *clone.VisualSimilarity < VisualSimilarityThreshold {
		t.Errorf("clone similarity %.3f is under %.2f", *clone.VisualSimilarity, VisualSimilarityThreshold)
	}
	if *other.VisualSimilarity >= VisualSimilarityThreshold || *other.VisualSimilarity >= *clone.VisualSimilarity {
		t.Errorf("other page similarity %.3f, clone %.3f", *other.VisualSimilarity, *clone.VisualSimilarity)
	}

	if fi, err := os.Stat(s.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v %v", fi.Mode(), err)
	}
	for _, f := range []string{File(s.Dir, "1", false), File(s.Dir, "1", true), File(s.Dir, "2", false), File(s.Dir, "2", true)} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", f, fi.Mode())
		}
		b, _ := os.ReadFile(f)
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != ViewportWidth || cfg.Height != ViewportHeight {
			t.Errorf("%s: %dx%d %v", f, cfg.Width, cfg.Height, err)
		}
	}
	// The brand's site was shot once and reused for the second incident.
	entries, _ := filepath.Glob(filepath.Join(s.Dir, "asset-*.png"))
	if len(entries) != 1 {
		t.Errorf("cached protected pictures: %v", entries)
	}

	// A browser that died is started again for the next shot.
	s.mu.Lock()
	proc, lost := chromedp.FromContext(s.bctx).Browser.Process(), s.lost
	s.mu.Unlock()
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	<-lost
	if ev := s.Take(ctx, "3", "clone.test", "brand.test"); ev.Error != "" || ev.VisualSimilarity == nil {
		t.Errorf("after the browser died: %+v", ev)
	}
}

// TestScreenshotRefusesPrivate: without allow_private the guard proxy refuses 127.0.0.1, no
// request reaches the loopback server, and the evidence says why.
func TestScreenshotRefusesPrivate(t *testing.T) {
	browsertest.Skip(t)
	ls := newLoopbackSites(t, map[string]string{"clone.test": shotBrandPage})
	s := newShooter(t, ls, false)
	ev := s.Take(context.Background(), "1", "clone.test", "brand.test")
	t.Logf("error: %s", ev.Error)
	if !strings.Contains(ev.Error, "refusing to contact clone.test (127.0.0.1)") || ev.URL != "" || ev.VisualSimilarity != nil {
		t.Errorf("evidence: %+v", ev)
	}
	if n := ls.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the loopback server", n)
	}
	if _, err := os.Stat(File(s.Dir, "1", false)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a picture was saved: %v", err)
	}
	// Chromium would go straight to loopback addresses but for <-loopback>: they go through
	// the guard too.
	ev = s.Take(context.Background(), "2", "127.0.0.1", "")
	if !strings.Contains(ev.Error, "refusing to contact 127.0.0.1") || ls.hits.Load() != 0 {
		t.Errorf("literal loopback: %+v, %d requests", ev, ls.hits.Load())
	}
}

// TestScreenshotDialogAndFreshContext: a page that opens alert() on load is still pictured,
// and a cookie it set is gone at the next shot (each shot is a fresh incognito context).
func TestScreenshotDialogAndFreshContext(t *testing.T) {
	browsertest.Skip(t)
	var cookies []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "tracker", Value: "1", MaxAge: 3600})
		fmt.Fprint(w, `<!doctype html><h1>hi</h1><script>alert("stop"); confirm("really?")</script>`)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ls := &loopbackSites{ports: map[string]string{"alert.test": port}}
	s := newShooter(t, ls, true)
	for range 2 {
		if ev := s.Take(context.Background(), "1", "alert.test", ""); ev.Error != "" || ev.URL == "" {
			t.Errorf("evidence: %+v", ev)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(cookies) != 2 || cookies[0] != "" || cookies[1] != "" {
		t.Errorf("cookies sent: %q", cookies)
	}
}

// proxyClient is an http.Client that sends everything through g.
func proxyClient(g *browserGuard) *http.Client {
	u, _ := url.Parse("http://" + g.addr())
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}, Timeout: time.Minute}
}

// TestGuardChecksEveryConnection: the guard forwards to allowed addresses, refuses private
// ones for plain requests, CONNECT tunnels and redirects alike, and notes each refusal.
func TestGuardChecksEveryConnection(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://internal.test:"+r.URL.Query().Get("port")+"/", http.StatusFound)
			return
		}
		fmt.Fprint(w, "hello from "+r.Host)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer tlsSrv.Close()
	_, tlsPort, _ := net.SplitHostPort(tlsSrv.Listener.Addr().String())
	// public.test stands for a public name: its check is made to pass by allowing private.
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "internal.test", "public.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("NXDOMAIN")
	}

	open, err := startGuard(resolve, true, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer open.stop()
	resp, err := proxyClient(open).Get("http://public.test:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if body.String() != "hello from public.test:"+port {
		t.Errorf("forwarded: %q (the Host header keeps the name)", body.String())
	}

	closed, err := startGuard(resolve, false, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer closed.stop()
	before := hits.Load()
	c := proxyClient(closed)
	if _, err := c.Get("http://internal.test:" + port + "/"); err == nil {
		t.Error("plain request to 127.0.0.1 was forwarded")
	}
	tc := tlsSrv.Client()
	tc.Transport.(*http.Transport).Proxy = c.Transport.(*http.Transport).Proxy
	if _, err := tc.Get("https://internal.test:" + tlsPort + "/"); err == nil {
		t.Error("CONNECT to 127.0.0.1 was tunnelled")
	}
	if _, err := c.Get("http://127.0.0.1:" + port + "/"); err == nil {
		t.Error("a literal 127.0.0.1 was forwarded")
	}
	if _, err := c.Get("http://[::1]:" + port + "/"); err == nil {
		t.Error("a literal ::1 was forwarded")
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("%d requests reached the server through the closed guard", n)
	}
	p := closed.problems()
	if len(p) == 0 || !strings.Contains(p[0], "refusing to contact internal.test (127.0.0.1)") {
		t.Errorf("problems: %q", p)
	}

	// A redirect is a new request, checked again: a guard that allows only 127.0.0.1 follows
	// public.test there but not the redirect to internal.test at 127.0.0.2.
	hop, err := startGuard(func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "public.test" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
	}, true, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer hop.stop()
	hop.allow = func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") }
	before = hits.Load()
	if _, err := proxyClient(hop).Get("http://public.test:" + port + "/redirect?port=" + port); err == nil {
		t.Error("the redirect to 127.0.0.2 was followed")
	}
	if n := hits.Load() - before; n != 1 {
		t.Errorf("%d requests reached the server, want the first hop only", n)
	}
	if p := hop.problems(); len(p) != 1 || !strings.Contains(p[0], "internal.test (127.0.0.2)") {
		t.Errorf("problems: %q", p)
	}
}

// TestGuardUpstreamProxy: with enrich.http.proxy set, tunnels go through it, asked for the
// checked address rather than the name.
func TestGuardUpstreamProxy(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer tlsSrv.Close()
	_, tlsPort, _ := net.SplitHostPort(tlsSrv.Listener.Addr().String())
	var asked atomic.Value
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.Method + " " + r.Host)
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		down, buf, _ := w.(http.Hijacker).Hijack()
		defer down.Close()
		io.WriteString(down, "HTTP/1.1 200 OK\r\n\r\n")
		done := make(chan struct{}, 2)
		go func() { buf.WriteTo(up); io.Copy(up, down); done <- struct{}{} }()
		go func() { io.Copy(down, up); done <- struct{}{} }()
		<-done
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	g, err := startGuard(func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}, true, u, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer g.stop()
	c := tlsSrv.Client()
	c.Transport.(*http.Transport).Proxy = proxyClient(g).Transport.(*http.Transport).Proxy
	resp, err := c.Get("https://example.com:" + tlsPort + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := asked.Load(); got != "CONNECT 127.0.0.1:"+tlsPort {
		t.Errorf("upstream was asked %v", got)
	}

	// Plain http is a forward-proxy request, made after the name's answer is checked; Go puts
	// the Host header (the name) in the request line, so the upstream resolves it itself, as
	// for the site fetch (ssrf.go's forwardProxy).
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer plain.Close()
	_, port, _ := net.SplitHostPort(plain.Listener.Addr().String())
	fp := enrichtest.NewProxy(t, nil)
	fu, _ := url.Parse(fp.URL)
	g2, err := startGuard(func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}, true, fu, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.stop()
	resp, err = proxyClient(g2).Get("http://example.com:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if log := fp.Log(); len(log) != 1 || log[0] != "GET http://example.com:"+port+"/" {
		t.Errorf("upstream log: %q", log)
	}
}

func testPNG(t *testing.T, draw func(x, y int) color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := range 200 {
		for x := range 320 {
			img.Set(x, y, draw(x, y))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVisualSimilarity: a picture is itself (1), a slight change stays above the threshold,
// an unrelated picture falls below it, and a non-PNG is an error.
func TestVisualSimilarity(t *testing.T) {
	bars := func(x, y int) color.Color {
		if y < 40 || (x > 100 && x < 220 && y > 80 && y < 160) {
			return color.RGBA{0, 48, 135, 255}
		}
		return color.White
	}
	a := testPNG(t, bars)
	slight := testPNG(t, func(x, y int) color.Color {
		if x > 150 && x < 160 && y > 180 && y < 186 {
			return color.Gray{128} // a small change: a digit of a clock, say
		}
		return bars(x, y)
	})
	other := testPNG(t, func(x, y int) color.Color {
		if (x/40+y/40)%2 == 0 {
			return color.Black
		}
		return color.White
	})
	if s, err := VisualSimilarity(a, a); err != nil || s != 1 {
		t.Errorf("same: %v %v", s, err)
	}
	if s, _ := VisualSimilarity(a, slight); s < VisualSimilarityThreshold {
		t.Errorf("slight change: %.3f", s)
	}
	if s, _ := VisualSimilarity(a, other); s >= VisualSimilarityThreshold {
		t.Errorf("unrelated: %.3f", s)
	}
	if _, err := VisualSimilarity(a, []byte("<html>")); err == nil {
		t.Error("not a PNG: no error")
	}
}

// TestLooksLikeBrandEvidence: high visual similarity adds the reason and points, and the
// history notes it once.
func TestLooksLikeBrandEvidence(t *testing.T) {
	high, low := 0.95, 0.6
	ev := incident.Enrichment{Screenshot: &incident.ScreenshotEvidence{VisualSimilarity: &high}}
	var found bool
	for _, r := range Reasons(ev) {
		if r.Rule == RuleLooksLikeBrand && r.Points == pointsLooksLike && strings.Contains(r.Detail, "0.95") {
			found = true
		}
	}
	if !found {
		t.Errorf("reasons: %+v", Reasons(ev))
	}
	if r := Reasons(incident.Enrichment{Screenshot: &incident.ScreenshotEvidence{VisualSimilarity: &low}}); len(r) != 0 {
		t.Errorf("low similarity: %+v", r)
	}
	if c := changes(nil, ev); len(c) != 1 || c[0] != ChangeLooksLikeBrand {
		t.Errorf("first look: %q", c)
	}
	prev := ev
	prev.History = []incident.EnrichmentChange{{Change: ChangeLooksLikeBrand}}
	if c := changes(&prev, ev); len(c) != 0 {
		t.Errorf("again: %q", c)
	}
	prev = incident.Enrichment{Screenshot: &incident.ScreenshotEvidence{VisualSimilarity: &low}}
	if c := changes(&prev, ev); len(c) != 1 {
		t.Errorf("became alike: %q", c)
	}
}

// TestEnricherScreenshot: a look at a name that resolves takes the screenshots, with the
// guard resolving through the enrichment resolvers; a clone of the brand's page adds the
// reason, its points and a history entry, and Raise carries the reason to the incident.
func TestEnricherScreenshot(t *testing.T) {
	browsertest.Skip(t)
	// Names of .test: Chromium upgrades HSTS-preloaded names such as paypal.com to https.
	z := startZone(t, "brand-login.test. 300 IN A 127.0.0.1\nbrand.test. 300 IN A 127.0.0.1\n")
	ls := newLoopbackSites(t, map[string]string{"brand-login.test": shotBrandPage, "brand.test": shotBrandPage})
	store, err := incident.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dnsc := &DNS{Servers: []string{z.addr}}
	shots := &Screenshots{Dir: filepath.Join(t.TempDir(), "screenshots"), Chromium: browsertest.Chromium(), Timeout: time.Minute,
		Resolve: dnsc.Addrs, AllowPrivate: true, pages: ls.pages}
	defer shots.Close()
	looked := make(chan incident.Enrichment, 1)
	e := New(Options{Store: store, DNS: dnsc, Screenshots: shots, Rate: 1000,
		OnEnriched: func(_ *incident.Incident, ev incident.Enrichment) { looked <- ev }})
	ch, err := store.Record(context.Background(), detect.Alert{Asset: "brand.test", Domain: "brand-login.test", RegisteredDomain: "brand-login.test",
		Score: 70, Severity: "high", Incident: true}, &certs.Cert{SHA256: strings.Repeat("ab", 32), Log: certs.LogRef{URL: "http://log"}})
	if err != nil {
		t.Fatal(err)
	}
	target := incident.EnrichTarget{ID: ch.Incident.ID, Domain: "brand-login.test", RegisteredDomain: "brand-login.test"}
	e.Look(context.Background(), target)
	ev := <-looked
	if ev.Screenshot == nil || ev.Screenshot.Error != "" || !looksLike(ev.Screenshot) {
		t.Fatalf("screenshot: %+v", ev.Screenshot)
	}
	var reason bool
	for _, r := range ev.Reasons {
		reason = reason || r.Rule == RuleLooksLikeBrand
	}
	if !reason || ev.Points != pointsLooksLike {
		t.Errorf("reasons: %d %+v", ev.Points, ev.Reasons)
	}
	if len(ev.History) != 1 || ev.History[0].Change != ChangeLooksLikeBrand {
		t.Errorf("history: %+v", ev.History)
	}
	inc, err := store.Get(context.Background(), target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Enrichment == nil || inc.Enrichment.Screenshot == nil || inc.Enrichment.Screenshot.URL != SuspectPath(target.ID) {
		t.Errorf("stored: %+v", inc.Enrichment)
	}
	a, ok := Raise(inc, ev)
	if !ok || a.Score != min(inc.Score+pointsLooksLike, 100) {
		t.Errorf("raise: %v %+v", ok, a)
	}
}

// TestScreenshotHangingPage: a page that never finishes loading is cut off at the deadline and
// pictured as it is, or recorded as an error; either way the shot returns.
func TestScreenshotHangingPage(t *testing.T) {
	browsertest.Skip(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><h1>loading forever</h1>")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	s := &Screenshots{Dir: t.TempDir(), Chromium: browsertest.Chromium(), Timeout: 4 * time.Second, AllowPrivate: true,
		Resolve: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
		pages: func(host string) []string { return []string{"http://" + host + ":" + port + "/"} }}
	defer s.Close()
	ev := s.Take(context.Background(), "5", "slow.test", "")
	if ev.URL == "" && ev.Error == "" {
		t.Errorf("neither a picture nor an error: %+v", ev)
	}
	t.Logf("hanging page: url %q error %q", ev.URL, ev.Error)
}

// BenchmarkScreenshot is one loopback suspect shot with the browser running (go test -bench
// Screenshot ./internal/enrich/).
func BenchmarkScreenshot(b *testing.B) {
	browsertest.Skip(b)
	ls := &loopbackSites{ports: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, shotBrandPage) }))
	defer srv.Close()
	_, ls.ports["clone.test"], _ = net.SplitHostPort(srv.Listener.Addr().String())
	s := &Screenshots{Dir: b.TempDir(), Chromium: browsertest.Chromium(), Timeout: time.Minute, Resolve: ls.resolve, AllowPrivate: true, pages: ls.pages}
	defer s.Close()
	if ev := s.Take(context.Background(), "1", "clone.test", ""); ev.Error != "" { // starts the browser
		b.Fatal(ev.Error)
	}
	b.ResetTimer()
	for b.Loop() {
		if ev := s.Take(context.Background(), "1", "clone.test", ""); ev.Error != "" {
			b.Fatal(ev.Error)
		}
	}
}

// TestScreenshotSimilarityOfPages holds VisualSimilarityThreshold to real renderings: the brand's
// page with other words (or another colour) stays above it; a blank page, a web server's default
// page, a line of text, another layout and the brand's box moved elsewhere stay below.
func TestScreenshotSimilarityOfPages(t *testing.T) {
	browsertest.Skip(t)
	alike := map[string]string{
		"words.test":  strings.Replace(shotBrandPage, "Log in to your account", "Sign in to continue", 1),
		"colour.test": strings.ReplaceAll(shotBrandPage, "#003087", "#b00020"),
	}
	unlike := map[string]string{
		"blank.test": "<!doctype html><html><body></body></html>",
		"text.test":  "<!doctype html><html><body><p>It works!</p></body></html>",
		"other.test": otherPage,
		"default.test": `<!doctype html><html><body style="margin:0;font-family:serif"><div style="background:#333;height:60px"></div>` +
			`<div style="padding:40px"><h2>Welcome to nginx!</h2><p>If you see this page, the web server is installed and working.</p></div></body></html>`,
		"moved.test": strings.Replace(shotBrandPage, "margin:80px auto", "margin:160px 100px", 1),
	}
	all := map[string]string{"brand.test": shotBrandPage}
	for _, m := range []map[string]string{alike, unlike} {
		for k, v := range m {
			all[k] = v
		}
	}
	s := newShooter(t, newLoopbackSites(t, all), true)
	for _, m := range []map[string]string{alike, unlike} {
		for name := range m {
			ev := s.Take(context.Background(), "1", name, "brand.test")
			if ev.VisualSimilarity == nil {
				t.Fatalf("%s: %+v", name, ev)
			}
			sim := *ev.VisualSimilarity
			t.Logf("%-13s %.3f", name, sim)
			if _, ok := alike[name]; ok != (sim >= VisualSimilarityThreshold) {
				t.Errorf("%s: similarity %.3f", name, sim)
			}
		}
	}
}

// TestGuardNoRebinding: within a shot a name keeps its first (checked) answer, so a resolver
// answering an allowed address first and a refused one later cannot steer the second request.
func TestGuardNoRebinding(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	var asked atomic.Int64
	g, err := startGuard(func(context.Context, string) ([]netip.Addr, error) {
		if asked.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
	}, true, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer g.stop()
	g.allow = func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") }
	c := proxyClient(g)
	for range 2 {
		resp, err := c.Get("http://rebind.test:" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if hits.Load() != 2 || asked.Load() != 1 {
		t.Errorf("%d requests served, %d lookups", hits.Load(), asked.Load())
	}
}

// TestScreenshotHTTPS: an https suspect (a self-signed loopback server) is reached through the
// guard's CONNECT tunnel and pictured.
func TestScreenshotHTTPS(t *testing.T) {
	browsertest.Skip(t)
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, shotBrandPage)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	ls := &loopbackSites{ports: map[string]string{"tls.test": port}}
	s := newShooter(t, ls, true)
	s.pages = func(host string) []string { return []string{"https://" + host + ":" + port + "/"} }
	ev := s.Take(context.Background(), "1", "tls.test", "")
	if ev.Error != "" || ev.URL == "" || hits.Load() == 0 {
		t.Errorf("evidence: %+v, %d requests", ev, hits.Load())
	}
}

// TestScreenshotFallsBackToHTTP: an https port that accepts and never answers costs its share
// of the deadline only, and the http page is pictured.
func TestScreenshotFallsBackToHTTP(t *testing.T) {
	browsertest.Skip(t)
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never read, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	ls := newLoopbackSites(t, map[string]string{"site.test": shotBrandPage})
	_, holePort, _ := net.SplitHostPort(hole.Addr().String())
	s := newShooter(t, ls, true)
	s.Timeout = 16 * time.Second // the https share (8s) is spent waiting; http has the rest
	s.pages = func(host string) []string {
		return []string{"https://" + host + ":" + holePort + "/", "http://" + host + ":" + ls.ports[host] + "/"}
	}
	ev := s.Take(context.Background(), "1", "site.test", "")
	if ev.Error != "" || !strings.HasPrefix(ev.Page, "http://") {
		t.Errorf("evidence: %+v", ev)
	}
}
