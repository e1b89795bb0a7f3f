package enrich

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// rdapServer is a loopback registry: /rdap/domain/NAME answers from domains; it also serves
// the bootstrap file at /dns.json. It counts requests by path.
type rdapServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

const registration = `{"objectClassName":"domain","ldhName":"PAYPA1.COM",
 "events":[{"eventAction":"registration","eventDate":"2026-11-30T10:00:00Z"},{"eventAction":"expiration","eventDate":"2027-11-30T10:00:00Z"}],
 "entities":[{"objectClassName":"entity","roles":["registrant"],"vcardArray":["vcard",[["fn",{},"text","REDACTED"]]]},
  {"objectClassName":"entity","roles":["registrar"],"vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Evil\u0007 Registrar, Inc."]]]}]}`

func startRDAP(t *testing.T) *rdapServer {
	s := &rdapServer{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		switch r.URL.Path {
		case "/dns.json":
			fmt.Fprintf(w, `{"version":"1.0","services":[[["com","co.uk"],["http://%s/rdap/"]],[["org"],["%s/broken/"]],[["net"],["%s/huge/"]],[["info"],["ftp://nowhere/"]]]}`,
				r.Host, s.URL, s.URL)
		case "/rdap/domain/paypa1.com", "/rdap/domain/paypa1.co.uk":
			w.Header().Set("Content-Type", "application/rdap+json")
			w.Write([]byte(registration))
		case "/rdap/domain/junk.com":
			w.Write([]byte(`{"events": "not a list"`))
		case "/broken/domain/paypa1.org":
			http.Error(w, "down", http.StatusInternalServerError)
		case "/huge/domain/paypa1.net":
			w.Write([]byte(`{"events":[`))
			chunk := []byte(strings.Repeat(`{"eventAction":"x","eventDate":"y"},`, 1000))
			for range 100 { // 3.6 MB: more than an answer may be
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *rdapServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func TestRDAPLookup(t *testing.T) {
	srv := startRDAP(t)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	r := &RDAP{Bootstrap: srv.URL + "/dns.json", Now: func() time.Time { return now }}
	ctx := context.Background()

	ev := r.Lookup(ctx, "paypa1.com")
	if ev.Error != "" || ev.Registrar != "Evil Registrar, Inc." || ev.Created == nil || !ev.Created.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)) ||
		ev.Expires == nil || ev.AgeDays == nil || *ev.AgeDays != 2 || !strings.HasSuffix(ev.Server, "/rdap/") {
		t.Fatalf("paypa1.com: %+v", ev)
	}
	now = now.Add(20 * time.Hour) // cached, and the age moves on
	if ev := r.Lookup(ctx, "PAYPA1.com"); *ev.AgeDays != 3 || srv.count("/rdap/domain/paypa1.com") != 1 {
		t.Fatalf("cached: %+v, %d queries", ev, srv.count("/rdap/domain/paypa1.com"))
	}
	if ev := r.Lookup(ctx, "paypa1.co.uk"); ev.Registrar == "" { // the longest suffix listed
		t.Errorf("co.uk: %+v", ev)
	}
	for _, tc := range []struct{ domain, want string }{
		{"paypa1.xyz", "the registry of .xyz offers no RDAP service"},
		{"paypa1.info", "the registry of .info offers no RDAP service"}, // no usable URL
		{"paypa1.org", "HTTP 500"},
		{"paypa1.net", "answer larger than"},
		{"junk.com", "RDAP http"},
		{"unregistered.com", "not found at the registry"},
	} {
		ev := r.Lookup(ctx, tc.domain)
		if !strings.Contains(ev.Error, tc.want) || ev.Registrar != "" {
			t.Errorf("%s: %+v, want error containing %q", tc.domain, ev, tc.want)
		}
		if strings.Contains(tc.want, "no RDAP") != ev.Unavailable {
			t.Errorf("%s: unavailable %v", tc.domain, ev.Unavailable)
		}
	}
	// Failures are cached too: asking again within the hour asks nobody.
	r.Lookup(ctx, "paypa1.org")
	if n := srv.count("/broken/domain/paypa1.org"); n != 1 {
		t.Errorf("failing registry asked %d times, want 1", n)
	}
	if n := srv.count("/dns.json"); n != 1 {
		t.Errorf("bootstrap fetched %d times, want 1", n)
	}
	now = now.Add(2 * time.Hour)
	r.Lookup(ctx, "paypa1.org")
	if n := srv.count("/broken/domain/paypa1.org"); n != 2 {
		t.Errorf("failing registry asked %d times after its error expired, want 2", n)
	}
}

func TestRDAPBootstrapFile(t *testing.T) {
	srv := startRDAP(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "dns.json")
	os.WriteFile(file, []byte(`{"version":"1.0","services":[[["com"],["`+srv.URL+`/rdap/"]]]}`), 0o644)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	r := &RDAP{Bootstrap: file, Now: func() time.Time { return now }}
	if ev := r.Lookup(context.Background(), "paypa1.com"); ev.Registrar != "Evil Registrar, Inc." {
		t.Fatalf("%+v", ev)
	}
	bad := &RDAP{Bootstrap: filepath.Join(dir, "missing.json"), Now: func() time.Time { return now }}
	if ev := bad.Lookup(context.Background(), "paypa1.com"); !strings.Contains(ev.Error, "RDAP bootstrap") || ev.Unavailable {
		t.Fatalf("missing bootstrap: %+v", ev)
	}
	os.WriteFile(file, []byte(`{"services": 3}`), 0o644)
	r = &RDAP{Bootstrap: file, Now: func() time.Time { return now }}
	if ev := r.Lookup(context.Background(), "paypa1.com"); !strings.Contains(ev.Error, "RDAP bootstrap") {
		t.Fatalf("bad bootstrap: %+v", ev)
	}
}
