package enrich

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/certhunt/certhunt/internal/incident"
)

// DNS looks names up with github.com/miekg/dns against given resolvers, so that the
// rcode (NXDOMAIN or SERVFAIL) and a timeout are told apart, which net.Resolver hides.
type DNS struct {
	// Servers are host:port; empty: /etc/resolv.conf's (ResolvConf).
	Servers []string
	// ResolvConf is read when Servers is empty (default /etc/resolv.conf).
	ResolvConf string
	// Timeout bounds one query to one server (default 3s).
	Timeout time.Duration
	// Now is the clock of the wildcard cache (default time.Now).
	Now func() time.Time

	mu        sync.Mutex
	wildcards map[string]wildcardEntry // by registered domain
}

type wildcardEntry struct {
	wildcard bool
	expires  time.Time
}

// Bounds on what one answer may make certhunt keep.
const (
	maxRecords      = 16 // per record type
	maxWildcards    = 10000
	wildcardTTL     = time.Hour
	maxNameLen      = 255
	wildcardLabelSz = 12 // random bytes, hex-encoded, of the probe label
)

// servers returns the configured resolvers, or the system's.
func (d *DNS) servers() ([]string, error) {
	if len(d.Servers) > 0 {
		return d.Servers, nil
	}
	path := d.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no DNS resolvers: %w", err)
	}
	conf, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("no DNS resolvers: %w", err)
	}
	var out []string
	for _, s := range conf.Servers {
		out = append(out, net.JoinHostPort(s, conf.Port))
	}
	if len(out) == 0 {
		return nil, errors.New("no DNS resolvers in " + path)
	}
	return out, nil
}

// querier asks the configured resolvers (or the system's), each query bounded by Timeout.
func (d *DNS) querier() (*querier, error) {
	servers, err := d.servers()
	if err != nil {
		return nil, err
	}
	return &querier{servers: servers, client: &dns.Client{Timeout: cmpDuration(d.Timeout, 3*time.Second)}}, nil
}

// Lookup gathers the DNS evidence of name (A, AAAA, CNAME, MX) and of its registered domain
// (NS, wildcard, parking). Failures are recorded in the evidence, never returned.
func (d *DNS) Lookup(ctx context.Context, name, registered string) *incident.DNSEvidence {
	ev := &incident.DNSEvidence{}
	q, err := d.querier()
	if err != nil {
		ev.Status, ev.Error = incident.DNSServFail, err.Error()
		return ev
	}
	a, err := q.ask(ctx, name, dns.TypeA)
	ev.Status = status(a, err)
	if err != nil {
		ev.Error = err.Error()
		return ev // the name's resolvers are not answering: the rest would wait as long
	}
	var errs []string
	note := func(err error) {
		if err != nil && len(errs) < 4 {
			errs = append(errs, err.Error())
		}
	}
	if ev.Status != incident.DNSResolves {
		if a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNameError {
			ev.Error = "rcode " + dns.RcodeToString[a.Rcode]
		}
	} else {
		fqdn := dns.Fqdn(name)
		for _, rr := range a.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				ev.A = addCapped(ev.A, rr.A.String())
			case *dns.CNAME:
				if ev.CNAME == "" && strings.EqualFold(rr.Hdr.Name, fqdn) {
					ev.CNAME = cleanName(rr.Target)
				}
			}
		}
		aaaa, err := q.ask(ctx, name, dns.TypeAAAA)
		note(err)
		for _, rr := range answers(aaaa) {
			if rr, ok := rr.(*dns.AAAA); ok {
				ev.AAAA = addCapped(ev.AAAA, rr.AAAA.String())
			}
		}
		mx, err := q.ask(ctx, name, dns.TypeMX)
		note(err)
		for _, rr := range answers(mx) {
			if rr, ok := rr.(*dns.MX); ok {
				ev.MX = addCapped(ev.MX, cleanName(rr.Mx))
			}
		}
		if len(ev.A) == 0 && len(ev.AAAA) == 0 && ev.CNAME == "" {
			ev.Status = incident.DNSNoData // registered, pointing nowhere (yet)
		}
	}
	// The registered domain's name servers say who hosts it (and whether a parking service
	// does) even when the name itself does not resolve.
	ns, err := q.ask(ctx, registered, dns.TypeNS)
	note(err)
	for _, rr := range answers(ns) {
		if rr, ok := rr.(*dns.NS); ok {
			ev.NS = addCapped(ev.NS, cleanName(rr.Ns))
		}
	}
	slices.Sort(ev.NS)
	for _, n := range ev.NS {
		if p := ParkingService(n); p != "" {
			ev.Parked, ev.ParkingNS = true, n
			break
		}
	}
	if ns != nil && ns.Rcode != dns.RcodeNameError {
		w, err := d.wildcard(ctx, q, registered)
		note(err)
		ev.Wildcard = w
		caa, err := caaRecords(ctx, q, name, registered)
		note(err)
		ev.CAA = caa
	}
	if len(errs) > 0 {
		ev.Error = strings.Join(errs, "; ")
	}
	return ev
}

