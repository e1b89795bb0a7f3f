package enrich

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// zoneServer answers from a zone on loopback UDP and TCP with github.com/miekg/dns: names it
// does not hold are NXDOMAIN, unless a "*.<domain>" record covers them.
type zoneServer struct {
	addr    string
	mu      sync.Mutex
	records map[string][]dns.RR // by lower-case FQDN
	fail    map[string]bool     // SERVFAIL
	silent  map[string]bool     // never answered
	queries []string
}

func startZone(t *testing.T, zone string) *zoneServer {
	t.Helper()
	z := &zoneServer{records: map[string][]dns.RR{}, fail: map[string]bool{}, silent: map[string]bool{}}
	for _, line := range strings.Split(strings.TrimSpace(zone), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		k := strings.ToLower(rr.Header().Name)
		z.records[k] = append(z.records[k], rr)
	}
	pc, ln := listenUDPAndTCP(t)
	z.addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: dns.HandlerFunc(z.serve)}, {Listener: ln, Handler: dns.HandlerFunc(z.serve)}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return z
}

func (z *zoneServer) serve(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	z.mu.Lock()
	defer z.mu.Unlock()
	z.queries = append(z.queries, dns.TypeToString[q.Qtype]+" "+name)
	if z.silent[name] {
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	rrs, ok := z.records[name]
	if !ok {
		if i := strings.IndexByte(name, '.'); i >= 0 {
			if wild, found := z.records["*"+name[i:]]; found {
				ok = true
				for _, rr := range wild {
					c := dns.Copy(rr)
					c.Header().Name = q.Name
					rrs = append(rrs, c)
				}
			}
		}
	}
	switch {
	case z.fail[name]:
		m.Rcode = dns.RcodeServerFailure
	case !ok:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
				m.Answer = append(m.Answer, rr)
			}
		}
		// Follow one CNAME inside the zone, as a recursive resolver would.
		for _, rr := range m.Answer {
			if c, isC := rr.(*dns.CNAME); isC && q.Qtype != dns.TypeCNAME {
				for _, t := range z.records[strings.ToLower(c.Target)] {
					if t.Header().Rrtype == q.Qtype {
						m.Answer = append(m.Answer, t)
					}
				}
			}
		}
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(512)
	}
	w.WriteMsg(m)
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// listenUDPAndTCP listens on one loopback port for both UDP and TCP (a resolver's truncated
// answers are asked again over TCP at the same address). The UDP port is chosen by the kernel,
// and that port may be busy for TCP, so a few ports are tried.
func listenUDPAndTCP(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	var last error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
		last = err
	}
	t.Fatalf("no loopback port free for both UDP and TCP: %v", last)
	return nil, nil
}
