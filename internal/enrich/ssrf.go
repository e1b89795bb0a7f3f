package enrich

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// reserved are ranges beyond net.IP's predicates that no public server lives in.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),  // documentation
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64: may reach a private IPv4 address
	netip.MustParsePrefix("2001:db8::/32"),
}

// Public reports whether addr is an address certhunt may contact on behalf of a suspect
// name: not private, loopback, link-local, multicast, unspecified or reserved.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// HTTPClientVia is the client of enrichment's requests to registries (RDAP), through proxy
// when it is not nil, resolving with dns (nil: the system's resolver). Unless allowPrivate,
// every connection's destination is checked, after DNS and on every redirect, so that
// neither a hostile registry's redirect nor a DNS answer can make certhunt probe the internal
// network. Environment proxies are not used: the check must see the real destination.
func HTTPClientVia(timeout time.Duration, allowPrivate bool, proxy *url.URL, dns *DNS) *http.Client {
	g := newGuard(resolverOf(dns), proxy, allowPrivate, timeout)
	return &http.Client{Transport: g.transport(nil, true), Timeout: timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return errRedirects
		}
		return nil
	}}
}

// errRedirects ends a redirect chain longer than maxRedirects.
var errRedirects = errors.New("more than 10 redirects")

const maxRedirects = 10

// guard makes the connections of enrichment's HTTP requests (RDAP, the site fetch, and the
// screenshot browser's through guard.go's proxy): it resolves each destination host itself,
// keeps only the addresses that may be contacted, and dials those, directly or through the
// proxy's CONNECT, so no second DNS answer can send the connection elsewhere (DNS rebinding).
// Through a proxy, plain http is a forward-proxy request, which the proxy resolves itself,
// after the check here.
type guard struct {
	resolve resolveFunc
	// allow is the one address check, made after DNS and again on the socket: Public, or nil
	// (anything) under enrich.allow_private.
	allow   func(netip.Addr) bool
	proxy   *url.URL
	timeout time.Duration
}

// resolveFunc gives a host name's addresses (DNS.Addrs); the guard checks them.
type resolveFunc = func(ctx context.Context, host string) ([]netip.Addr, error)

// newGuard is a guard contacting only Public addresses unless allowPrivate; resolve nil is
// the system's resolver.
func newGuard(resolve resolveFunc, proxy *url.URL, allowPrivate bool, timeout time.Duration) *guard {
	if resolve == nil {
		resolve = systemAddrs
	}
	g := &guard{resolve: resolve, proxy: proxy, timeout: timeout}
	if !allowPrivate {
		g.allow = Public
	}
	return g
}

// resolverOf is d's resolver, or the system's when there is no d.
func resolverOf(d *DNS) resolveFunc {
	if d == nil {
		return systemAddrs
	}
	return d.Addrs
}

// systemAddrs is the system's resolver, for a guard given no enrichment DNS.
func systemAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// transport is the http.RoundTripper of g; keepAlive reuses connections (for registries).
func (g *guard) transport(tlsConf *tls.Config, keepAlive bool) http.RoundTripper {
	mk := func(dial func(context.Context, string, string) (net.Conn, error), proxy func(*http.Request) (*url.URL, error)) *http.Transport {
		t := &http.Transport{DialContext: dial, Proxy: proxy, TLSClientConfig: tlsConf, TLSHandshakeTimeout: g.timeout,
			ResponseHeaderTimeout: g.timeout, MaxResponseHeaderBytes: maxHeaderBytes, ForceAttemptHTTP2: true}
		if keepAlive {
			t.MaxIdleConns, t.IdleConnTimeout = 16, time.Minute
		} else {
			t.DisableKeepAlives = true
		}
		return t
	}
	direct := mk(g.dial, nil)
	if g.proxy == nil {
		return direct
	}
	d := &net.Dialer{Timeout: g.timeout}
	return schemeSplit{https: direct, http: mk(d.DialContext, g.forwardProxy)}
}

