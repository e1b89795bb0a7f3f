package enrich

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/enrich/enrichtest"
)

// The loopback sites: the brand's own page, a clone of it with a login form, a parking page,
// a redirect chain ending at the clone, and hostile ones.
const brandHTML = `<!doctype html><html><head><title>PayPal: Pay, Send Money &amp; Accept Payments</title>
<link rel="icon" href="/static/icon.png"></head><body>
<header class="site-header"><nav class="main-nav"><ul class="nav-list"><li class="nav-item"><a href="/personal">Personal</a></li>
<li class="nav-item"><a href="/business">Business</a></li><li class="nav-item"><a href="/developer">Developer</a></li></ul></nav></header>
<main class="hero"><section class="hero-body"><h1 class="headline">Pay, send and save smarter</h1>
<p class="lead">Sign up for a PayPal account and pay your way, send money to friends and family and get paid for what you sell.</p>
<div class="cta"><a class="button primary" href="/signup">Sign Up for Free</a></div></section>
<section class="features"><div class="feature"><h2>Shop online</h2><p>Checkout with PayPal at millions of online stores worldwide.</p></div>
<div class="feature"><h2>Send money</h2><p>Send money to almost anyone with an email address or a mobile number.</p></div>
%s
</section></main><footer class="site-footer"><p>Copyright 1999-2026 PayPal. All rights reserved.</p></footer></body></html>`

var (
	brandPage = fmt.Sprintf(brandHTML, "")
	clonePage = fmt.Sprintf(brandHTML, `<form class="login" action="/post.php" method="post"><input type="email" name="login_email" placeholder="Email">
<input type="password" name="login_password"><button type="submit">Log In</button></form>`)
	parkedPage = `<html><head><title>paypa1-parked.com is for sale</title></head><body><h1>This domain is for sale!</h1>
<p>Buy this domain. The domain owner may be open to offers.</p><div class="related">Related searches: payments, money</div></body></html>`
	iconBytes = []byte("\x89PNG\r\n\x1a\n certhunt test icon")
)

// siteLab serves every test name from one TLS and one plain loopback server, by Host.
type siteLab struct {
	tls, plain *httptest.Server
	zone       *zoneServer
	release    chan struct{} // closed at cleanup: the slow site's handlers return
}

func startSiteLab(t *testing.T) *siteLab {
	t.Helper()
	l := &siteLab{release: make(chan struct{})}
	mux := http.HandlerFunc(l.serve)
	l.tls = httptest.NewTLSServer(mux)
	l.plain = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(l.release)
		l.tls.Close()
		l.plain.Close()
	})
	l.zone = startZone(t, `
paypal.com. 60 IN A 127.0.0.1
paypa1.com. 60 IN A 127.0.0.1
paypa1-parked.com. 60 IN A 127.0.0.1
paypa1-redirect.com. 60 IN A 127.0.0.1
paypa1-loop.com. 60 IN A 127.0.0.1
paypa1-plain.com. 60 IN A 127.0.0.1
paypa1-slow.com. 60 IN A 127.0.0.1
paypa1-trickle.com. 60 IN A 127.0.0.1
paypa1-huge.com. 60 IN A 127.0.0.1
paypa1-hostile.com. 60 IN A 127.0.0.1
paypa1-internal.com. 60 IN A 10.1.2.3
paypa1-public.com. 60 IN A 8.8.8.8
`)
	return l
}

func (l *siteLab) ports() (https, http string) {
	_, a, _ := net.SplitHostPort(l.tls.Listener.Addr().String())
	_, b, _ := net.SplitHostPort(l.plain.Listener.Addr().String())
	return a, b
}

func (l *siteLab) leaf() string {
	sum := sha256.Sum256(l.tls.Certificate().Raw)
	return hex.EncodeToString(sum[:])
}

