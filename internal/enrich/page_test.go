package enrich

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

func TestParsePageForms(t *testing.T) {
	for _, c := range []struct {
		name, html               string
		login, password, payment bool
	}{
		{"password", `<form><input type=password name=p></form>`, true, true, false},
		{"email and submit", `<form action=/next><input type=email name=e><input type=submit value=Next></form>`, true, false, false},
		{"username and button", `<form><input name=username><button>Continue</button></form>`, true, false, false},
		{"search box", `<form><input name=q><button>Search</button></form>`, false, false, false},
		{"email without submit (newsletter text)", `<form><input type=email></form>`, false, false, false},
		{"card by autocomplete", `<form><input autocomplete=cc-number><input name=zip></form>`, false, false, true},
		{"cvv by name, no form", `<div><input name="cvv2"><input name="holder"></div>`, false, false, true},
		{"password inside script is not a form", `<script>var s = "<input type=password>";</script>`, false, false, false},
		{"forms are separate", `<form><input type=email></form><form><button>Go</button></form>`, false, false, false},
	} {
		p := parsePage([]byte(c.html))
		if p.login != c.login || p.password != c.password || p.payment != c.payment {
			t.Errorf("%s: login %v password %v payment %v, want %v %v %v", c.name, p.login, p.password, p.payment, c.login, c.password, c.payment)
		}
	}
}

func TestParsePageText(t *testing.T) {
	p := parsePage([]byte(`<html><head><title>  Sign
 in &ndash; Bank-Of-Example </title><style>.x{color:red}</style></head>
<body><script>document.write("hidden words")</script><p>Welcome to <b>Bank of Example</b> online</p>
<link rel="shortcut icon" href="/i.ico"></body></html>`))
	if p.title != "Sign in – Bank-Of-Example" {
		t.Errorf("title %q", p.title)
	}
	if strings.Contains(p.text, "hidden") || strings.Contains(p.text, "color") || !strings.Contains(p.text, "welcome to bank of example online") {
		t.Errorf("visible text %q", p.text)
	}
	if p.icon != "/i.ico" {
		t.Errorf("icon %q", p.icon)
	}
	if got := p.brandWords("bank-of-example.com"); !slices.Equal(got, []string{"bank of example", "bank", "example"}) {
		t.Errorf("brand words %q", got)
	}
	if got := parsePage([]byte("<p>ups and downs</p>")).brandWords("ups.com"); !slices.Equal(got, []string{"ups"}) {
		t.Errorf("short brand as a word: %q", got)
	}
	if got := parsePage([]byte("<p>groups</p>")).brandWords("ups.com"); len(got) != 0 {
		t.Errorf("short brand inside a word: %q", got)
	}
}

func TestParsePageBounds(t *testing.T) {
	p := parsePage([]byte("<title>" + strings.Repeat("t", 1<<20) + "</title><p>" + strings.Repeat("w", 1<<20) + " " + strings.Repeat("ab ", 200_000)))
	if len(p.title) > maxTitle || len(p.text) > maxText+maxWord+1 || strings.Contains(p.text, "www") {
		t.Errorf("title %d bytes, text %d bytes", len(p.title), len(p.text))
	}
}

func TestSimilarity(t *testing.T) {
	brand, clone, parked := parsePage([]byte(brandPage)), parsePage([]byte(clonePage)), parsePage([]byte(parkedPage))
	if s := similarity(brand, brand); s != 1 {
		t.Errorf("a page with itself: %v", s)
	}
	if s := similarity(brand, clone); s < 0.8 {
		t.Errorf("clone: %v", s)
	}
	if s := similarity(brand, parked); s > 0.2 {
		t.Errorf("parked: %v", s)
	}
	if s := similarity(brand, parsePage(nil)); s != 0 {
		t.Errorf("empty page: %v", s)
	}
	if !parked.parked() || brand.parked() {
		t.Errorf("parked() brand %v parked %v", brand.parked(), parked.parked())
	}
}

// FuzzParsePage: no input crashes the parser or makes it keep more than its bounds.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(clonePage))
	f.Add([]byte(hostilePage()[:5000]))
	f.Add([]byte("<form><input type=password"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := parsePage(b)
		if len(p.title) > maxTitle || len(p.text) > maxText+maxWord+1 || len(p.textShingles) > maxShingles || len(p.tagShingles) > maxShingles {
			t.Fatalf("over bounds: title %d text %d", len(p.title), len(p.text))
		}
	})
}