// schemeSplit sends https through the CONNECT-tunnelling dialer and http through the proxy.
type schemeSplit struct{ https, http http.RoundTripper }

func (s schemeSplit) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" {
		return s.https.RoundTrip(r)
	}
	return s.http.RoundTrip(r)
}

// CloseIdleConnections lets the browser proxy's stop close both sides' idle connections.
func (s schemeSplit) CloseIdleConnections() {
	for _, rt := range []http.RoundTripper{s.https, s.http} {
		if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
	}
}

// forwardProxy checks a plain-http destination's DNS answer before handing it to the proxy.
func (g *guard) forwardProxy(r *http.Request) (*url.URL, error) {
	if _, err := g.addrs(r.Context(), r.URL.Hostname()); err != nil {
		return nil, err
	}
	return g.proxy, nil
}

// addrs resolves host (or takes it as an address: the resolver is not asked) and keeps the
// addresses that may be contacted; none is an error saying why.
func (g *guard) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var all []netip.Addr
	var err error
	if a, perr := netip.ParseAddr(strings.Trim(host, "[]")); perr == nil {
		all = []netip.Addr{a.Unmap()}
	} else {
		all, err = g.resolve(ctx, host)
	}
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%s has no address", truncate(host, 64))
	}
	if g.allow == nil {
		return all, nil
	}
	var ok []netip.Addr
	for _, a := range all {
		if a = a.Unmap(); g.allow(a) {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		what := truncate(host, 64)
		if what != all[0].String() {
			what += " (" + all[0].String() + ")"
		}
		return nil, refusedError(fmt.Sprintf("refusing to contact %s: not a public address (enrich.allow_private is false)", what))
	}
	return ok, nil
}

// refusedError is a destination refused for its address: trying it another way is no use.
type refusedError string

func (e refusedError) Error() string { return string(e) }

// dial connects to a checked address of addr's host, directly or through the proxy's CONNECT.
func (g *guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := g.addrs(ctx, host)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: g.timeout}
	if g.allow != nil {
		d.Control = g.control // and again where the socket is made
	}
	var last error
	for _, ip := range ips[:min(len(ips), 4)] {
		target := net.JoinHostPort(ip.String(), port)
		var c net.Conn
		if g.proxy != nil {
			c, err = g.connect(ctx, target)
		} else {
			c, err = d.DialContext(ctx, "tcp", target)
		}
		if err == nil {
			return c, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

// connect opens a tunnel to target (a checked ip:port) through the proxy. The proxy is the
// operator's choice and is not checked.
func (g *guard) connect(ctx context.Context, target string) (net.Conn, error) {
	d := &net.Dialer{Timeout: g.timeout}
	paddr := g.proxy.Host
	if g.proxy.Port() == "" {
		port := "80"
		if g.proxy.Scheme == "https" {
			port = "443"
		}
		paddr = net.JoinHostPort(g.proxy.Hostname(), port)
	}
	c, err := d.DialContext(ctx, "tcp", paddr)
	if err != nil {
		return nil, fmt.Errorf("enrich.http.proxy: %w", err)
	}
	fail := func(err error) (net.Conn, error) {
		c.Close()
		return nil, fmt.Errorf("enrich.http.proxy: %w", err)
	}
	c.SetDeadline(time.Now().Add(g.timeout))
	if g.proxy.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: g.proxy.Hostname()})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(err)
		}
		c = tc
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if u := g.proxy.User; u != nil {
		p, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+p)))
	}
	if err := req.Write(c); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("CONNECT %s: %s", target, truncate(resp.Status, 64)))
	}
	c.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// control is a net.Dialer Control checking g.allow: it sees the address actually dialled.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing %s: %v", address, err)
	}
	if !g.allow(ap.Addr().Unmap()) {
		return fmt.Errorf("refusing to contact %s: not a public address (enrich.allow_private is false)", ap.Addr())
	}
	return nil
}
