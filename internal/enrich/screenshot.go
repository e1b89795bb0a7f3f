package enrich

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/corona10/goimagehash"
	"golang.org/x/sync/singleflight"

	"github.com/certhunt/certhunt/internal/incident"
)

// Screenshots takes the pictures of SPEC.md's enrich.screenshot: the suspect site and the
// protected domain's own site, in one shared headless Chromium, compared by perceptual hash.
//
// Chromium is started on first use and again when it has died. Each shot gets a fresh
// incognito browser context (no cookies, storage or cache carried over), a guard proxy of its
// own through which all its traffic goes (guard.go: nothing private is contacted unless
// AllowPrivate), a viewport of ViewportWidth x ViewportHeight, and a hard deadline after which
// the tab is closed. Downloads and permission prompts are denied; WebRTC may not use UDP
// outside the proxy, so it cannot reach around the guard.
type Screenshots struct {
	// Dir keeps the PNGs (data_dir/screenshots); made 0700, files 0600.
	Dir string
	// Chromium is the browser's path; "" looks for chromium or chrome on PATH.
	Chromium string
	// Tabs is how many shots are taken at once (default 1).
	Tabs int
	// Timeout bounds one site's shot, both attempts (https, then http) included (default 20s).
	Timeout time.Duration
	// ProtectedTTL is how long a protected site's picture is reused (default 24h).
	ProtectedTTL time.Duration
	// Resolve looks hosts up for the guard (DNS.Addrs with the enrichment resolvers).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// AllowPrivate is enrich.allow_private.
	AllowPrivate bool
	// Proxy is enrich.http.proxy: the guard sends its checked connections through it.
	Proxy  *url.URL
	Logger *slog.Logger
	Now    func() time.Time

	// pages lists the addresses tried for a host, in order (tests point them at a loopback
	// port); default https://host/ then http://host/.
	pages func(host string) []string

	initOnce sync.Once
	tabs     chan struct{}
	flight   singleflight.Group

	mu       sync.Mutex
	bctx     context.Context // the browser's, nil until started
	bcancel  context.CancelFunc
	lost     <-chan struct{}
	failures map[string]protectedFailure // by asset: a brand site that would not load

	missingLogged atomic.Bool
}

type protectedFailure struct {
	err   string
	until time.Time
}

// Screenshot bounds.
const (
	ViewportWidth, ViewportHeight = 1280, 800
	// maxPNG caps one picture; a viewport PNG is far smaller, so more is a fault.
	maxPNG = 8 << 20
	// maxPixels bounds a PNG decoded for hashing (the viewport is 1 Mpx).
	maxPixels = 4096 * 4096
	// protectedRetry is how long a protected site that failed is not tried again.
	protectedRetry = time.Hour
	maxFailures    = 1000
)

// VisualSimilarityThreshold is the visual similarity from which a suspect site "looks like the
// brand's site". Similarity is 1 - (pHash + dHash Hamming distance)/128: unrelated pictures
// differ in about half the bits. Measured on Chromium renderings (TestScreenshotSimilarityOfPages):
// the brand's login page with other words 0.96, in another colour 1.0; a blank page 0.66, a web
// server's default page 0.66, a line of text 0.69, another layout 0.62, the brand's box moved
// 0.63. At 0.9 at most 12 of 128 bits differ: a kit's copy of the page meets it, a page that
// merely shares a white background does not.
const VisualSimilarityThreshold = 0.9

