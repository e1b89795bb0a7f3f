package homograph

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/idna"

	"github.com/certhunt/certhunt/internal/names"
)

// generated runs one fuzzer on one domain and returns the candidates' Unicode forms.
func generated(t *testing.T, domain, fuzzer string, opts GenerateOptions) []string {
	t.Helper()
	cands, err := Candidates([]string{domain}, []string{fuzzer}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		if c.Fuzzer != fuzzer {
			t.Errorf("candidate %q credited to %q, want %q", c.Domain, c.Fuzzer, fuzzer)
		}
		out[i] = c.Domain
	}
	return out
}

// The domains every fuzzer is tried on: short, long, hyphenated, IDN, two-label suffix, subdomain,
// a label near the 63-octet limit, and a Cyrillic IDN under an IDN TLD.
var fuzzDomains = []string{"ups.com", "bankofamericaonline.com", "credit-suisse.ch", "bücher.de",
	"barclays.co.uk", "login.paypal.com", strings.Repeat("ab", 30) + "x.com", "сбербанк.рф"}

func TestFuzzerExactOutputs(t *testing.T) {
	for _, tc := range []struct {
		fuzzer, domain string
		want           []string
	}{
		{"omission", "ups.com", []string{"ps.com", "up.com", "us.com"}},
		{"repetition", "ups.com", []string{"upps.com", "upss.com", "uups.com"}},
		{"transposition", "ups.com", []string{"pus.com", "usp.com"}},
		{"hyphenation", "ups.com", []string{"u-ps.com", "up-s.com"}},
		{"subdomain", "ups.com", []string{"u.ps.com", "up.s.com"}},
		{"vowel-swap", "ups.com", []string{"aps.com", "eps.com", "ips.com", "ops.com", "yps.com"}},
		// u^0x01 = t, ^0x02 = w, ^0x04 = q, ^0x10 = e, ^0x40 = 5; likewise for p and s.
		{"bitsquatting", "ups.com", []string{"5ps.com", "eps.com", "qps.com", "tps.com", "u0s.com",
			"up3.com", "upc.com", "upq.com", "upr.com", "upw.com", "uqs.com", "urs.com", "uts.com",
			"uxs.com", "wps.com"}},
		{"various", "ups.com", []string{"ups-com.com", "ups-com.net", "ups-com.org", "upscom.com", "upscom.net", "upscom.org"}},
		{"various", "barclays.co.uk", []string{"barclays-co-uk.com", "barclays-co-uk.net", "barclays-co-uk.org",
			"barclays-co-uk.uk", "barclays.uk", "barclaysco.uk", "barclayscouk.com", "barclayscouk.net",
			"barclayscouk.org", "barclayscouk.uk"}},
		{"various", "login.paypal.com", []string{"login-paypal.com", "login.paypal-com.com", "login.paypal-com.net",
			"login.paypal-com.org", "login.paypalcom.com", "login.paypalcom.net", "login.paypalcom.org", "loginpaypal.com"}},
		{"sld-swap", "barclays.co.uk", []string{"barclays.com", "barclays.net", "barclays.net.uk", "barclays.org",
			"barclays.org.uk", "barclays.uk"}},
		{"cyrillic", "apple.com", []string{"аррӏе.com"}},
		{"cyrillic", "ups.com", nil}, // u has no Cyrillic twin: no whole-script lookalike
		{"plural", "glass.com", []string{"glas.com", "glasses.com", "glasss.com"}},
		{"plural", "candy.com", []string{"candies.com", "candys.com"}},
		{"omission", "bücher.de", []string{"bcher.de", "bücer.de", "büche.de", "büchr.de", "büher.de", "ücher.de"}},
		{"transposition", "сбербанк.рф", []string{"бсербанк.рф", "сбебранк.рф", "сберабнк.рф", "сбербакн.рф",
			"сбербнак.рф", "сбребанк.рф", "себрбанк.рф"}},
	} {
		t.Run(tc.fuzzer+"/"+tc.domain, func(t *testing.T) {
			got := generated(t, tc.domain, tc.fuzzer, GenerateOptions{})
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestFuzzerSamples(t *testing.T) {
	for _, tc := range []struct {
		fuzzer, domain string
		want, notWant  []string
	}{
		{"addition", "ups.com", []string{"ups0.com", "ups9.com", "upsa.com", "upsz.com"}, []string{"ups-.com"}},
		// a is next to q, w, s, z on qwerty, to y (not z) on qwertz, to 1, 2, z, q on azerty.
		{"replacement", "apple.com", []string{"qpple.com", "spple.com", "zpple.com", "ypple.com", "2pple.com", "aople.com"}, []string{"bpple.com"}},
		{"insertion", "ups.com", []string{"yups.com", "uyps.com", "upos.com", "up0s.com", "upsa.com", "upws.com"}, []string{"upbs.com"}},
		{"homoglyph", "paypal.com", []string{"paypa1.com", "paypai.com", "paypąl.com", "p4yp41.com", "pàypàl.com"},
			[]string{"pаypal.com" /* Cyrillic а: mixed script belongs to no homoglyph */, "paypal.com"}},
		{"homoglyph", "microsoft.com", []string{"rnicrosoft.com", "rnicr0soft.com", "nnicrosoft.com", "micros0ft.com", "mícrosoft.com"}, nil},
		{"homoglyph", "modern.com", []string{"modem.com", "rnodern.com", "moclern.com"}, nil},
		{"homoglyph", "bücher.de", []string{"büchér.de", "büchcr.de", "bücḥer.de"}, nil},
		{"dictionary", "credit-suisse.ch", []string{"credit-suisse-login.ch", "credit-suisselogin.ch", "login-credit-suisse.ch",
			"logincredit-suisse.ch", "credit-login.ch", "login-suisse.ch"}, nil},
		{"tld-swap", "ups.com", []string{"ups.xyz", "ups.top", "ups.tk", "ups.net"}, []string{"ups.com"}},
		{"tld-swap", "barclays.co.uk", []string{"barclays.com", "barclays.xyz"}, []string{"barclays.co.uk"}},
		{"sld-swap", "paypal.com", []string{"paypal.co.uk", "paypal.com.au", "paypal.com.br"}, []string{"paypal.com.com"}},
		{"numeral-swap", "g00gle.com", []string{"google.com", "go0gle.com", "g0ogle.com"}, nil},
		{"numeral-swap", "1password.com", []string{"onepassword.com", "lpassword.com", "ipassword.com", "1passw0rd.com"}, nil},
		{"numeral-swap", "twofactor.com", []string{"2factor.com", "twofact0r.com", "7wofactor.com"}, nil},
		{"combosquat", "paypal.com", []string{"paypal-login.com", "paypallogin.com", "login-paypal.com", "loginpaypal.com",
			"secure-paypal-login.com", "paypal-secure-login.com", "paypal-com-login.com", "login-paypal-com.com"}, nil},
		{"confusable", "apple.com", []string{"аррӏе.com", "ɑpple.com"}, []string{"аpple.com" /* mixed Cyrillic and Latin */}},
		{"confusable", "bücher.de", []string{"büᴄher.de"}, nil},
	} {
		t.Run(tc.fuzzer+"/"+tc.domain, func(t *testing.T) {
			got := generated(t, tc.domain, tc.fuzzer, GenerateOptions{})
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%q missing", w)
				}
			}
			for _, w := range tc.notWant {
				if slices.Contains(got, w) {
					t.Errorf("%q generated", w)
				}
			}
		})
	}
}

// TestEveryFuzzerInvariants checks what holds for every fuzzer on every kind of domain: sorted,
// no duplicates, never the original, every name valid under IDNA2008 with matching forms.
func TestEveryFuzzerInvariants(t *testing.T) {
	for _, domain := range fuzzDomains {
		asset := normaliseInput(domain)
		originalASCII, err := idna.Lookup.ToASCII(asset)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Fuzzers() {
			if f == "homoglyph" && len(domain) > 30 {
				continue // covered below with a bound on work; quadratic in label length
			}
			t.Run(f+"/"+domain, func(t *testing.T) {
				cands, err := Candidates([]string{domain}, []string{f}, GenerateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				seenASCII := map[string]bool{}
				for i, c := range cands {
					if i > 0 && cands[i-1].Domain >= c.Domain {
						t.Fatalf("not sorted or duplicated: %q then %q", cands[i-1].Domain, c.Domain)
					}
					if seenASCII[c.ASCII] {
						t.Errorf("ASCII form %q twice", c.ASCII)
					}
					seenASCII[c.ASCII] = true
					if c.Asset != asset || c.ASCII == originalASCII || c.Domain == asset {
						t.Errorf("candidate %+v is the original", c)
					}
					if err := names.ValidDomain(c.Domain); err != nil {
						t.Errorf("invalid candidate: %v", err)
					}
					if a, err := idna.Registration.ToASCII(c.Domain); err != nil || a != c.ASCII {
						t.Errorf("candidate %q: ASCII form %q, want %q (%v)", c.Domain, c.ASCII, a, err)
					}
					if u, err := idna.Registration.ToUnicode(c.ASCII); err != nil || u != c.Domain {
						t.Errorf("candidate %q: Unicode form of %q is %q (%v)", c.Domain, c.ASCII, u, err)
					}
				}
			})
		}
	}
}

func TestHomoglyphLongLabelStaysValid(t *testing.T) {
	long := strings.Repeat("ab", 30) + "x.com" // a 61-character label: most substitutions overflow
	for _, d := range generated(t, long, "homoglyph", GenerateOptions{}) {
		if err := names.ValidDomain(d); err != nil {
			t.Fatal(err)
		}
	}
}

// A confusable label keeps one script, and a script the TLD's registry accepts.
func TestConfusableScripts(t *testing.T) {
	for _, tc := range []struct {
		domain  string
		scripts []string
	}{
		{"paypal.com", []string{"Latin", "Cyrillic", "Greek", "Armenian"}},
		{"bücher.de", []string{"Latin"}},
		{"сбербанк.рф", []string{"Cyrillic"}},
		{"apple.xyz", defaultScripts},
	} {
		got := generated(t, tc.domain, "confusable", GenerateOptions{})
		if len(got) == 0 {
			t.Errorf("%s: no confusables", tc.domain)
		}
		for _, d := range got {
			label := strings.Split(d, ".")[0]
			sc := names.Scripts(label)
			if len(sc) != 1 || !slices.Contains(tc.scripts, sc[0]) {
				t.Errorf("%s: %q has scripts %v, want one of %v", tc.domain, d, sc, tc.scripts)
			}
		}
	}
	for _, d := range generated(t, "barclays.co.uk", "confusable", GenerateOptions{}) {
		if !isLDH(d) {
			t.Errorf("%q: .uk registers no IDNs", d)
		}
	}
}

func TestGenerateList(t *testing.T) {
	l, err := Generate([]string{"PayPal.com.", "bücher.de"}, nil, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || len(l["paypal.com"]) == 0 || len(l["bücher.de"]) == 0 {
		t.Fatalf("keys %v", slices.Sorted(func(y func(string) bool) {
			for k := range l {
				y(k)
			}
		}))
	}
	for asset, vs := range l {
		if !slices.IsSorted(vs) || len(slices.Compact(slices.Clone(vs))) != len(vs) {
			t.Errorf("%s: values not sorted and unique", asset)
		}
		if slices.Contains(vs, asset) || slices.Contains(vs, "xn--bcher-kva.de") {
			t.Errorf("%s lists itself", asset)
		}
		set := map[string]bool{}
		for _, v := range vs {
			set[v] = true
		}
		for _, v := range vs { // every IDN in both forms
			a, err := idna.Registration.ToASCII(v)
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			if !set[a] {
				t.Errorf("%q listed without its punycode form %q", v, a)
			}
			if u, _ := idna.Registration.ToUnicode(v); !set[u] {
				t.Errorf("%q listed without its Unicode form %q", v, u)
			}
		}
	}
	if err := Validate(l); err != nil {
		t.Errorf("generated list does not validate: %v", err)
	}
	again, _ := Generate([]string{"bücher.de", "PayPal.com."}, nil, GenerateOptions{})
	if diff := cmp.Diff(l, again); diff != "" {
		t.Errorf("not deterministic (-first +second)\n%s", diff)
	}
}

func TestGenerateOptions(t *testing.T) {
	got := generated(t, "ups.com", "dictionary", GenerateOptions{Dictionary: []string{"parcel"}})
	for _, w := range []string{"ups-parcel.com", "upsparcel.com", "parcel-ups.com", "parcelups.com", "ups-login.com"} {
		if !slices.Contains(got, w) {
			t.Errorf("dictionary: %q missing", w)
		}
	}
	got = generated(t, "ups.com", "tld-swap", GenerateOptions{TLDs: []string{"delivery", "co.uk"}})
	for _, w := range []string{"ups.delivery", "ups.co.uk", "ups.xyz"} {
		if !slices.Contains(got, w) {
			t.Errorf("tld-swap: %q missing", w)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		domains, fuzzers []string
		want             string
	}{
		{[]string{"ups.com"}, []string{"typo"}, `unknown fuzzer "typo" (known: addition, bitsquatting,`},
		{[]string{"bad domain.com"}, nil, `domain "bad domain.com": label "bad domain" is not valid IDNA2008`},
		{[]string{"co.uk"}, nil, `domain "co.uk" is a public suffix, not a registrable domain`},
		{nil, nil, `no domain to generate lookalikes for`},
	} {
		_, err := Generate(tc.domains, tc.fuzzers, GenerateOptions{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Generate(%q, %q) error = %v, want prefix %q", tc.domains, tc.fuzzers, err, tc.want)
		}
	}
}

func TestAttributionFollowsFuzzerOrder(t *testing.T) {
	cands, err := Candidates([]string{"ups.com"}, []string{"plural", "addition"}, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Domain == "upss.com" && c.Fuzzer != "addition" {
			t.Errorf("upss.com credited to %s, want addition (first in Fuzzers order)", c.Fuzzer)
		}
	}
}
