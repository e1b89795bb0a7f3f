package ctlog

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedLogList(t *testing.T) {
	logs, err := LoadLogList(context.Background(), "embedded", nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]LogInfo{}
	types := map[string]int{}
	for _, l := range logs {
		byName[l.Name] = l
		types[l.Type]++
		if l.Key == nil || len(l.LogID) != 32 {
			t.Errorf("%s: no key or log ID", l.Name)
		}
		switch l.State {
		case "usable", "qualified", "readonly", "monitoring_only":
		default:
			t.Errorf("%s: followed in state %q", l.Name, l.State)
		}
	}
	// The list holds 33 usable and 1 readonly RFC 6962 logs and 6 tiled logs.
	if types[TypeRFC6962] != 34 || types[TypeStatic] != 6 {
		t.Errorf("followed %v, want 34 rfc6962 and 6 static", types)
	}
	if _, ok := byName["Google 'Argon2020' log"]; ok {
		t.Error("rejected log Argon2020 is followed")
	}
	twig, ok := byName["Let's Encrypt Twig2025h1b"]
	if !ok {
		t.Fatal("tiled log Twig2025h1b is missing")
	}
	if twig.Type != TypeStatic || twig.URL != "https://twig.ct.letsencrypt.org/2025h1b/" || twig.origin() != "twig.ct.letsencrypt.org/2025h1b" {
		t.Errorf("Twig2025h1b = %+v, origin %q", twig, twig.origin())
	}
}

func TestLoadLogListFromFileAndURL(t *testing.T) {
	list := `{"operators":[{"name":"op","logs":[
	  {"description":"a","url":"http://127.0.0.1:1/a/","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6Tx2p1yKY4015NyIYvdrk36es0uAc1zA4PQ+TGRY+3ZjUTIYY9Wyu+3q/147JG4vNVKLtDWarZwVqGkg6lAYzA==","state":{"qualified":{}}},
	  {"description":"b","url":"https://b/","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6Tx2p1yKY4015NyIYvdrk36es0uAc1zA4PQ+TGRY+3ZjUTIYY9Wyu+3q/147JG4vNVKLtDWarZwVqGkg6lAYzA==","state":{"retired":{}}},
	  {"description":"c","url":"https://c/","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6Tx2p1yKY4015NyIYvdrk36es0uAc1zA4PQ+TGRY+3ZjUTIYY9Wyu+3q/147JG4vNVKLtDWarZwVqGkg6lAYzA==","state":{"pending":{}}}],
	 "tiled_logs":[
	  {"description":"d","submission_url":"https://d/sub/","monitoring_url":"https://d-mon/","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6Tx2p1yKY4015NyIYvdrk36es0uAc1zA4PQ+TGRY+3ZjUTIYY9Wyu+3q/147JG4vNVKLtDWarZwVqGkg6lAYzA==","state":{"usable":{}}},
	  {"description":"e","submission_url":"https://e/","monitoring_url":"https://e/","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6Tx2p1yKY4015NyIYvdrk36es0uAc1zA4PQ+TGRY+3ZjUTIYY9Wyu+3q/147JG4vNVKLtDWarZwVqGkg6lAYzA==","state":{"rejected":{}}}]}]}`
	path := filepath.Join(t.TempDir(), "list.json")
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(list)) }))
	defer srv.Close()
	for _, src := range []string{path, srv.URL + "/log_list.json"} {
		logs, err := LoadLogList(context.Background(), src, srv.Client())
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var names []string
		for _, l := range logs {
			names = append(names, l.Name+":"+l.Type+":"+l.State)
		}
		if got := strings.Join(names, " "); got != "a:rfc6962:qualified d:static:usable" {
			t.Errorf("%s: followed %s", src, got)
		}
		if logs[1].URL != "https://d-mon/" || logs[1].origin() != "d/sub" {
			t.Errorf("tiled log: URL %q, origin %q", logs[1].URL, logs[1].origin())
		}
	}
}

func TestLoadLogListErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"operators":[{"logs":[{"description":"x","url":"ftp://x/","key":"AAAA","state":{"usable":{}}}]}]}`), 0o644)
	notJSON := filepath.Join(t.TempDir(), "not.json")
	os.WriteFile(notJSON, []byte(`{"operators":`), 0o644)
	for src, want := range map[string]string{
		srv.URL + "/missing.json":    "404",
		"/nonexistent/log_list.json": "no such file",
		bad:                          `"ftp://x/" is not http(s)`,
		notJSON:                      "unexpected end of JSON",
	} {
		_, err := LoadLogList(context.Background(), src, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to mention %q", src, err, want)
		}
	}
	if _, err := NewLogInfo("x", "https://x/", "grpc", nil); err == nil {
		t.Error("unknown log type accepted")
	}
}