func (l *siteLab) serve(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.Host)
	if host == "" {
		host = r.Host
	}
	https := r.TLS != nil
	if r.URL.Path == "/static/icon.png" || r.URL.Path == "/favicon.ico" {
		w.Write(iconBytes)
		return
	}
	switch host {
	case "paypal.com":
		io.WriteString(w, brandPage)
	case "paypa1.com":
		io.WriteString(w, clonePage)
	case "paypa1-parked.com":
		io.WriteString(w, parkedPage)
	case "paypa1-redirect.com":
		switch r.URL.Path {
		case "/":
			http.Redirect(w, r, "/step1", http.StatusFound)
		case "/step1":
			http.Redirect(w, r, "/step2", http.StatusMovedPermanently)
		default:
			_, port, _ := net.SplitHostPort(r.Host)
			http.Redirect(w, r, "https://paypa1.com:"+port+"/signin", http.StatusFound)
		}
	case "paypa1-loop.com":
		http.Redirect(w, r, fmt.Sprintf("/again%d", len(r.URL.Path)), http.StatusFound)
	case "paypa1-plain.com":
		if https {
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close() // no https here: the fetch falls back to http
			return
		}
		io.WriteString(w, "<title>plain only</title><p>hello</p>")
	case "paypa1-slow.com": // never answers
		<-l.release
	case "paypa1-trickle.com": // slowloris: headers at once, then a byte now and then
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		for {
			w.Write([]byte("<"))
			w.(http.Flusher).Flush()
			select {
			case <-l.release:
				return
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	case "paypa1-huge.com":
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat("<p>paypal paypal paypal</p>", 1000))
		for range (5 << 20) / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "paypa1-hostile.com":
		io.WriteString(w, hostilePage())
	case "paypa1-public.com":
		_, port, _ := net.SplitHostPort(r.Host)
		switch r.URL.Path {
		case "/":
			http.Redirect(w, r, "https://127.0.0.1:"+port+"/", http.StatusFound)
		default:
			http.Redirect(w, r, "http://paypa1-internal.com/", http.StatusFound)
		}
	default:
		http.NotFound(w, r)
	}
}

func hostilePage() string {
	var b strings.Builder
	b.WriteString("<title>\"><img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=1</script></title>")
	b.WriteString(strings.Repeat("<div class=\"x\">", 200_000))
	b.WriteString(`<a href="` + strings.Repeat("A", 1<<20) + `">`)
	b.WriteString("\x00\xff\xfe<<<>>><!--<![CDATA[<form><input type=password")
	b.WriteString(strings.Repeat("<table><tr><td><select><option>", 5000))
	return b.String()
}

func (l *siteLab) site(proxy string, allowPrivate bool) *Site {
	hs, hp := l.ports()
	s := &Site{DNS: &DNS{Servers: []string{l.zone.addr}}, AllowPrivate: allowPrivate, HTTPSPort: hs, HTTPPort: hp,
		Timeout: 5 * time.Second, Deadline: 20 * time.Second}
	if proxy != "" {
		s.Proxy, _ = url.Parse(proxy)
	}
	return s
}

