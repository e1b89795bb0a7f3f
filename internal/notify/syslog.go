package notify

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/certhunt/certhunt/internal/severity"
)

// Syslog framing facts (RFC 5424).
const (
	// syslogFacility is local0: certhunt is an application, and SIEMs route local0-7 by config.
	syslogFacility = 16
	// syslogSDID names certhunt's structured data element; 32473 is the enterprise number
	// reserved for documentation and examples (RFC 5612).
	syslogSDID = "certhunt@32473"
	// syslogMaxValue bounds each structured-data value so a datagram stays well under 2 KiB
	// (RFC 5426 asks receivers to accept 2048 octets).
	syslogMaxValue = 200
	utf8BOM        = "\xef\xbb\xbf"
)

// syslog sends RFC 5424 messages over UDP (one datagram each) or TCP (octet-counting framing,
// RFC 6587), keeping one connection open and redialling after an error.
type syslog struct {
	cfg      Config
	links    linker
	hostname string
	pid      string

	mu   sync.Mutex
	conn net.Conn
}

func newSyslog(c Config, links linker) *syslog {
	if c.Network == "" {
		c.Network = "udp"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "-"
	}
	return &syslog{cfg: c, links: links, hostname: syslogToken(host, 255), pid: strconv.Itoa(os.Getpid())}
}

// syslogSeverity maps incident severities to syslog severities (critical=2 … notice=5).
func syslogSeverity(s string) int {
	switch s {
	case severity.Critical:
		return 2
	case severity.High:
		return 3
	case severity.Medium:
		return 4
	}
	return 5
}

// format renders ev as one RFC 5424 message (without transport framing).
func (s *syslog) format(ev Event, now time.Time) []byte {
	inc := ev.Incident
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s certhunt %s %s ",
		syslogFacility*8+syslogSeverity(inc.Severity),
		now.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		s.hostname, s.pid, syslogToken("incident_"+ev.Kind, 32))
	b.WriteString("[" + syslogSDID)
	param := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteString(" " + name + `="` + sdEscape(truncate(printable(value), syslogMaxValue)) + `"`)
	}
	param("id", inc.ID)
	param("event", ev.Kind)
	param("severity", inc.Severity)
	param("score", strconv.Itoa(inc.Score))
	param("asset", inc.Asset)
	param("domain", inc.Domain)
	if inc.DomainUnicode != inc.Domain {
		param("domain_unicode", inc.DomainUnicode)
	}
	param("registered_domain", inc.RegisteredDomain)
	param("matched_kind", inc.Matched.Kind)
	param("matched_value", inc.Matched.Value)
	if inc.Matched.Similarity > 0 {
		param("similarity", strconv.FormatFloat(inc.Matched.Similarity, 'f', 3, 64))
	}
	if len(inc.Certificates) > 0 {
		param("cert_sha256", inc.Certificates[0].SHA256)
	}
	param("link", s.links.incident(inc.ID))
	b.WriteString("] ")
	msg := printable(fmt.Sprintf("certhunt %s incident %s: %s looks like %s (%s, score %d)",
		ev.Kind, inc.ID, inc.Domain, inc.Asset, inc.Severity, inc.Score))
	if !isASCII(msg) {
		b.WriteString(utf8BOM) // RFC 5424 6.4: a UTF-8 MSG starts with a BOM
	}
	b.WriteString(msg)
	return []byte(b.String())
}

// sdEscaper escapes a structured-data parameter value (RFC 5424 6.3.3).
var sdEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

func sdEscape(s string) string { return sdEscaper.Replace(s) }

// syslogToken makes s a header field: printable US-ASCII without spaces, at most n octets, or
// "-" (the NILVALUE) when nothing is left.
func syslogToken(s string, n int) string {
	out := strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return '_'
		}
		return r
	}, s)
	if len(out) > n {
		out = out[:n]
	}
	if out == "" {
		return "-"
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (s *syslog) send(ctx context.Context, ev Event) error {
	msg := s.format(ev, time.Now())
	if s.cfg.Network == "tcp" {
		msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, s.cfg.Network, s.cfg.Address)
		if err != nil {
			return fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.cfg.Address, err)
		}
		s.conn = conn
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = s.conn.SetWriteDeadline(deadline)
	}
	if _, err := s.conn.Write(msg); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.cfg.Address, err)
	}
	return nil
}

func (s *syslog) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}
