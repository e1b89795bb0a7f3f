package enrich

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Resolve returns host's IPv4 and IPv6 addresses from the configured resolvers (an IP literal
// is itself). The screenshot guard uses it so that the address checked is the address dialled:
// Chromium never resolves a suspect name on its own.
func (d *DNS) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	servers, err := d.servers()
	if err != nil {
		return nil, err
	}
	q := &querier{servers: servers, client: &dns.Client{Timeout: cmpDuration(d.Timeout, 3*time.Second)}}
	var out []netip.Addr
	var firstErr error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		m, err := q.ask(ctx, host, qtype)
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		for _, rr := range answers(m) {
			var ip net.IP
			switch rr := rr.(type) {
			case *dns.A:
				ip = rr.A
			case *dns.AAAA:
				ip = rr.AAAA
			}
			if a, ok := netip.AddrFromSlice(ip); ok && len(out) < maxRecords {
				out = append(out, a.Unmap())
			}
		}
	}
	if len(out) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("%s has no address", truncate(host, 64))
	}
	return out, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// guard is the forward proxy every request of the screenshot browser goes through (CONNECT
// for TLS and WebSockets over TLS, plain forwarding for http). Chromium resolves and connects by
// itself, so a net.Dialer check like HTTPClient's cannot be put inside it; instead the guard
// resolves each host with the enrichment resolvers, checks every address (unless allowPrivate)
// and dials the checked address. Every redirect and every subresource is a new request, so each
// is checked. One guard serves one shot, so that what it refused is that shot's evidence.
type browserGuard struct {
	resolve      func(ctx context.Context, host string) ([]netip.Addr, error)
	allowPrivate bool
	// allow is the check of each address: Public unless allowPrivate (then nil: any).
	allow func(netip.Addr) bool
	// upstream is enrich.http.proxy: the checked address is asked of it, never the name, so
	// that it cannot resolve the name differently.
	upstream *url.URL
	timeout  time.Duration

	ln    net.Listener
	srv   *http.Server
	fwd   *httputil.ReverseProxy
	ctx   context.Context
	close context.CancelFunc

	mu      sync.Mutex
	refused []string // distinct refusals and failures, bounded
	conns   map[net.Conn]struct{}
	// answers keeps each host's addresses for the shot: a page's many requests to one host cost
	// one lookup, and a name cannot answer public first and private later (DNS rebinding).
	answers map[string][]netip.Addr
}

// discardLog keeps the guard's server errors (a browser hanging up) out of the logs.
var discardLog = log.New(io.Discard, "", 0)

// maxRefusals bounds what one shot remembers of refused addresses.
const maxRefusals = 8

// maxAnswers bounds the hosts one shot remembers.
const maxAnswers = 256

// startGuard listens on 127.0.0.1:0 until stop is called.
func startGuard(resolve func(context.Context, string) ([]netip.Addr, error), allowPrivate bool, upstream *url.URL, timeout time.Duration) (*browserGuard, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("screenshot guard proxy: %w", err)
	}
	g := &browserGuard{resolve: resolve, allowPrivate: allowPrivate, upstream: upstream, timeout: timeout, ln: ln,
		conns: map[net.Conn]struct{}{}, answers: map[string][]netip.Addr{}}
	if !allowPrivate {
		g.allow = Public
	}
	g.ctx, g.close = context.WithCancel(context.Background())
	t := &http.Transport{
		DialContext:           g.dialChecked,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          8,
		IdleConnTimeout:       30 * time.Second,
	}
	if upstream != nil {
		t.Proxy = http.ProxyURL(upstream)
		// Via the upstream proxy the transport dials the proxy (the operator's choice), and the
		// request line names the address already checked (see ServeHTTP).
		t.DialContext = (&net.Dialer{Timeout: timeout}).DialContext
	}
	g.fwd = &httputil.ReverseProxy{
		Rewrite:      func(pr *httputil.ProxyRequest) {}, // the request is already rewritten to the checked address
		Transport:    t,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { g.fail(w, http.StatusBadGateway, err) },
	}
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: timeout, BaseContext: func(net.Listener) context.Context { return g.ctx },
		ConnState: g.track, ErrorLog: discardLog}
	go g.srv.Serve(ln)
	return g, nil
}

