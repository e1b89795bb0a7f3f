// Package caatest serves CAA records on loopback UDP with github.com/miekg/dns, for tests of
// the issuance checks: a real DNS server, so the client's wire handling is exercised too.
package caatest

import (
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Server answers CAA questions from a zone given in presentation format.
type Server struct {
	// Addr is the server's host:port.
	Addr string

	srv     *dns.Server
	mu      sync.Mutex
	records map[string][]dns.RR
	fail    map[string]bool
	queries int
}

// Start serves zone (one record a line, e.g. `example.com. 300 IN CAA 0 issue "ca.test"`).
func Start(zone string) (*Server, error) {
	s := &Server{records: map[string][]dns.RR{}, fail: map[string]bool{}}
	for _, line := range strings.Split(strings.TrimSpace(zone), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			return nil, fmt.Errorf("caatest: %q: %w", line, err)
		}
		s.records[rr.Header().Name] = append(s.records[rr.Header().Name], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = pc.LocalAddr().String()
	started := make(chan struct{})
	s.srv = &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(s.serve)}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-errc:
		return nil, err
	}
	return s, nil
}

func (s *Server) serve(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	s.mu.Lock()
	s.queries++
	if len(r.Question) == 1 {
		q := r.Question[0]
		switch {
		case s.fail[strings.ToLower(q.Name)]:
			m.Rcode = dns.RcodeServerFailure
		case q.Qtype == dns.TypeCAA:
			m.Answer = s.records[strings.ToLower(q.Name)]
		}
	}
	s.mu.Unlock()
	w.WriteMsg(m)
}

// Fail makes questions for name (without the trailing dot) answer SERVFAIL.
func (s *Server) Fail(name string) {
	s.mu.Lock()
	s.fail[dns.Fqdn(strings.ToLower(name))] = true
	s.mu.Unlock()
}

// Queries is how many questions the server answered.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

// Close stops the server.
func (s *Server) Close() { s.srv.Shutdown() }
