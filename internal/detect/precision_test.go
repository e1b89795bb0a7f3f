package detect

import (
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/homograph"
)

// The causes of false alerts found on the real-world development set (issue 17), one test
// each, on the development set's brands.

// A listed homograph is a whole name: "example-ban.k.com" lists a name under k.com, it does not
// make every label "k" a match; and labels of one to three letters never match by similarity.
func TestListedHomographIsWholeName(t *testing.T) {
	ix := mustBuild(t, homograph.List{
		"example-bank.com":   {"example-ban.k.com", "exampl-ebank.com"},
		"wellsfargo.com":     {"wellsfar.go.com", "wel.com"},
		"steamcommunity.com": {"steamc.ommunity.com"},
	}, Options{})
	for _, name := range []string{"k.foo.com", "www.k.com", "k.com", "go.example.net", "wellsfar.example.org",
		"wex.com", "community.forum", "ommunity.net", "x.com"} {
		if a := ix.Evaluate(name); a.Incident || slicesHasDetail(a.Reasons, "homograph", "") {
			t.Errorf("Check(%q) = %s %d %+v, want no alert: a fragment of a listed name", name, a.Asset, a.Score, a.Reasons)
		}
	}
	for name, value := range map[string]string{
		"example-ban.k.com": "example-ban.k.com", "login.example-ban.k.com": "example-ban.k.com",
		"wellsfar.go.com": "wellsfar.go.com", "exampl-ebank.com": "exampl-ebank.com",
	} {
		a := ix.Evaluate(name)
		if !a.Incident || a.Matched.Kind != "homograph" || a.Matched.Value != value || a.Severity != "critical" {
			t.Errorf("Check(%q) = %s %s %d %s, want a critical homograph hit on %s", name, a.Matched.Kind, a.Matched.Value, a.Score, a.Severity, value)
		}
	}
}

// Of several listed values with one skeleton, the hit names the one spelt as the name.
func TestListedHitNamesTheValueAsSpelt(t *testing.T) {
	for _, list := range [][]string{{"p4yp41.com", "paypa1.com", "paypai.com"}, {"paypai.com", "paypa1.com", "p4yp41.com"}} {
		ix := mustBuild(t, homograph.List{"paypal.com": list}, Options{})
		for _, name := range []string{"paypa1.com", "login.paypa1.com"} {
			if a := ix.Evaluate(name); a.Matched.Value != "paypa1.com" || !strings.Contains(a.Reasons[0].Detail, "listed homograph paypa1.com") {
				t.Errorf("list %v: Check(%q) names %q (%s)", list, name, a.Matched.Value, a.Reasons[0].Detail)
			}
		}
	}
}

// Similarity to a listed value counts only on the registered label, only when the name still
// carries the brand, and names the closest listed value; alone it is not an incident.
func TestListedSimilarity(t *testing.T) {
	ix := mustBuild(t, homograph.List{
		"xfinity.com":   {"xffinity.com", "xfinitty.com"},
		"ato.gov.au":    {"ato-services.gov.au"},
		"instagram.com": {"instagra.com", "instagrm.com"},
	}, Options{})
	for _, name := range []string{"affinity.com", "at-services.news", "www.xffinity.example.com"} {
		if a := ix.Evaluate(name); a.Incident {
			t.Errorf("Check(%q) = incident %s %d %+v", name, a.Asset, a.Score, a.Reasons)
		}
	}
	a := ix.Evaluate("xfinittyy.net")
	if a.Matched.Value != "xfinitty.com" || a.Incident {
		t.Errorf("Check(xfinittyy.net) = %s %q %d incident %v, want the closest value xfinitty.com, no incident alone",
			a.Matched.Kind, a.Matched.Value, a.Score, a.Incident)
	}
	if a := ix.Evaluate("login.xfinittyy.net"); !a.Incident {
		t.Errorf("Check(login.xfinittyy.net) = %d %+v: a phishing word corroborates the listed likeness", a.Score, a.Reasons)
	}
}