// addr is the proxy's host:port, for --proxy-server.
func (g *browserGuard) addr() string { return g.ln.Addr().String() }

// stop closes the listener and every connection, tunnels included.
func (g *browserGuard) stop() {
	g.close()
	g.srv.Close()
	g.mu.Lock()
	for c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
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

// errRefused marks a destination the guard will not contact.
var errRefused = errors.New("refusing")

// check resolves hostport's host and returns the first address allowed, as ip:port.
func (g *browserGuard) check(ctx context.Context, hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not host:port", errRefused, truncate(hostport, 64))
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("%w: port %q", errRefused, truncate(port, 16))
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", truncate(host, 64), err)
	}
	for _, a := range addrs {
		if g.allow == nil || g.allow(a) {
			return net.JoinHostPort(a.String(), port), nil
		}
	}
	return "", fmt.Errorf("%w to contact %s (%s): not a public address (enrich.allow_private is false)", errRefused, addrs[0], truncate(host, 64))
}

// lookup resolves host once per shot.
func (g *browserGuard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	key := strings.ToLower(host)
	g.mu.Lock()
	addrs, ok := g.answers[key]
	g.mu.Unlock()
	if ok {
		return addrs, nil
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no address")
	}
	g.mu.Lock()
	if len(g.answers) < maxAnswers {
		g.answers[key] = addrs
	}
	g.mu.Unlock()
	return addrs, nil
}

// dialChecked dials a host:port the guard has rewritten to a checked address, checking again
// where the connection is made.
func (g *browserGuard) dialChecked(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: g.timeout}
	if !g.allowPrivate {
		d.Control = refusePrivate
	}
	return d.DialContext(ctx, network, address)
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
	hostport := r.URL.Host
	if r.URL.Port() == "" {
		hostport = net.JoinHostPort(r.URL.Hostname(), "80")
	}
	target, err := g.check(r.Context(), hostport)
	if err != nil {
		g.fail(w, http.StatusForbidden, err)
		return
	}
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	r.URL.Host = target // Host keeps the name; the connection goes to the checked address
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

// connect answers CONNECT with a tunnel to the checked address (through upstream when set).
func (g *browserGuard) connect(w http.ResponseWriter, r *http.Request) {
	target, err := g.check(r.Context(), r.Host)
	if err != nil {
		g.fail(w, http.StatusForbidden, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
	defer cancel()
	var up net.Conn
	if g.upstream != nil {
		up, err = g.upstreamConnect(ctx, target)
	} else {
		up, err = g.dialChecked(ctx, "tcp", target)
	}
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

// upstreamConnect opens a tunnel to target (a checked ip:port) through the upstream proxy.
func (g *browserGuard) upstreamConnect(ctx context.Context, target string) (net.Conn, error) {
	host, port := g.upstream.Hostname(), g.upstream.Port()
	if port == "" {
		port = "80"
		if g.upstream.Scheme == "https" {
			port = "443"
		}
	}
	c, err := (&net.Dialer{Timeout: g.timeout}).DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("enrich.http.proxy: %w", err)
	}
	if g.upstream.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: host})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("enrich.http.proxy: %w", err)
		}
		c = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if u := g.upstream.User; u != nil {
		p, _ := u.Password()
		req.SetBasicAuth(u.Username(), p)
		req.Header.Set("Proxy-Authorization", req.Header.Get("Authorization"))
		req.Header.Del("Authorization")
	}
	if err := req.Write(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("enrich.http.proxy: %w", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("enrich.http.proxy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return nil, fmt.Errorf("enrich.http.proxy answered CONNECT with %s", resp.Status)
	}
	c.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		c.Close()
		return nil, errors.New("enrich.http.proxy sent data before the tunnel")
	}
	return c, nil
}
