package enrich

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// browserGuard is the forward proxy every request of the screenshot browser goes through
// (CONNECT for TLS and WebSockets over TLS, plain forwarding for http). Chromium resolves and
// connects by itself, so ssrf.go's guard cannot be put inside it; instead this proxy hands
// each destination to that guard, which resolves it with the enrichment resolvers, checks the
// addresses and dials a checked one (a CONNECT through enrich.http.proxy asks for the address,
// never the name; plain http is forwarded to it as ssrf.go's forwardProxy does). Every redirect and every subresource is a new request, so each is checked. One
// browserGuard serves one shot: its answers are pinned for the shot and what it refused is
// that shot's evidence.
type browserGuard struct {
	*guard

	ln    net.Listener
	srv   *http.Server
	fwd   *httputil.ReverseProxy
	rt    http.RoundTripper
	ctx   context.Context
	close context.CancelFunc

	mu      sync.Mutex
	refused []string // distinct refusals and failures, bounded
	conns   map[net.Conn]struct{}
}

// discardLog keeps the guard's server errors (a browser hanging up) out of the logs.
var discardLog = log.New(io.Discard, "", 0)

// maxRefusals bounds what one shot remembers of refused addresses.
const maxRefusals = 8

// maxAnswers bounds the hosts one shot remembers.
const maxAnswers = 256

// startGuard listens on 127.0.0.1:0 until stop is called.
func startGuard(resolve resolveFunc, allowPrivate bool, upstream *url.URL, timeout time.Duration) (*browserGuard, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("screenshot guard proxy: %w", err)
	}
	g := &browserGuard{guard: newGuard(pinned(resolve), upstream, allowPrivate, timeout), ln: ln, conns: map[net.Conn]struct{}{}}
	g.ctx, g.close = context.WithCancel(context.Background())
	// Plain http arrives rewritten to a checked address (ServeHTTP); the guard's transport
	// checks it again where it dials, or forwards it to enrich.http.proxy.
	g.rt = g.transport(nil, true)
	g.fwd = &httputil.ReverseProxy{
		Rewrite:      func(pr *httputil.ProxyRequest) {}, // the request is already rewritten to the checked address
		Transport:    g.rt,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { g.fail(w, http.StatusBadGateway, err) },
	}
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: timeout, BaseContext: func(net.Listener) context.Context { return g.ctx },
		ConnState: g.track, ErrorLog: discardLog}
	go g.srv.Serve(ln)
	return g, nil
}

// pinned is resolve keeping each host's first answer (of at most maxAnswers hosts): a page's
// many requests to one host cost one lookup, and a name cannot answer public first and private
// later within a shot (DNS rebinding). Failures are not kept.
func pinned(resolve resolveFunc) resolveFunc {
	if resolve == nil {
		resolve = systemAddrs
	}
	var mu sync.Mutex
	answers := map[string][]netip.Addr{}
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		key := strings.ToLower(host)
		mu.Lock()
		addrs, ok := answers[key]
		mu.Unlock()
		if ok {
			return addrs, nil
		}
		addrs, err := resolve(ctx, host)
		if err != nil || len(addrs) == 0 {
			return addrs, err
		}
		mu.Lock()
		if len(answers) < maxAnswers {
			answers[key] = addrs
		}
		mu.Unlock()
		return addrs, nil
	}
}

// addr is the proxy's host:port, for --proxy-server.
func (g *browserGuard) addr() string { return g.ln.Addr().String() }

// stop closes the listener and every connection, tunnels and idle upstream ones included.
func (g *browserGuard) stop() {
	g.close()
	g.srv.Close()
	g.mu.Lock()
	for c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	if c, ok := g.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (g *browserGuard) track(c net.Conn, s http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch s {
	case http.StateNew, http.StateHijacked:
		g.conns[c] = struct{}{}
	case http.StateClosed:
		delete(g.conns, c)
	}
}

// problems are what the guard refused or failed to reach during the shot, first first.
func (g *browserGuard) problems() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.refused...)
}

func (g *browserGuard) note(msg string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.refused {
		if m == msg {
			return
		}
	}
	if len(g.refused) < maxRefusals {
		g.refused = append(g.refused, msg)
	}
}

func (g *browserGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		g.connect(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		http.Error(w, "certhunt screenshot guard: only http:// is forwarded (https goes by CONNECT)", http.StatusBadRequest)
		return
	}
	port := r.URL.Port()
	if port == "" {
		port = "80"
	}
	addrs, err := g.addrs(r.Context(), r.URL.Hostname())
	if err != nil {
		g.fail(w, http.StatusForbidden, err)
		return
	}
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	// Host keeps the name; a direct connection goes to the checked address, so nothing
	// resolves the name a second time. (Through enrich.http.proxy the request line carries
	// Host, so the proxy resolves the name itself, as for the site fetch.)
	r.URL.Host = net.JoinHostPort(addrs[0].String(), port)
	g.fwd.ServeHTTP(w, r)
}

// fail notes err and hangs up: to Chromium an error page from the proxy of a plain http
// request would be the site's own page, and would be pictured as such, while a dropped
// connection is a failed load.
func (g *browserGuard) fail(w http.ResponseWriter, code int, err error) {
	g.note(err.Error())
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, herr := hj.Hijack(); herr == nil {
			c.Close()
			return
		}
	}
	http.Error(w, "certhunt screenshot guard: "+err.Error(), code)
}

// connect answers CONNECT with a tunnel the guard dialled to a checked address of r.Host.
func (g *browserGuard) connect(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
	defer cancel()
	up, err := g.dial(ctx, "tcp", r.Host)
	if err != nil {
		g.fail(w, http.StatusBadGateway, err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "certhunt screenshot guard: cannot tunnel", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	g.mu.Lock()
	g.conns[up] = struct{}{}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.conns, up)
		delete(g.conns, down)
		g.mu.Unlock()
		up.Close()
		down.Close()
	}()
	if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, buf); done <- struct{}{} }()
	go func() { io.Copy(down, up); done <- struct{}{} }()
	<-done // either side closing ends the tunnel (stop closes both)
}
