package detect

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/idna"

	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/severity"
)

var testList = homograph.List{
	"paypal.com":           {"paypa1.com", "pаypal.com", "xn--pypal-4ve.com", "paypol"},
	"google.com":           {},
	"apple.com":            {},
	"ups.com":              {},
	"ing.com":              {},
	"whatsapp.com":         {},
	"deutsche-bank.de":     {},
	"nationwide.co.uk":     {},
	"ato.gov.au":           {},
	"kaiserpermanente.org": {"kaiser-permanente-login"},
}

func mustBuild(t testing.TB, list homograph.List, opt Options) *Index {
	t.Helper()
	ix, err := Build(list, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// band is an expected score range, inclusive.
type band struct{ lo, hi int }

func TestCheckRules(t *testing.T) {
	ix := mustBuild(t, testList, Options{Allow: []string{"paypal-community.com"}})
	tests := []struct {
		name  string
		asset string
		kind  string
		rule  string // must be among the reasons
		score band
	}{
		// listed homographs, any form
		{"paypa1.com", "paypal.com", "homograph", "homograph", band{90, 100}},
		{"*.paypa1.com", "paypal.com", "homograph", "homograph", band{90, 100}},
		{"login.paypa1.com", "paypal.com", "homograph", "homograph", band{90, 100}},
		{"xn--pypal-4ve.com", "paypal.com", "homograph", "homograph", band{90, 100}},
		{"pаypal.com", "paypal.com", "homograph", "homograph", band{90, 100}},
		{"secure.paypol.net", "paypal.com", "homograph", "homograph", band{90, 100}},
		// IDN homographs of several scripts, punycode or Unicode
		{"gооgle.com", "google.com", "confusable", "confusable", band{85, 100}},        // Cyrillic о о
		{"googlе.com", "google.com", "confusable", "confusable", band{85, 100}},        // Cyrillic е
		{"gοοgle.com", "google.com", "confusable", "confusable", band{85, 100}},        // Greek omicron
		{"www.gօօgle.com", "google.com", "confusable", "confusable", band{85, 100}},    // Armenian օ
		{"аррӏе.com", "apple.com", "confusable", "confusable", band{85, 100}},          // whole-script Cyrillic
		{"ɡооɡle.com", "google.com", "confusable", "confusable", band{85, 100}},        // Latin script g
		{"gøøgle.com", "google.com", "confusable", "confusable", band{85, 100}},        // o with stroke
		{"ԝһаtѕарр.com", "whatsapp.com", "confusable", "confusable", band{85, 100}},    // whole-script Cyrillic
		{"g00gle.com", "google.com", "confusable", "confusable", band{85, 100}},        // digit swap
		{"kaserpermanete.org", "kaiserpermanente.org", "typo", "typo-2", band{60, 95}}, // two edits
		{"natiorwide.co.uk", "nationwide.co.uk", "typo", "typo", band{60, 100}},        // rn for n
		// typos and the XSOAR rule
		{"gooogle.com", "google.com", "typo", "typo", band{65, 90}},
		{"whatsap.com", "whatsapp.com", "typo", "typo", band{65, 90}},
		{"kaiserpermanemte.org", "kaiserpermanente.org", "typo", "typo", band{65, 95}},
		{"kaiser-permanente-logins.com", "kaiserpermanente.org", "combosquat", "homograph-similar", band{60, 100}},
		{"deutsche-bnak.de", "deutsche-bank.de", "typo", "typo", band{65, 95}},
		{"deutschebank.de", "deutsche-bank.de", "typo", "typo", band{65, 95}},
		{"googIe.net", "google.com", "confusable", "confusable", band{85, 100}},
		// short brands: a plausible typo under the asset's suffix, not any distance-1 name
		{"ingg.com", "ing.com", "typo", "typo-short", band{60, 80}},
		{"upss.com", "ups.com", "typo", "typo-short", band{60, 80}},
		{"atoo.gov.au", "ato.gov.au", "typo", "typo-short", band{60, 80}},
		{"upps.com.secure-check.net", "ups.com", "typo", "typo-short", band{60, 100}},
		// combosquats with and without hyphens
		{"paypal-login-secure.com", "paypal.com", "combosquat", "combosquat", band{70, 100}},
		{"securepaypal.com", "paypal.com", "combosquat", "combosquat", band{70, 100}},
		{"paypalsupport.help", "paypal.com", "combosquat", "combosquat", band{70, 100}},
		{"my-paypa1-account.com", "paypal.com", "combosquat", "combosquat", band{70, 100}},
		{"wallet-ing-bonus.com", "ing.com", "combosquat", "combosquat", band{70, 100}},
		{"ups-parcel-tracking.info", "ups.com", "combosquat", "combosquat", band{70, 100}},
		{"nationwideverify.com", "nationwide.co.uk", "combosquat", "combosquat", band{70, 100}},
		{"deutsche-bank-login.pro", "deutsche-bank.de", "combosquat", "combosquat", band{70, 100}},
		// a short label as a whole hyphen-separated word, whatever the other words are
		{"ups-redelivery-zone.com", "ups.com", "combosquat", "combosquat", band{70, 100}},
		// a distinctive label glued to words outside the affix vocabulary
		{"googlegiveaway.xyz", "google.com", "combosquat", "combosquat", band{70, 100}},
		{"renewalwhatsappairdrop.com", "whatsapp.com", "combosquat", "combosquat", band{70, 100}},
		// an IDN letter added to a short label
		{"upsи.com", "ups.com", "typo", "typo", band{70, 100}},
		// subdomain squats
		{"paypal.com.evil.xyz", "paypal.com", "subdomain", "subdomain", band{80, 100}},
		{"login-paypal.com-secure.info", "paypal.com", "subdomain", "subdomain", band{80, 100}},
		{"www.paypal.com-account.top", "paypal.com", "subdomain", "subdomain", band{80, 100}},
		{"ato.gov.au-session.help", "ato.gov.au", "subdomain", "subdomain", band{80, 100}},
		{"paypal.evil-site.net", "paypal.com", "subdomain", "subdomain-label", band{65, 80}},
		{"pay.pal.com", "paypal.com", "subdomain", "split-brand", band{75, 100}},
		{"client.whats-app.com.planet651.net", "whatsapp.com", "", "suffix-follow", band{80, 100}},
		// the asset's label under another suffix
		{"paypal.co", "paypal.com", "typo", "brand-tld", band{70, 90}},
		{"*.google.de", "google.com", "typo", "brand-tld", band{70, 90}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alerts := ix.Check(tt.name)
			if len(alerts) == 0 {
				t.Fatalf("Check(%q) = no alert, want %s for %s", tt.name, tt.kind, tt.asset)
			}
			if puny, err := idna.Lookup.ToASCII(strings.TrimPrefix(tt.name, "*.")); err != nil {
				t.Fatal(err)
			} else if other := ix.Check(puny); len(other) == 0 || other[0].Score != alerts[0].Score {
				t.Errorf("Check(%q) = %+v, not the same as for %q", puny, other, tt.name)
			}
			a := alerts[0]
			if a.Asset != tt.asset || tt.kind != "" && a.Matched.Kind != tt.kind || a.Score < tt.score.lo || a.Score > tt.score.hi || !a.Incident {
				t.Errorf("Check(%q) = asset %s kind %s score %d incident %v %+v; want %s %s score in %v",
					tt.name, a.Asset, a.Matched.Kind, a.Score, a.Incident, a.Reasons, tt.asset, tt.kind, tt.score)
			}
			if tt.rule != "" && !slices.ContainsFunc(a.Reasons, func(r Reason) bool {
				return r.Rule == tt.rule || r.Rule == "corroborating" && strings.HasPrefix(r.Detail, tt.rule+":")
			}) {
				t.Errorf("Check(%q) reasons %+v lack rule %s", tt.name, a.Reasons, tt.rule)
			}
			sum := 0
			for _, r := range a.Reasons {
				sum += r.Points
				if r.Detail == "" {
					t.Errorf("reason %s has no detail", r.Rule)
				}
			}
			if min(sum, 100) != a.Score {
				t.Errorf("Check(%q): reasons sum to %d, score is %d", tt.name, sum, a.Score)
			}
			if a.Severity != severity.Of(a.Score) {
				t.Errorf("Check(%q): severity %s for score %d", tt.name, a.Severity, a.Score)
			}
		})
	}
}

// TestCheckHonest: names a person would not call lookalikes, and the assets' own names.
func TestCheckHonest(t *testing.T) {
	ix := mustBuild(t, testList, Options{Allow: []string{"paypal-community.com"}})
	for _, name := range []string{
		"paypal.com", "www.paypal.com", "*.paypal.com", "PAYPAL.COM.", "a.b.c.paypal.com",
		"www.nationwide.co.uk", "ato.gov.au", "portal.ato.gov.au",
		"paypal-community.com", "forum.paypal-community.com", // allowed
		"pineapple.com", "www.pineapple-recipes.com", "snapple.com", // apple inside words
		"groups.example.org", "startups.io", "backups.net", // ups inside words
		"hosting.com", "accounting-services.net", "kingdom.org", "ring.com", "bingo.com", // ing
		"ufs.com", "ingest.com", "upz.org", // short brands: distance one, no plausible typo or suffix
		"tomato.com", "potato.gov.au",
		"upsline.com", "ingbook.net", // a short label glued to a generic web word
		"whatsappers.com", "googleyness.org", // an English suffix makes a word of the label
		"homeapple.com", "supergoogle.net", // a word glued in front of a short or mid-length label
		"example.com", "mail.example.org", "co.uk", "com", "*.herokuapp.com",
	} {
		for _, a := range ix.Check(name) {
			if a.Incident {
				t.Errorf("Check(%q) = incident %s %d %+v, want none", name, a.Asset, a.Score, a.Reasons)
			}
		}
	}
}

func TestHyphensCountUnicode(t *testing.T) {
	ix := mustBuild(t, testList, Options{})
	for _, name := range []string{"xn--pypal-4ve.com", "xn--80ak6aa92e.com"} {
		for _, a := range ix.Check(name) {
			for _, r := range a.Reasons {
				if r.Rule == "hyphens" {
					t.Errorf("Check(%q): %+v counts the punycode prefix as hyphens", name, r)
				}
			}
		}
	}
}

func TestCheckOwnSubdomainsOfAnyAsset(t *testing.T) {
	ix := mustBuild(t, homograph.List{"paypal.com": nil, "paypal.de": nil}, Options{})
	if got := ix.Check("login.paypal.de"); got != nil {
		t.Errorf("Check(login.paypal.de) = %+v, want nil: it is under a protected domain", got)
	}
	if got := ix.Check("paypal.fr"); len(got) != 2 {
		t.Errorf("Check(paypal.fr) = %d alerts, want one per asset (2)", len(got))
	}
}

func TestCheckBadNames(t *testing.T) {
	ix := mustBuild(t, testList, Options{})
	for _, name := range []string{"", ".", "*.", "a..b", "\xff\xfe", "exa mple.com", strings.Repeat("a.", 300)} {
		if got := ix.Check(name); got != nil {
			t.Errorf("Check(%q) = %+v, want nil", name, got)
		}
		if got := ix.Evaluate(name); got.Score != 0 || got.Incident {
			t.Errorf("Evaluate(%q) = %+v, want zero score", name, got)
		}
	}
}

func TestEvaluate(t *testing.T) {
	ix := mustBuild(t, testList, Options{})
	got := ix.Evaluate("*.Example.COM")
	if got.Domain != "example.com" || got.RegisteredDomain != "example.com" || got.Score != 0 || got.Incident || got.Reasons == nil {
		t.Errorf("Evaluate(example.com) = %+v", got)
	}
	got = ix.Evaluate("xn--pypal-4ve.com")
	if got.DomainUnicode != "pаypal.com" || got.Asset != "paypal.com" || !got.Incident {
		t.Errorf("Evaluate(xn--pypal-4ve.com) = %+v", got)
	}
}

func TestOptions(t *testing.T) {
	// a higher incident threshold keeps the alert but not the incident
	ix := mustBuild(t, testList, Options{IncidentThreshold: 95})
	a := ix.Evaluate("gooogle.com")
	if a.Score == 0 || a.Incident {
		t.Errorf("threshold 95: %+v", a)
	}
	// weights override
	ix = mustBuild(t, testList, Options{Weights: map[string]int{"typo": 20, "levenshtein": 20}})
	if a := ix.Evaluate("gooogle.com"); a.Reasons[0].Points != 20 || a.Incident {
		t.Errorf("typo weight 20: %+v", a)
	}
	// the XSOAR threshold: at 0.95, one edit in a 16-letter label is no longer similar
	ix = mustBuild(t, testList, Options{LevenshteinThreshold: 0.95})
	if a := ix.Evaluate("kaiserpermanemte.org"); slices.ContainsFunc(a.Reasons, func(r Reason) bool { return r.Rule == "levenshtein" }) {
		t.Errorf("threshold 0.95: %+v", a)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		list homograph.List
		opt  Options
		want string
	}{
		{homograph.List{"bad domain.com": nil}, Options{}, `"bad domain.com"`},
		{homograph.List{"co.uk": nil}, Options{}, "public suffix"},
		{homograph.List{"paypal.com": {"ok.com", "bad..value"}}, Options{}, `"bad..value"`},
		{homograph.List{"*.paypal.com": nil}, Options{}, `"*.paypal.com"`},
		{homograph.List{"paypal.com": nil, "PayPal.com": nil}, Options{}, "twice"},
		{homograph.List{"paypal.com": nil}, Options{Weights: map[string]int{"nope": 1}}, `"nope"`},
		{homograph.List{"paypal.com": nil}, Options{Weights: map[string]int{"typo": 101}}, `"typo"`},
		{homograph.List{"paypal.com": nil}, Options{LevenshteinThreshold: 1.5}, "threshold"},
		{homograph.List{"paypal.com": nil}, Options{IncidentThreshold: -1}, "threshold"},
		{homograph.List{"paypal.com": nil}, Options{Allow: []string{"a b"}}, `"a b"`},
	}
	for _, tt := range tests {
		_, err := Build(tt.list, tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build(%v, %+v) = %v, want error containing %s", tt.list, tt.opt, err, tt.want)
		}
	}
}

type fakeIntel map[string][]IntelHit

func (f fakeIntel) Lookup(name string) []IntelHit { return f[name] }

func TestIntel(t *testing.T) {
	intel := fakeIntel{
		"evil-example.net":  {{Feed: "openphish", Indicator: "evil-example.net"}},
		"paypal-verify.com": {{Feed: "urlhaus", Indicator: "http://paypal-verify.com/x", Weight: 30}},
	}
	ix := mustBuild(t, testList, Options{Intel: intel})
	a := ix.Check("evil-example.net")
	if len(a) != 1 || a[0].Asset != "" || a[0].Matched.Kind != "intel" || a[0].Score != 50 || len(a[0].IntelHits) != 1 {
		t.Errorf("intel only: %+v", a)
	}
	a = ix.Check("paypal-verify.com")
	if len(a) != 1 || a[0].Asset != "paypal.com" || a[0].Matched.Kind != "combosquat" || len(a[0].IntelHits) != 1 ||
		!slices.ContainsFunc(a[0].Reasons, func(r Reason) bool { return r.Rule == "intel" && r.Points == 30 }) {
		t.Errorf("intel on an asset alert: %+v", a)
	}
	if a := ix.Check("example.org"); a != nil {
		t.Errorf("no hit: %+v", a)
	}
}

// FuzzCheck: no name panics the detector, and every alert is well formed.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"paypal-login.com", "xn--pypal-4ve.com", "*.pay.pal.com.", "ingg.com",
		"paypal.com.evil.xyz", "a-.-b.c--d", "\xff", "ԝһаtѕарр.com", strings.Repeat("ab-", 40) + ".com"} {
		f.Add(s)
	}
	ix := mustBuild(f, testList, Options{Intel: fakeIntel{"evil.com": {{Feed: "f", Indicator: "evil.com"}}}})
	f.Fuzz(func(t *testing.T, name string) {
		for _, a := range ix.Check(name) {
			if a.Score < 0 || a.Score > 100 || len(a.Reasons) == 0 || a.Severity != severity.Of(a.Score) {
				t.Fatalf("Check(%q) = malformed alert %+v", name, a)
			}
		}
		ix.Evaluate(name)
	})
}