// TestSiteThroughProxy: through a loopback proxy, the brand's page, a clone with a login
// form, a parking page, a redirect chain and an http-only site give the evidence a person
// triaging needs; https goes by CONNECT to the address certhunt checked.
func TestSiteThroughProxy(t *testing.T) {
	l := startSiteLab(t)
	proxy := enrichtest.NewProxy(t, func(hostport string) string {
		host, port, _ := net.SplitHostPort(hostport)
		if host != "127.0.0.1" {
			return "127.0.0.1:" + port // the forward-proxy path names hosts; all live on loopback
		}
		return hostport
	})
	s := l.site(proxy.URL, true)
	ctx := context.Background()

	clone := s.Fetch(ctx, "paypa1.com", "paypal.com", []string{"00", l.leaf()})
	if clone.Error != "" || clone.Status != 200 || !clone.LoginForm || !clone.PasswordForm || clone.PaymentForm ||
		clone.Title != "PayPal: Pay, Send Money & Accept Payments" || !slices.Equal(clone.BrandWords, []string{"paypal"}) {
		t.Fatalf("clone: %+v", clone)
	}
	if clone.BrandSimilarity == nil || *clone.BrandSimilarity < 0.8 {
		t.Errorf("clone similarity %v, brand error %q", clone.BrandSimilarity, clone.BrandError)
	}
	if clone.CertMatchesCT == nil || !*clone.CertMatchesCT || clone.CertSHA256 != l.leaf() {
		t.Errorf("served certificate %q matches CT %v", clone.CertSHA256, clone.CertMatchesCT)
	}
	if want := FaviconHash(iconBytes); clone.FaviconHash == nil || *clone.FaviconHash != want {
		t.Errorf("favicon hash %v, want %d", clone.FaviconHash, want)
	}
	if !strings.HasPrefix(clone.URL, "https://paypa1.com:") {
		t.Errorf("url %q", clone.URL)
	}

	parked := s.Fetch(ctx, "paypa1-parked.com", "paypal.com", nil)
	if !parked.Parked || parked.LoginForm || parked.BrandSimilarity == nil || *parked.BrandSimilarity > 0.2 {
		t.Errorf("parked: %+v similarity %v", parked, parked.BrandSimilarity)
	}
	if parked.CertMatchesCT == nil || *parked.CertMatchesCT {
		t.Errorf("parked: a certificate not from CT said to match: %v", parked.CertMatchesCT)
	}

	red := s.Fetch(ctx, "paypa1-redirect.com", "paypal.com", nil)
	if len(red.Redirects) != 3 || !strings.HasSuffix(red.Redirects[0], "/step1") || !strings.HasPrefix(red.FinalURL, "https://paypa1.com:") ||
		!strings.HasSuffix(red.FinalURL, "/signin") || !red.LoginForm {
		t.Errorf("redirect chain: %+v", red)
	}

	plain := s.Fetch(ctx, "paypa1-plain.com", "paypal.com", nil)
	if plain.Status != 200 || plain.Title != "plain only" || !strings.HasPrefix(plain.URL, "http://") || plain.CertMatchesCT != nil {
		t.Errorf("http-only site: %+v", plain)
	}

	log := strings.Join(proxy.Log(), "\n")
	if !strings.Contains(log, "CONNECT 127.0.0.1:") || !strings.Contains(log, "GET http://paypa1-plain.com:") {
		t.Errorf("the proxy did not carry the fetches:\n%s", log)
	}
	if strings.Contains(log, "CONNECT paypa1") {
		t.Errorf("a CONNECT named the host rather than the checked address:\n%s", log)
	}
}

// TestSiteBudget: a server that never answers, one that trickles its body, one that sends
// 5 MiB, a redirect loop and a hostile page each end within their budget, recorded, while
// another fetch goes on; directly and through a loopback proxy.
func TestSiteBudget(t *testing.T) {
	l := startSiteLab(t)
	proxy := enrichtest.NewProxy(t, nil)
	t.Run("direct", func(t *testing.T) { testSiteBudget(t, l, "") })
	t.Run("proxy", func(t *testing.T) {
		testSiteBudget(t, l, proxy.URL)
		if len(proxy.Log()) == 0 {
			t.Error("nothing went through the proxy")
		}
	})
}

