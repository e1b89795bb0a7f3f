// Package verdict answers "would serve open an incident for this name?" for one input of
// `certhunt check` or POST /api/v1/check, in SPEC.md's "check output" form. The command line and
// the API share it so that they read inputs (URLs by their host, junk as an error) and print
// verdicts the same way; the verdict itself is the detection index's, the one serve uses.
package verdict

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/names"
)

// Result is one line of check output: a verdict, or the input and why it is not a domain name.
type Result struct {
	Domain   string          `json:"domain"`
	Score    int             `json:"score"`
	Severity string          `json:"severity"`
	Incident bool            `json:"incident"`
	Asset    string          `json:"asset"`
	Matched  detect.Matched  `json:"matched"`
	Reasons  []detect.Reason `json:"reasons"`
	// Beyond SPEC's minimum: the forms the engine compared, and the feeds that list the name.
	DomainUnicode    string            `json:"domain_unicode,omitempty"`
	RegisteredDomain string            `json:"registered_domain,omitempty"`
	IntelHits        []detect.IntelHit `json:"intel_hits,omitempty"`
	// Error says why the input is not a domain name; the other fields are then empty.
	Error string `json:"error,omitempty"`
}

// MarshalJSON writes an error result as {"domain": ..., "error": ...} alone.
func (r Result) MarshalJSON() ([]byte, error) {
	if r.Error != "" {
		return json.Marshal(struct {
			Domain string `json:"domain"`
			Error  string `json:"error"`
		}{r.Domain, r.Error})
	}
	type plain Result
	return json.Marshal(plain(r))
}

// Check gives ix's verdict on input: a domain name (Unicode or punycode, "*." allowed) or a URL,
// which is checked by its host.
func Check(ix *detect.Index, input string) Result {
	host, err := Host(input)
	if err != nil {
		return Result{Domain: input, Error: err.Error()}
	}
	a := ix.Evaluate(host)
	r := Result{Domain: a.Domain, Score: a.Score, Severity: a.Severity, Incident: a.Incident, Asset: a.Asset,
		Matched: a.Matched, Reasons: a.Reasons, DomainUnicode: a.DomainUnicode, RegisteredDomain: a.RegisteredDomain,
		IntelHits: a.IntelHits}
	if r.Reasons == nil {
		r.Reasons = []detect.Reason{}
	}
	return r
}

// Host returns the domain name input names: itself, or a URL's host; an error says why input
// is not a domain name.
func Host(input string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", fmt.Errorf("empty: not a domain name")
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#") {
		raw := s
		if !strings.Contains(s, "://") {
			raw = "http://" + s
		}
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("not a domain name or a URL with a host")
		}
		s = u.Hostname()
	} else if h, port, err := net.SplitHostPort(s); err == nil && port != "" {
		s = h
	}
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return "", fmt.Errorf("%s is an IP address, not a domain name", s)
	}
	n, err := names.Parse(s)
	if err != nil {
		return "", fmt.Errorf("not a domain name: %v", strings.TrimPrefix(err.Error(), fmt.Sprintf("name %q", s)+": "))
	}
	if len(n.Labels) < 2 {
		return "", fmt.Errorf("not a domain name: %q has no dot", s)
	}
	if len(n.ASCII) > 253 {
		return "", fmt.Errorf("not a domain name: longer than 253 characters")
	}
	for _, l := range n.Labels {
		if len(l) > 63 {
			return "", fmt.Errorf("not a domain name: label %q is longer than 63 characters", l)
		}
	}
	return s, nil
}