// Language awareness: ordinary words of the languages CT is written in are not typos of a
// brand, and a brand inside an ordinary word is no combosquat.
func TestOrdinaryWordsAreNotLookalikes(t *testing.T) {
	ix := mustBuild(t, homograph.List{"slack.com": nil, "apple.com": nil, "box.com": nil, "chime.com": nil,
		"discord.com": nil, "ing.com": nil}, Options{})
	for _, name := range []string{
		"black.com", "black-friday.shop", "snack.de", "appel.nl", "app1.example.com", "api3.example.com",
		"slackline.com", "slackline-festival.org", "boxer.com", "boxershorts.de", "chimes.com", "clime.io",
		"discordant-candle.com.au", "discordantlabs.io", "documenting.com", "fox.com", "mailbox.org",
	} {
		if a := ix.Evaluate(name); a.Incident {
			t.Errorf("Check(%q) = incident %s %d %+v, want none: an ordinary word", name, a.Asset, a.Score, a.Reasons)
		}
	}
	for _, name := range []string{"slakc.com", "s1ack.com", "app1e.com", "chimme.com", "slack-login.help",
		"apple-id-verify.com", "box1.com", "boxlogin.com", "verifybox.com"} {
		if a := ix.Evaluate(name); !a.Incident {
			t.Errorf("Check(%q) = %d %+v, want an incident", name, a.Score, a.Reasons)
		}
	}
}

// A one-edit variant of a brand of five letters or fewer needs corroboration: the registered
// label, the asset's suffix after it, a phishing word in the registered label, an abused TLD or
// a machine-made registered domain.
func TestShortBrandTypoNeedsCorroboration(t *testing.T) {
	ix := mustBuild(t, homograph.List{"slack.com": nil, "usps.com": nil}, Options{})
	for _, name := range []string{"slacc.example.com", "slakc.cdn.example.org", "uspss.mail.example.net"} {
		if a := ix.Evaluate(name); a.Incident {
			t.Errorf("Check(%q) = incident %d %+v, want none: an uncorroborated short typo", name, a.Score, a.Reasons)
		}
	}
	for _, name := range []string{"slacc.com", "slacc.com-help.example.net", "slakc.login-help.net",
		"slakc.example.xyz", "slakc.fmlc0y14.org", "usp.document-notice.me", "uspss.com"} {
		if a := ix.Evaluate(name); !a.Incident {
			t.Errorf("Check(%q) = %d %+v, want an incident", name, a.Score, a.Reasons)
		}
	}
}

// Scores rank: critical needs strong evidence, a bare typo is medium or high, and the asset's
// own words are never phishing words.
func TestScoresRank(t *testing.T) {
	ix := mustBuild(t, homograph.List{"paypal.com": {"paypa1.com"}, "example-bank.com": nil,
		"microsoft.com": nil}, Options{})
	for _, name := range []string{"paypa1.com", "xn--pypal-4ve.com", "paypal-login.com", "paypal.com.evil.xyz",
		"secure-paypal-account.com"} {
		if a := ix.Evaluate(name); a.Severity != "critical" {
			t.Errorf("Check(%q) = %s %d %+v, want critical", name, a.Severity, a.Score, a.Reasons)
		}
	}
	for _, name := range []string{"paypall.com", "payal.com", "pyapal.com", "paypal.co", "microsof.net", "micosoft.com",
		"paypalxyzq.com"} {
		if a := ix.Evaluate(name); a.Severity != "high" && a.Severity != "medium" {
			t.Errorf("Check(%q) = %s %d %+v, want medium or high: a bare typo or combination", name, a.Severity, a.Score, a.Reasons)
		}
	}
	a := ix.Evaluate("examp1e-bank.com")
	for _, r := range a.Reasons {
		if r.Rule == "keyword" && strings.Contains(r.Detail, "bank") {
			t.Errorf("Check(examp1e-bank.com): the asset's own word counted as a phishing word: %+v", a.Reasons)
		}
	}
	if a := ix.Evaluate("example-bank-login.com"); !slicesHasDetail(a.Reasons, "keyword", `"login"`) {
		t.Errorf("Check(example-bank-login.com) = %+v, want login as a phishing word", a.Reasons)
	}
}