func testSiteBudget(t *testing.T, l *siteLab, proxy string) {
	s := l.site(proxy, true)
	s.Timeout, s.Deadline = 300*time.Millisecond, 600*time.Millisecond
	ctx := context.Background()
	done := make(chan string)
	go func() {
		ev := s.Fetch(ctx, "paypa1-slow.com", "paypal.com", nil)
		done <- ev.Error
	}()
	// Meanwhile other work continues.
	fast := &Site{DNS: s.DNS, Proxy: s.Proxy, AllowPrivate: true, HTTPSPort: s.HTTPSPort, HTTPPort: s.HTTPPort}
	if ev := fast.Fetch(ctx, "paypa1.com", "paypal.com", nil); ev.Status != 200 {
		t.Fatalf("a fetch during the slow one: %+v", ev)
	}
	if msg := <-done; !strings.Contains(msg, "timeout") {
		t.Errorf("slow server: error %q, want a timeout", msg)
	}
	if ev := s.Fetch(ctx, "paypa1-trickle.com", "paypal.com", nil); ev.Status != 200 || !strings.Contains(ev.Error, "timeout") {
		t.Errorf("trickling body: %+v", ev)
	}
	huge := fast.Fetch(ctx, "paypa1-huge.com", "paypal.com", nil)
	if huge.Bytes != DefaultMaxBody || !huge.Truncated || huge.Error != "" {
		t.Errorf("huge body: %d bytes, truncated %v, error %q", huge.Bytes, huge.Truncated, huge.Error)
	}
	loop := fast.Fetch(ctx, "paypa1-loop.com", "paypal.com", nil)
	if !strings.Contains(loop.Error, "more than 10 redirects") || len(loop.Redirects) != maxRedirects {
		t.Errorf("redirect loop: %+v", loop)
	}
	hostile := fast.Fetch(ctx, "paypa1-hostile.com", "paypal.com", nil)
	if hostile.Status != 200 || !strings.Contains(hostile.Title, `<img src=x onerror=`) || len(hostile.Title) > maxTitle {
		t.Errorf("hostile page: title %q status %d error %q", hostile.Title, hostile.Status, hostile.Error)
	}
}

// TestSiteRefusesPrivate: with allow_private false, a name whose DNS answer is private is
// not contacted (directly or through the proxy), and a redirect from a public site to
// loopback or to a name with a private answer is refused.
func TestSiteRefusesPrivate(t *testing.T) {
	l := startSiteLab(t)
	hs, _ := l.ports()
	proxy := enrichtest.NewProxy(t, func(hostport string) string {
		_, port, _ := net.SplitHostPort(hostport)
		if port == "443" || port == hs {
			return "127.0.0.1:" + hs // the "public" address lives on loopback here
		}
		return l.plain.Listener.Addr().String()
	})
	ctx := context.Background()
	direct := l.site("", false)
	for _, name := range []string{"paypa1-internal.com", "paypa1.com"} {
		if ev := direct.Fetch(ctx, name, "paypal.com", nil); ev.Status != 0 || !strings.HasPrefix(ev.Error, "refusing to contact "+name) ||
			!strings.HasPrefix(ev.URL, "https://") {
			t.Errorf("%s direct: %+v", name, ev)
		}
	}
	via := l.site(proxy.URL, false)
	if ev := via.Fetch(ctx, "paypa1-internal.com", "paypal.com", nil); !strings.Contains(ev.Error, "not a public address") {
		t.Errorf("private answer through the proxy: %+v", ev)
	}
	if log := proxy.Log(); len(log) != 0 {
		t.Errorf("the proxy was asked for a private destination: %v", log)
	}
	ev := via.Fetch(ctx, "paypa1-public.com", "paypal.com", nil)
	if ev.Status != 0 || !strings.Contains(ev.Error, "refusing to contact 127.0.0.1") || len(ev.Redirects) != 1 {
		t.Errorf("redirect to loopback: %+v", ev)
	}
	for _, line := range proxy.Log() {
		if strings.Contains(line, "127.0.0.1") {
			t.Errorf("the proxy was asked for loopback: %q", line)
		}
	}
}

func TestFaviconHash(t *testing.T) {
	// Shodan's hash is MurmurHash3_x86_32 of base64 with a newline every 76 characters and
	// one at the end (Python's base64.encodebytes); the values are from a separate
	// implementation of MurmurHash3 checked against its published vector ("hello": 613153351).
	for icon, want := range map[string]int32{"hello": 1155597304, strings.Repeat("x", 100): 1090365782} {
		if got := FaviconHash([]byte(icon)); got != want {
			t.Errorf("FaviconHash(%q) = %d, want %d", icon, got, want)
		}
	}
}