// caaRecords are the CAA records that govern issuance for name (RFC 8659: the name's own, or
// else its closest ancestor's), looked for no higher than the registered domain.
func caaRecords(ctx context.Context, q *querier, name, registered string) ([]string, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	registered = strings.ToLower(strings.TrimSuffix(registered, "."))
	for range 10 { // bounded however deep the name
		m, err := q.ask(ctx, name, dns.TypeCAA)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, rr := range answers(m) {
			if rr, ok := rr.(*dns.CAA); ok {
				out = addCapped(out, truncate(fmt.Sprintf("%d %s %s", rr.Flag, printable(rr.Tag, 32), printable(rr.Value, 200)), 256))
			}
		}
		if len(out) > 0 || name == registered || !strings.HasSuffix(name, "."+registered) {
			return out, nil
		}
		_, name, _ = strings.Cut(name, ".")
	}
	return nil, nil
}

// Addrs are name's A and AAAA addresses as the enrichment resolvers give them (the CNAME
// chain followed by the resolver), for ssrf.go's guard to check and dial (the HTTP fetch,
// RDAP, the screenshot browser's proxy): asking the same resolvers as the evidence, and
// dialling only what was checked, leaves no room for a second, different answer (DNS
// rebinding).
func (d *DNS) Addrs(ctx context.Context, name string) ([]netip.Addr, error) {
	q, err := d.querier()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	var firstErr error
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		m, err := q.ask(ctx, name, qt)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if m.Rcode == dns.RcodeNameError {
			return nil, fmt.Errorf("%s: NXDOMAIN", truncate(name, 64))
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
		return nil, fmt.Errorf("%s has no address", truncate(name, 64))
	}
	return out, nil
}

// wildcard asks for a random label under registered: an answer means any name resolves, so
// that the suspect name resolving says little. Cached per registered domain.
func (d *DNS) wildcard(ctx context.Context, q *querier, registered string) (bool, error) {
	now := cmpNow(d.Now)()
	key := strings.ToLower(registered)
	d.mu.Lock()
	if e, ok := d.wildcards[key]; ok && now.Before(e.expires) {
		d.mu.Unlock()
		return e.wildcard, nil
	}
	d.mu.Unlock()
	b := make([]byte, wildcardLabelSz)
	rand.Read(b)
	m, err := q.ask(ctx, "certhunt-"+hex.EncodeToString(b)+"."+registered, dns.TypeA)
	if err != nil {
		return false, err
	}
	w := false
	for _, rr := range answers(m) {
		if _, ok := rr.(*dns.A); ok {
			w = true
		}
	}
	d.mu.Lock()
	if d.wildcards == nil || len(d.wildcards) >= maxWildcards {
		d.wildcards = map[string]wildcardEntry{} // bounded: forgetting costs one query each
	}
	d.wildcards[key] = wildcardEntry{wildcard: w, expires: now.Add(wildcardTTL)}
	d.mu.Unlock()
	return w, nil
}

// querier asks each server in turn until one answers.
type querier struct {
	servers []string
	client  *dns.Client
}

func (q *querier) ask(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	if len(name) > maxNameLen || !validName(name) {
		return nil, fmt.Errorf("%q is not a DNS name", truncate(name, 64))
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	var lastErr error
	for _, srv := range q.servers {
		r, err := q.exchange(ctx, m, srv)
		if err != nil {
			lastErr = fmt.Errorf("%s %s at %s: %w", dns.TypeToString[qtype], name, srv, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if r.Rcode == dns.RcodeServerFailure || r.Rcode == dns.RcodeRefused {
			lastErr = nil
			if len(q.servers) > 1 {
				continue // another resolver may do better; the last answer stands otherwise
			}
		}
		return r, nil
	}
	if lastErr == nil {
		return nil, fmt.Errorf("%s %s: every resolver failed", dns.TypeToString[qtype], name)
	}
	return nil, lastErr
}

// exchange asks one server, over TCP when the UDP answer is truncated. miekg/dns bounds a
// query by its timeout but does not see ctx end, so the query runs aside and is abandoned on
// cancellation (it ends at its own timeout): a stuck resolver cannot hold up shutdown.
func (q *querier) exchange(ctx context.Context, m *dns.Msg, srv string) (*dns.Msg, error) {
	type result struct {
		r   *dns.Msg
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, _, err := q.client.ExchangeContext(ctx, m, srv)
		if err == nil && r.Truncated {
			tcp := *q.client
			tcp.Net = "tcp"
			r, _, err = tcp.ExchangeContext(ctx, m, srv)
		}
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// status maps an A query's outcome to the evidence's status.
func status(m *dns.Msg, err error) string {
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return incident.DNSTimeout
		}
		return incident.DNSServFail
	}
	switch m.Rcode {
	case dns.RcodeSuccess:
		return incident.DNSResolves
	case dns.RcodeNameError:
		return incident.DNSNXDomain
	}
	return incident.DNSServFail
}

func answers(m *dns.Msg) []dns.RR {
	if m == nil || m.Rcode != dns.RcodeSuccess {
		return nil
	}
	return m.Answer
}

func addCapped(list []string, v string) []string {
	if len(list) >= maxRecords || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// cleanName is a name from an answer as the evidence keeps it: lower case, no final dot, and
// in presentation format (miekg/dns escapes odd bytes), so it is printable.
func cleanName(s string) string {
	return truncate(strings.ToLower(strings.TrimSuffix(s, ".")), maxNameLen)
}

func validName(s string) bool {
	_, ok := dns.IsDomainName(s)
	return ok && s != ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func cmpNow(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
