package auth

import (
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Failed logins and bearer tokens: after maxFailures from one client address within
// failureWindow, that address gets 429 until the window has passed. A guesser gets a handful of
// tries a minute; a legitimate client with a stale token is slowed, not locked out for long.
const (
	maxFailures    = 10
	failureWindow  = time.Minute
	maxFailureKeys = 10000 // addresses tracked at once; the oldest windows are swept first
)

type failures struct {
	count int
	since time.Time
}

// clientKey is the address failures are counted under: the remote IP (a /64 for IPv6, which
// one client can hop within).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return host
}

// throttled answers 429 when r's client has failed too often lately.
func (a *Auth) throttled(w http.ResponseWriter, r *http.Request) bool {
	now := a.opts.Now()
	a.mu.Lock()
	f, ok := a.failures[clientKey(r)]
	a.mu.Unlock()
	if !ok || f.count < maxFailures || !now.Before(f.since.Add(failureWindow)) {
		return false
	}
	wait := f.since.Add(failureWindow).Sub(now)
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	a.log.Warn("throttled a client after repeated authentication failures", "remote", r.RemoteAddr)
	writeJSONError(w, http.StatusTooManyRequests, "too many failed attempts; try again later")
	return true
}

// failed counts one authentication failure for r's client.
func (a *Auth) failed(r *http.Request) {
	now := a.opts.Now()
	key := clientKey(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[key]
	if !now.Before(f.since.Add(failureWindow)) {
		f = failures{since: now}
	}
	f.count++
	if len(a.failures) >= maxFailureKeys {
		for k, old := range a.failures {
			if !now.Before(old.since.Add(failureWindow)) {
				delete(a.failures, k)
			}
		}
		if len(a.failures) >= maxFailureKeys { // all recent: forget an arbitrary one
			for k := range a.failures {
				delete(a.failures, k)
				break
			}
		}
	}
	a.failures[key] = f
}

// localGuard is the no-token middleware: it refuses requests for other host names (DNS
// rebinding) and state changes that a web page on another origin could have sent.
func (a *Auth) localGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.allowedHost(r.Host) {
			a.log.Warn("refused a request for another host name", "host", r.Host, "remote", r.RemoteAddr)
			writeJSONError(w, http.StatusMisdirectedRequest, "this server does not answer for host "+strconv.Quote(r.Host))
			return
		}
		if stateChanging(r.Method) {
			if !sameOrigin(r) {
				a.log.Warn("refused a cross-origin state change", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
				writeJSONError(w, http.StatusForbidden, "cross-origin request refused")
				return
			}
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				writeJSONError(w, http.StatusUnsupportedMediaType, "state-changing requests need Content-Type: application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHost says whether a Host header names this server: an IP address (a page cannot
// rebind an address), localhost, or one of Options.AllowedHosts.
func (a *Auth) allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, h := range a.opts.AllowedHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}