func (s *Screenshots) init() {
	s.initOnce.Do(func() {
		s.tabs = make(chan struct{}, max(s.Tabs, 1))
		if s.Timeout <= 0 {
			s.Timeout = 20 * time.Second
		}
		if s.ProtectedTTL <= 0 {
			s.ProtectedTTL = 24 * time.Hour
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
		s.Now = cmpNow(s.Now)
		if s.Resolve == nil {
			s.Resolve = (&DNS{}).Addrs
		}
		if s.pages == nil {
			s.pages = func(host string) []string { return []string{"https://" + host + "/", "http://" + host + "/"} }
		}
		s.failures = map[string]protectedFailure{}
	})
}

// ErrNoChromium is the evidence's error when no browser is installed.
var ErrNoChromium = errors.New("no Chromium found (enrich.screenshot.chromium, or chromium on PATH): screenshots are not taken")

// ChromiumPath is the browser used: path when set, else the first of chromium, chromium-browser,
// google-chrome on PATH; "" when none is found.
func ChromiumPath(path string) string {
	if path != "" {
		if p, err := exec.LookPath(path); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// SuspectPath and ProtectedPath are the API paths the PNGs of incident id are served at.
func SuspectPath(id string) string   { return "/api/v1/incidents/" + id + "/screenshot.png" }
func ProtectedPath(id string) string { return "/api/v1/incidents/" + id + "/screenshot-protected.png" }

// File is where incident id's picture is kept (protected: the protected site's, as compared);
// "" when id is not an incident ID. Names come from IDs alone, never from a page or a name.
func File(dir, id string, protected bool) string {
	if _, err := strconv.ParseUint(id, 10, 63); err != nil || len(id) > 20 {
		return ""
	}
	name := "incident-" + id + ".png"
	if protected {
		name = "incident-" + id + "-protected.png"
	}
	return filepath.Join(dir, name)
}

// assetFile is the cached picture of a protected domain, named by a hash of the domain.
func (s *Screenshots) assetFile(asset string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(asset)))
	return filepath.Join(s.Dir, "asset-"+hex.EncodeToString(sum[:16])+".png")
}

// Take shoots incident id's suspect domain and compares it with asset's site. Failures are
// the evidence's Error, never returned: one bad page cannot stop the enricher.
func (s *Screenshots) Take(ctx context.Context, id, domain, asset string) *incident.ScreenshotEvidence {
	s.init()
	ev := &incident.ScreenshotEvidence{TakenAt: s.Now().UTC()}
	suspectFile, protectedFile := File(s.Dir, id, false), File(s.Dir, id, true)
	if suspectFile == "" {
		ev.Error = "not an incident ID"
		return ev
	}
	if err := s.mkdir(); err != nil {
		ev.Error = err.Error()
		return ev
	}
	shot, page, err := s.shoot(ctx, domain)
	if err != nil {
		ev.Error = err.Error()
		return ev
	}
	ev.Page = page
	if err := writeFile(s.Dir, suspectFile, shot); err != nil {
		ev.Error = err.Error()
		return ev
	}
	ev.URL = SuspectPath(id)
	if asset == "" {
		return ev
	}
	prot, cached, err := s.protected(ctx, asset)
	if err != nil {
		ev.Error = "the protected site " + asset + ": " + err.Error()
		return ev
	}
	if err := linkFile(s.Dir, cached, protectedFile, prot); err != nil {
		ev.Error = err.Error()
		return ev
	}
	ev.ProtectedURL = ProtectedPath(id)
	sim, err := VisualSimilarity(shot, prot)
	if err != nil {
		ev.Error = err.Error()
		return ev
	}
	ev.VisualSimilarity = &sim
	return ev
}

func (s *Screenshots) mkdir() error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("screenshots directory: %w", err)
	}
	return os.Chmod(s.Dir, 0o700)
}

// protected is asset's picture, from the cache while fresh, else shot anew (one shot per
// asset at a time; a failure is remembered for protectedRetry).
func (s *Screenshots) protected(ctx context.Context, asset string) ([]byte, string, error) {
	file := s.assetFile(asset)
	if fi, err := os.Stat(file); err == nil && s.Now().Sub(fi.ModTime()) < s.ProtectedTTL {
		if b, err := readPNG(file); err == nil {
			return b, file, nil
		}
	}
	key := strings.ToLower(asset)
	s.mu.Lock()
	f, failed := s.failures[key]
	s.mu.Unlock()
	if failed && s.Now().Before(f.until) {
		return nil, "", errors.New(f.err)
	}
	v, err, _ := s.flight.Do(key, func() (any, error) {
		shot, _, err := s.shoot(ctx, asset)
		if err != nil {
			if ctx.Err() == nil {
				s.mu.Lock()
				if len(s.failures) >= maxFailures {
					clear(s.failures)
				}
				s.failures[key] = protectedFailure{err: err.Error(), until: s.Now().Add(protectedRetry)}
				s.mu.Unlock()
			}
			return nil, err
		}
		return shot, writeFile(s.Dir, file, shot)
	})
	if err != nil {
		return nil, "", err
	}
	return v.([]byte), file, nil
}

// shoot takes host's picture: the first of its pages that loads.
func (s *Screenshots) shoot(ctx context.Context, host string) ([]byte, string, error) {
	select {
	case s.tabs <- struct{}{}:
		defer func() { <-s.tabs }()
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	bctx, err := s.browser()
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	var errs []string
	pages := s.pages(host)
	for i, page := range pages {
		// Each address gets an equal share of what is left, so that an https port that never
		// answers leaves time for http.
		pctx, pcancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok && i < len(pages)-1 {
			pctx, pcancel = context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/time.Duration(len(pages)-i)))
		}
		b, err := s.shootPage(pctx, bctx, page)
		pcancel()
		if err == nil {
			return b, page, nil
		}
		errs = append(errs, page+": "+err.Error())
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", errors.New(strings.Join(errs, "; "))
}

