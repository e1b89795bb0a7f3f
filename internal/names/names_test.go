package names

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, ascii, unicode, suffix, registered string
		wildcard                               bool
	}{
		{"PayPal.COM.", "paypal.com", "paypal.com", "com", "paypal.com", false},
		{"*.login.paypal.co.uk", "login.paypal.co.uk", "login.paypal.co.uk", "co.uk", "paypal.co.uk", true},
		{"pаypal.com", "xn--pypal-4ve.com", "pаypal.com", "com", "xn--pypal-4ve.com", false},
		{"xn--pypal-4ve.com", "xn--pypal-4ve.com", "pаypal.com", "com", "xn--pypal-4ve.com", false},
		{"co.uk", "co.uk", "co.uk", "co.uk", "co.uk", false},
		{"a.b.cromulent", "a.b.cromulent", "a.b.cromulent", "cromulent", "b.cromulent", false},
		{"_dmarc.example.com", "_dmarc.example.com", "_dmarc.example.com", "com", "example.com", false},
		{"r3---sn-q4f.googlevideo.com", "r3---sn-q4f.googlevideo.com", "r3---sn-q4f.googlevideo.com", "com", "googlevideo.com", false},
		{"impots.gouv.fr", "impots.gouv.fr", "impots.gouv.fr", "gouv.fr", "impots.gouv.fr", false},
	}
	for _, tt := range tests {
		n, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if n.ASCII != tt.ascii || n.Unicode != tt.unicode || n.PublicSuffix != tt.suffix ||
			n.RegisteredDomain != tt.registered || n.Wildcard != tt.wildcard {
			t.Errorf("Parse(%q) = %+v, want ascii %q unicode %q suffix %q registered %q wildcard %v",
				tt.in, n, tt.ascii, tt.unicode, tt.suffix, tt.registered, tt.wildcard)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "*.", ".", "a..b", "\xff.com", "exa mple.com"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = nil error, want one", in)
		}
	}
}

func TestValidDomain(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct{ in, wantErr string }{
		{"paypal.com", ""},
		{"pаypal.com", ""},
		{"xn--pypal-4ve.com", ""},
		{"", "empty"},
		{"a..com", "empty label"},
		{long + ".com", "more than 63"},
		{strings.Repeat("abcdefghi.", 26) + "com", "more than 253"},
		{"under_score.com", `"under_score"`},
		{"-lead.com", `"-lead"`},
		{"xn--zzzzzzzzz-.com", `"xn--zzzzzzzzz-"`},
	}
	for _, tt := range tests {
		err := ValidDomain(tt.in)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidDomain(%q) = %v", tt.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ValidDomain(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestSkeleton(t *testing.T) {
	same := [][2]string{
		{"paypal", "pаypal"},    // Cyrillic а
		{"apple", "аррlе"},      // whole-script Cyrillic
		{"google", "g00gle"},    // digit swap
		{"paypal", "paypa1"},    // 1 for l
		{"modern", "rnodern"},   // rn for m
		{"twitter", "tvvitter"}, // vv for w
		{"discord", "ԁiscord"},  // Cyrillic komi de
		{"discord", "cliscord"}, // cl for d
		{"etsy", "ėtsy"},        // combining dot dropped
		{"amazon", "αmazon"},    // Greek alpha
		{"microsoft", "MICROSOFT"},
		{"ing", "lng"},
		{"steam", "ѕteam"}, // Cyrillic dze
	}
	for _, p := range same {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a != b {
			t.Errorf("Skeleton(%q)=%q != Skeleton(%q)=%q", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"paypal", "paypai1x"}, {"apple", "appel"}, {"box", "fox"}}
	for _, p := range differ {
		if Skeleton(p[0]) == Skeleton(p[1]) {
			t.Errorf("Skeleton(%q) == Skeleton(%q), want different", p[0], p[1])
		}
	}
}

func TestScripts(t *testing.T) {
	tests := []struct {
		in    string
		mixed bool
	}{
		{"paypal", false}, {"pаypal", true}, {"аррӏе", false}, {"東京-2024", false},
		{"ひらがなカタカナ漢字", false}, {"abc東京", false}, {"αβγ", false}, {"gοogle", true},
		{"123-456", false}, {"bücher", false},
	}
	for _, tt := range tests {
		if got := MixedScript(tt.in); got != tt.mixed {
			t.Errorf("MixedScript(%q) = %v (scripts %v), want %v", tt.in, got, Scripts(tt.in), tt.mixed)
		}
	}
}

// FuzzNormalize checks that no byte string panics the normaliser and that a parsed name is
// stable: its ASCII form is ASCII and parses to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"paypal.com", "*.xn--pypal-4ve.com.", "pаypal.com", "a..b", "co.uk",
		"\xff\xfe", "xn--", "xn--zz.com", "_a-.b--c.d", "ß.de", "١٢٣.com", strings.Repeat("a.", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		_ = ValidDomain(s)
		for _, l := range n.UnicodeLabels {
			_ = Skeleton(l)
			_ = MixedScript(l)
		}
		_ = Skeleton(s)
		if err != nil {
			return
		}
		for i := 0; i < len(n.ASCII); i++ {
			if n.ASCII[i] >= utf8.RuneSelf {
				t.Fatalf("Parse(%q).ASCII = %q is not ASCII", s, n.ASCII)
			}
		}
		if !strings.HasSuffix(n.ASCII, n.RegisteredDomain) || !strings.HasSuffix(n.RegisteredDomain, n.PublicSuffix) {
			t.Fatalf("Parse(%q) = %+v: suffix/registered domain not a suffix of the name", s, n)
		}
		again, err := Parse(n.ASCII)
		if err != nil || again.ASCII != n.ASCII {
			t.Fatalf("Parse(Parse(%q).ASCII=%q) = %q, %v; want stable", s, n.ASCII, again.ASCII, err)
		}
	})
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"deutsche-danḳ": "deutsche-dank", "ẁhatsaƿƿ": "whatsapp", "chīmc": "chimc",
		"slɑclc": "slaclc", "Müller": "muller", "paypal": "paypal"} {
		if got, ok := Fold(in); !ok || got != want {
			t.Errorf("Fold(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"pаypal" /* Cyrillic а */, "例え"} {
		if got, ok := Fold(in); ok {
			t.Errorf("Fold(%q) = %q, ok; want not foldable", in, got)
		}
	}
	if Skeleton("ẁhatsaƿƿ") != Skeleton("whatsapp") {
		t.Errorf("wynn is not read as p: %q", Skeleton("ẁhatsaƿƿ"))
	}
}