func slicesHasDetail(rs []Reason, rule, sub string) bool {
	for _, r := range rs {
		if r.Rule == rule && strings.Contains(r.Detail, sub) {
			return true
		}
	}
	return false
}

// Reasons name the technique and, for a listed homograph, the listed value.
func TestReasonsNameTheTechnique(t *testing.T) {
	ix := mustBuild(t, homograph.List{"paypal.com": {"paypa1.net"}, "google.com": nil, "whatsapp.com": nil}, Options{})
	for name, want := range map[string]string{
		"payal.com":           `omission of "p"`,
		"pyapal.com":          `transposition "ya" for "ay"`,
		"paypall.com":         `doubled "l"`,
		"paypak.com":          `keyboard slip "k" for "l"`,
		"xn--pypal-4ve.com":   `homoglyph U+0430 for "a"`,
		"g00gle.com":          `"0" for "o"`,
		"paypal.co":           "TLD swap .com→.co",
		"paypal-login.com":    `brand paypal + keyword "login"`,
		"paypal.com.evil.xyz": "subdomain trick",
		"pay.pal.com":         "subdomain trick",
		"paypa1.net":          "listed homograph paypa1.net",
		"whatsap-p.com":       "hyphen",
	} {
		a := ix.Evaluate(name)
		if len(a.Reasons) == 0 || !strings.Contains(a.Reasons[0].Detail, want) {
			t.Errorf("Check(%q) reasons %+v, want the first to say %q", name, a.Reasons, want)
		}
	}
}

// Names at or under any protected domain never alert, for any asset; junk never reaches matching.
func TestOwnNamesAndJunk(t *testing.T) {
	ix := mustBuild(t, homograph.List{"paypal.com": nil, "google.com": nil, "paypal-google.com": nil}, Options{})
	for _, name := range []string{"paypal.google.com", "google.paypal.com", "login.paypal-google.com",
		"paypa1.google.com", "www.paypal.com"} {
		if a := ix.Check(name); len(a) > 0 {
			t.Errorf("Check(%q) = %+v, want nothing: under a protected domain", name, a)
		}
	}
	for _, name := range []string{"pay\ufffdpal.com", "pay pal.com", "paypal..com", "pay\x00pal.com", "\tpaypa1.com\x7f",
		"paypa1.com/evil", "", "."} {
		if a := ix.Check(name); len(a) > 0 {
			t.Errorf("Check(%q) = %+v, want nothing: not a domain name", name, a)
		}
	}
}

type fakeLabels map[string]uint32

func (f fakeLabels) Domains(l string) uint32 { return f[l] }

// A typo on a host label thousands of unrelated domains use is no evidence.
func TestCommonHostLabelsAreWeak(t *testing.T) {
	list := homograph.List{"ing.com": nil, "netflix.com": nil}
	plain := mustBuild(t, list, Options{})
	learned := mustBuild(t, list, Options{Labels: fakeLabels{"netflik": 5000, "inq": 2000}})
	for _, name := range []string{"netflik.cdn.example.com", "inq.example-login.com"} {
		if a := plain.Evaluate(name); a.Score == 0 {
			t.Fatalf("Check(%q) without counts = no alert; the test needs one", name)
		}
		if a := learned.Evaluate(name); a.Score > 0 {
			t.Errorf("Check(%q) with the label common = %d %+v, want no alert", name, a.Score, a.Reasons)
		}
	}
	if a := learned.Evaluate("netflik.com"); !a.Incident {
		t.Errorf("the registered label is never weakened by host-label counts: %+v", a)
	}
}