func TestHTTPChanges(t *testing.T) {
	sim := func(v float64) *float64 { return &v }
	none := &incident.HTTPEvidence{Error: "connection refused"}
	page := &incident.HTTPEvidence{Status: 200, Title: "Hello"}
	login := &incident.HTTPEvidence{Status: 200, Title: "Sign in", LoginForm: true, BrandSimilarity: sim(0.9)}
	if got := httpChanges(none, page); !slices.Equal(got, []string{"started serving a page (HTTP 200)"}) {
		t.Errorf("first page: %q", got)
	}
	if got := httpChanges(nil, page); !slices.Equal(got, []string{"started serving a page (HTTP 200)"}) {
		t.Errorf("first page after no fetch: %q", got)
	}
	if got := httpChanges(page, login); !slices.Equal(got, []string{ChangeLoginForm, "page similarity to the protected site rose to 0.90", `title changed to "Sign in"`}) {
		t.Errorf("login appears: %q", got)
	}
	if got := httpChanges(login, login); len(got) != 0 {
		t.Errorf("no change: %q", got)
	}
	if got := httpChanges(login, none); !slices.Equal(got, []string{"stopped serving a page"}) {
		t.Errorf("gone: %q", got)
	}
	if !incident.IsWentLive(httpChanges(none, page)[0]) || !incident.IsWentLive(ChangeStartedResolving) || incident.IsWentLive(ChangeLoginForm) {
		t.Error("IsWentLive")
	}
}

func TestSiteReasonsAndRaise(t *testing.T) {
	sim := 0.92
	no := false
	now := time.Now().UTC()
	e := incident.Enrichment{CheckedAt: now, HTTP: &incident.HTTPEvidence{Status: 200, LoginForm: true, PasswordForm: true,
		BrandSimilarity: &sim, BrandWords: []string{"paypal"}, CertMatchesCT: &no},
		History: []incident.EnrichmentChange{{At: now, Change: "started serving a page (HTTP 200)"}}}
	e.Reasons = Reasons(e)
	got := map[string]int{}
	for _, r := range e.Reasons {
		got[r.Rule] = r.Points
	}
	want := map[string]int{RuleLoginForm: pointsLoginForm, RuleBrandSimilarity: pointsClone, RuleBrandWords: pointsBrandWords, RuleCertNotFromCT: 0}
	if len(got) != len(want) {
		t.Fatalf("reasons %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d points, want %d", k, got[k], v)
		}
	}
	inc := &incident.Incident{Score: 20}
	a, ok := Raise(inc, e)
	if !ok || a.Score != 20+pointsLoginForm+pointsClone+pointsBrandWords+pointsWentLive {
		t.Fatalf("raise: %v %+v", ok, a)
	}
	// A similarity that jumps from "resembles" to "near copy" counts by what it grew.
	low := 0.6
	was := &incident.Incident{Score: 40, Reasons: Reasons(incident.Enrichment{HTTP: &incident.HTTPEvidence{Status: 200, BrandSimilarity: &low}})}
	if a, ok := Raise(was, incident.Enrichment{Reasons: []detect.Reason{{Rule: RuleBrandSimilarity, Points: pointsClone}}}); !ok ||
		a.Score != 40+pointsClone-pointsLikeBrand || len(a.Reasons) != 1 || a.Reasons[0].Points != pointsClone {
		t.Errorf("similarity jump: %v %+v", ok, a)
	}
	if _, ok := Raise(&incident.Incident{Score: 40, Reasons: []detect.Reason{{Rule: RuleBrandSimilarity, Points: pointsClone}}},
		incident.Enrichment{Reasons: []detect.Reason{{Rule: RuleBrandSimilarity, Points: pointsLikeBrand}}}); ok {
		t.Error("a similarity that fell raised the incident")
	}
	parked := incident.Enrichment{HTTP: &incident.HTTPEvidence{Status: 200, Parked: true}}
	if r := Reasons(parked); len(r) != 1 || r[0].Rule != RuleParked || r[0].Points >= 0 {
		t.Errorf("parked page: %+v", r)
	}
	if _, ok := Raise(&incident.Incident{Score: 50}, incident.Enrichment{HTTP: parked.HTTP, Reasons: Reasons(parked)}); ok {
		t.Error("a parked page raised the incident")
	}
}

// BenchmarkParsePage: the cost of reading a page, a clone's and a hostile one's (2 MiB of
// deep nesting, a 1 MiB attribute and junk, as a hostile site may serve at the body limit).
func BenchmarkParsePage(b *testing.B) {
	hostile := []byte(hostilePage())
	if len(hostile) > DefaultMaxBody {
		hostile = hostile[:DefaultMaxBody]
	}
	for _, c := range []struct {
		name string
		body []byte
	}{{"clone", []byte(clonePage)}, {"hostile", hostile}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				parsePage(c.body)
			}
		})
	}
}