// shootPage loads page in a fresh incognito context behind a guard of its own and captures
// the viewport. A page whose load does not finish in time is captured as it is.
func (s *Screenshots) shootPage(ctx, bctx context.Context, page string) ([]byte, error) {
	g, err := startGuard(s.Resolve, s.AllowPrivate, s.Proxy, s.Timeout)
	if err != nil {
		return nil, err
	}
	defer g.stop()
	tab, closeTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
		p.ProxyServer = "http://" + g.addr()
		p.ProxyBypassList = "<-loopback>" // loopback too goes through the guard
	}))
	defer closeTab() // closes the tab and disposes of its browser context, however stuck the page
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()
	if err := chromedp.Do(tab); err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			s.restart(bctx) // a browser that cannot open a tab is of no more use
		}
		return nil, fmt.Errorf("browser: %w", err)
	}
	c := chromedp.FromContext(tab)
	if _, err := cdp.Call(ctx, c.Browser, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: c.BrowserContextID}); err != nil {
		return nil, fmt.Errorf("denying downloads: %w", err)
	}
	tctx, cancel := context.WithCancel(tab)
	defer cancel()
	stopT := context.AfterFunc(ctx, cancel)
	defer stopT()
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(ViewportWidth, ViewportHeight)); err != nil {
		return nil, err
	}
	// alert(), confirm() and onbeforeunload would hold the page (and the capture) until the
	// deadline: each is dismissed.
	if err := chromedp.Listen(tctx, func(ev any) {
		if _, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			go cdp.Call(tctx, c.Target, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{})
		}
	}); err != nil {
		return nil, err
	}
	// The load gets three quarters of what is left; the rest is for the capture.
	navCtx := tctx
	if dl, ok := ctx.Deadline(); ok {
		var navCancel context.CancelFunc
		navCtx, navCancel = context.WithDeadline(tctx, time.Now().Add(time.Until(dl)*3/4))
		defer navCancel()
	}
	// failed says why the page failed: the guard's first refusal, else err.
	failed := func(err error) error {
		if r := g.problems(); len(r) > 0 {
			return errors.New(r[0])
		}
		return err
	}
	navErr := chromedp.Do(navCtx, chromedp.Navigate(page))
	if navErr != nil && !errors.Is(navErr, context.DeadlineExceeded) || ctx.Err() != nil {
		if navErr == nil {
			navErr = ctx.Err()
		}
		return nil, failed(navErr)
	}
	if navErr != nil {
		// Cut off: worth a picture only if a document of the page arrived.
		if loc, err := chromedp.Run(tctx, chromedp.Location()); err != nil || loc == "about:blank" || loc == "" {
			return nil, failed(errors.New("no answer in time"))
		}
	}
	b, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no picture within %v: %w", s.Timeout, ctx.Err())
		}
		return nil, err
	}
	if len(b) > maxPNG {
		return nil, fmt.Errorf("a picture of %d bytes is over the %d-byte cap", len(b), maxPNG)
	}
	return b, nil
}

// browser returns the running browser's context, starting one when none runs or it died.
func (s *Screenshots) browser() (context.Context, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bctx != nil {
		select {
		case <-s.lost:
			s.Logger.Warn("screenshot: chromium died; starting it again")
			s.closeLocked()
		default:
			if s.bctx.Err() == nil {
				return s.bctx, nil
			}
			s.closeLocked()
		}
	}
	path := ChromiumPath(s.Chromium)
	if path == "" {
		if !s.missingLogged.Swap(true) {
			s.Logger.Warn("screenshot: " + ErrNoChromium.Error())
		}
		return nil, ErrNoChromium
	}
	// The default browser context is never browsed, but should anything open there it goes to a
	// guard that lets nothing through.
	closed, err := startGuard(func(context.Context, string) ([]netip.Addr, error) {
		return nil, errors.New("outside a screenshot")
	}, false, nil, s.Timeout)
	if err != nil {
		return nil, err
	}
	closed.allow = func(netip.Addr) bool { return false } // not even an address literal
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(ViewportWidth, ViewportHeight),
		chromedp.ProxyServer("http://"+closed.addr()),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		// Chromium resolves nothing itself: the guard does, with the enrichment resolvers.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("force-webrtc-ip-handling-policy", true),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("deny-permission-prompts", true),
		chromedp.Flag("disable-notifications", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		// A suspect's certificate is often self-made; the picture matters, not the chain, and
		// nothing is sent to the page.
		chromedp.IgnoreCertErrors,
	)
	bctx, cancelB := chromedp.NewContext(alloc)
	start, cancelStart := context.WithTimeout(bctx, time.Minute)
	defer cancelStart()
	stop := context.AfterFunc(start, func() {
		if errors.Is(start.Err(), context.DeadlineExceeded) {
			cancelB()
		}
	})
	err = chromedp.Do(bctx)
	stop()
	if err != nil {
		cancelB()
		cancelAlloc()
		closed.stop()
		return nil, fmt.Errorf("starting chromium %s: %w", path, err)
	}
	s.bctx = bctx
	s.bcancel = func() { cancelB(); cancelAlloc(); closed.stop() }
	s.lost = chromedp.FromContext(bctx).Browser.LostConnection
	return bctx, nil
}

