// Package browsertest is the harness the browser tests share: they drive a headless chromium
// through chromedp against certhunt's web UI and fail on any uncaught exception, console error or
// Content-Security-Policy violation on the page. It is an ordinary package so that the tests of
// several packages can import it, but only tests use it; nothing in certhunt itself does.
//
// A test calls [NewBrowser] (or shares one from [Start] across a package's tests), opens a
// [Page] on it with [NewPage] and drives it with the Page's methods, which fail the test on error.
// Without chromium the tests skip ([Skip]).
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ScreenshotsEnv names the environment variable that, set to a directory, makes
// [Page.Screenshot] save its screenshots there.
const ScreenshotsEnv = "CERTHUNT_UI_SCREENSHOTS"

// waitLimit bounds one [Page.WaitFor]; generous, for a loaded 2-core machine.
const waitLimit = 60 * time.Second

// Chromium is the path of the chromium executable, or "" when none is installed.
func Chromium() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Skip skips t when chromium is not installed.
func Skip(t testing.TB) {
	t.Helper()
	if Chromium() == "" {
		t.Skip("chromium is not installed (/usr/bin/chromium; apt-get install -y chromium): skipping browser test")
	}
}

// Start starts one headless chromium and returns its browser context and the function that ends
// the browser and removes its user-data-dir. It is for a browser shared by a package's tests and
// ended in TestMain; a test of its own uses [NewBrowser].
func Start() (context.Context, context.CancelFunc, error) {
	path := Chromium()
	if path == "" {
		return nil, nil, fmt.Errorf("chromium is not installed")
	}
	// No user-data-dir: chromedp gives the browser a fresh temporary one and removes it when the
	// allocator's context ends.
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1440, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	cancel := func() { cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("starting chromium %s: %w", path, err)
	}
	return ctx, cancel, nil
}

// NewBrowser starts a headless chromium for t, ended when t ends, and returns its browser
// context. It skips t when chromium is not installed.
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	Skip(t)
	ctx, cancel, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ctx
}

// Page is one tab, in a browser context of its own (cookies, the login session among them, are
// not shared with other pages). Its methods fail T on error. Every uncaught exception, console
// error and CSP violation on the page, bar those [Page.Allow] expects, is a test error when the
// test that opened the page ends.
type Page struct {
	// T is the test the methods fail; a test may point it at a subtest's t for the subtest.
	T testing.TB
	// Ctx is the tab's chromedp context, for what the methods do not cover.
	Ctx context.Context
	// Base is what [Page.Open] puts before its path: a server's URL, say.
	Base string

	mu       sync.Mutex
	problems []string
	allowed  []string // substrings of problems a test provoked on purpose
}

// NewPage opens a tab in browser (from [NewBrowser] or [Start]); everything on it must be done
// within timeout.
func NewPage(t testing.TB, browser context.Context, base string, timeout time.Duration) *Page {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(cancel)
	p := &Page{T: t, Ctx: ctx, Base: base}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, msg := range p.problems {
			t.Errorf("page: %s", msg)
		}
	})
	return p
}

// record notes an uncaught exception or a console error (CSP violations among them).
func (p *Page) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "uncaught: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		// Network errors (a 401 before login, say) are expected answers, not page faults.
		if ev.Entry.Level != log.EntryLevelError || ev.Entry.Source == log.EntrySourceNetwork {
			return
		}
		msg = fmt.Sprintf("console %s: %s", ev.Entry.Source, ev.Entry.Text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ok := range p.allowed {
		if strings.Contains(msg, ok) {
			return
		}
	}
	p.problems = append(p.problems, msg)
}

// Allow expects the page problems that contain substr from now on: ones the test provokes.
func (p *Page) Allow(substr string) {
	p.mu.Lock()
	p.allowed = append(p.allowed, substr)
	p.mu.Unlock()
}

// Do runs steps on the page.
func (p *Page) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	if err := chromedp.Do(p.Ctx, steps...); err != nil {
		p.T.Fatal(err)
	}
}

// Text is the text content of the first element sel (CSS) matches.
func (p *Page) Text(sel string) string {
	p.T.Helper()
	s, err := chromedp.Run(p.Ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		p.T.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Eval evaluates a JavaScript expression of string value, awaiting it if it is a promise.
func (p *Page) Eval(expr string) string {
	p.T.Helper()
	s, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.T.Fatalf("%s: %v", expr, err)
	}
	return s
}

// WaitFor polls a JavaScript condition until it holds, for a minute at most. A poll cut short by
// a navigation (its execution context destroyed) is started again in the new document.
func (p *Page) WaitFor(cond string) {
	p.T.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		_, err := chromedp.Run(p.Ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		if p.Ctx.Err() == nil && time.Now().Before(deadline) && strings.Contains(err.Error(), "context") {
			continue // "Cannot find context with specified id", "Execution context was destroyed"
		}
		main, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
		p.T.Fatalf("waiting for %s: %v\npage text:\n%s", cond, err, main)
	}
}

// Open navigates to Base+path and waits until readySelector (CSS) is visible.
func (p *Page) Open(path, readySelector string) {
	p.T.Helper()
	sel, err := json.Marshal(readySelector)
	if err != nil {
		p.T.Fatal(err)
	}
	p.Do(chromedp.Navigate(p.Base + path))
	p.WaitFor(fmt.Sprintf(`document.querySelector(%s) !== null`, sel))
	p.Do(chromedp.WaitVisible(chromedp.CSS(readySelector)))
}

// Screenshot saves a PNG of the whole page as file in the directory $CERTHUNT_UI_SCREENSHOTS,
// when that is set; otherwise it does nothing.
func (p *Page) Screenshot(file string) {
	p.T.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100)) // 100 gives PNG, less gives JPEG
	if err != nil {
		p.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
		p.T.Fatal(err)
	}
}