// restart ends bctx's browser, if it is still the current one, so that the next shot starts
// another: a browser can hang without dying.
func (s *Screenshots) restart(bctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bctx == bctx {
		s.Logger.Warn("screenshot: chromium is not opening tabs; starting it again")
		s.closeLocked()
	}
}

// Close ends the browser, if one runs. Later shots start another.
func (s *Screenshots) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *Screenshots) closeLocked() {
	if s.bcancel != nil {
		s.bcancel()
	}
	s.bctx, s.bcancel, s.lost = nil, nil, nil
}

// VisualSimilarity compares two PNGs by perceptual hash: 1 - (pHash distance + dHash
// distance)/128. pHash (DCT of a 32x32 greyscale) sees the layout and large shapes and shrugs
// off small text and colour changes; dHash (gradients of a 9x8 greyscale) sees edges; their sum
// halves the chance that one hash's collision makes unrelated pages look alike.
func VisualSimilarity(a, b []byte) (float64, error) {
	ia, err := decodePNG(a)
	if err != nil {
		return 0, err
	}
	ib, err := decodePNG(b)
	if err != nil {
		return 0, err
	}
	dist := 0
	for _, h := range []func(image.Image) (*goimagehash.ImageHash, error){goimagehash.PerceptionHash, goimagehash.DifferenceHash} {
		ha, err := h(ia)
		if err != nil {
			return 0, err
		}
		hb, err := h(ib)
		if err != nil {
			return 0, err
		}
		d, err := ha.Distance(hb)
		if err != nil {
			return 0, err
		}
		dist += d
	}
	return 1 - float64(dist)/128, nil
}

func decodePNG(b []byte) (image.Image, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("screenshot of %dx%d pixels is out of bounds", cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	return img, nil
}

func readPNG(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxPNG+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxPNG {
		return nil, fmt.Errorf("%s is over %d bytes", filepath.Base(file), maxPNG)
	}
	return buf.Bytes(), nil
}

// writeFile replaces file (in dir) with b, 0600, atomically: a reader sees the old picture or
// the new one.
func writeFile(dir, file string, b []byte) error {
	f, err := os.CreateTemp(dir, ".shot-*")
	if err != nil {
		return fmt.Errorf("saving screenshot: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("saving screenshot: %w", err)
	}
	return nil
}

// linkFile makes file the same picture as src (a hard link where possible: the cached protected
// site costs no space per incident).
func linkFile(dir, src, file string, b []byte) error {
	tmp := filepath.Join(dir, ".link-"+filepath.Base(file))
	os.Remove(tmp)
	if err := os.Link(src, tmp); err == nil {
		if err := os.Rename(tmp, file); err == nil {
			return nil
		}
		os.Remove(tmp)
	}
	return writeFile(dir, file, b)
}

// screenshot takes the look's pictures of host (the incident's name, a wildcard's at its
// parent) when screenshots are on and the name resolves.
func (e *Enricher) screenshot(ctx context.Context, inc *incident.Incident, host string, ev *incident.Enrichment) {
	if e.o.Screenshots == nil || ev.DNS == nil || ev.DNS.Status != incident.DNSResolves {
		return
	}
	ev.Screenshot = e.o.Screenshots.Take(ctx, inc.ID, host, inc.Asset)
	if ev.HTTP != nil && ev.Screenshot != nil {
		ev.HTTP.Screenshot = ev.Screenshot.URL // where SPEC.md's enrichment.http names it
	}
}

// ChangeLooksLikeBrand is the history entry of a suspect site first found to look like the
// protected one.
const ChangeLooksLikeBrand = "looks like the brand's site"

// looksLike reports whether the evidence's pictures look alike.
func looksLike(s *incident.ScreenshotEvidence) bool {
	return s != nil && s.VisualSimilarity != nil && *s.VisualSimilarity >= VisualSimilarityThreshold
}

// screenshotChanges notes the first look at which the suspect looks like the brand's site.
func screenshotChanges(prev *incident.Enrichment, cur incident.Enrichment) []string {
	if !looksLike(cur.Screenshot) {
		return nil
	}
	if prev != nil {
		if looksLike(prev.Screenshot) {
			return nil
		}
		for _, c := range prev.History {
			if c.Change == ChangeLooksLikeBrand {
				return nil // said once
			}
		}
	}
	return []string{ChangeLooksLikeBrand}
}
