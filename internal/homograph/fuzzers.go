package homograph

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/publicsuffix"

	"github.com/certhunt/certhunt/internal/keyboard"
)

// replaceAt returns rs with rs[i:j] replaced by s.
func replaceAt(rs []rune, i, j int, s string) string {
	var b strings.Builder
	b.Grow(len(rs) + len(s) + 4)
	for _, r := range rs[:i] {
		b.WriteRune(r)
	}
	b.WriteString(s)
	for _, r := range rs[j:] {
		b.WriteRune(r)
	}
	return b.String()
}

// addition appends one letter or digit: paypal → paypal1.
func addition(t *target, emit func(string)) {
	for _, c := range "0123456789abcdefghijklmnopqrstuvwxyz" {
		emit(t.with(t.label + string(c)))
	}
}

// bitsquatting flips one bit of one character, as a faulty memory cell would: paypal → qaypal.
func bitsquatting(t *target, emit func(string)) {
	for i, r := range t.runes {
		for bit := range 8 {
			b := r ^ (1 << bit)
			if b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' {
				emit(t.with(replaceAt(t.runes, i, i+1, string(b))))
			}
		}
	}
}

// cyrillic writes the whole label in Cyrillic lookalikes, when every letter has one.
func cyrillic(t *target, emit func(string)) {
	out := make([]rune, len(t.runes))
	for i, r := range t.runes {
		c, ok := latinToCyrillic[r]
		switch {
		case ok:
			out[i] = c
		case unicode.IsLetter(r):
			return
		default:
			out[i] = r
		}
	}
	emit(t.with(string(out)))
}

// homoglyph substitutes lookalike glyphs, once and then a second time on each result. One
// substitution replaces a run of consecutive occurrences of a character (any run but the one
// spanning the whole label, as dnstwist's sliding windows do), or one two-character lookalike
// such as "rn" for "m".
func homoglyph(t *target, emit func(string)) {
	seen := map[string]bool{}
	var first []string
	glyphMix(t.runes, func(s string) {
		if !seen[s] {
			seen[s] = true
			first = append(first, s)
		}
	})
	slices.Sort(first)
	budget := homoglyphBudget
	for _, s := range first {
		// The second pass substitutes ASCII characters only, so it keeps every non-ASCII one
		// and shortens a label by at most one (a pair such as "rn" read as "m"): a result too
		// long for DNS now stays too long, and is not worth millions of strings for long labels.
		if minASCIILen(s)-1 > maxLabel {
			continue
		}
		emit(t.with(s))
		if budget <= 0 {
			continue
		}
		glyphMix([]rune(s), func(s2 string) {
			budget--
			emit(t.with(s2))
		})
	}
}

// homoglyphBudget bounds the second homoglyph pass, which grows with the fourth power of the
// number of repeated letters: labels up to about 25 characters never reach it (a 10-character one
// makes some 20,000 names); beyond, the second pass stops after this many names, in sorted order
// so that the output stays deterministic.
const homoglyphBudget = 300_000

const maxLabel = 63

// minASCIILen is a lower bound on the length of label s in ASCII form: punycode keeps the ASCII
// characters, adds "xn--" and a delimiter, and needs at least one character per other one.
func minASCIILen(s string) int {
	n, nonASCII := 0, false
	for _, r := range s {
		n++
		if r >= 0x80 {
			nonASCII = true
		}
	}
	if nonASCII {
		n += len("xn--") + 1
	}
	return n
}

// glyphMix calls emit with every one-step glyph substitution of rs.
func glyphMix(rs []rune, emit func(string)) {
	n := len(rs)
	var positions []int
	done := map[rune]bool{}
	for _, c := range rs {
		gs := glyphs[c]
		if len(gs) == 0 || done[c] {
			continue
		}
		done[c] = true
		positions = positions[:0]
		for i, r := range rs {
			if r == c {
				positions = append(positions, i)
			}
		}
		for a := range positions {
			for b := a; b < len(positions); b++ {
				if positions[a] == 0 && positions[b] == n-1 {
					continue
				}
				for _, g := range gs {
					emit(replaceRun(rs, positions[a], positions[b], c, g))
				}
			}
		}
	}
	s := string(rs)
	for _, p := range glyphPairs {
		for off := 0; ; {
			i := strings.Index(s[off:], p[0])
			if i < 0 {
				break
			}
			i += off
			emit(s[:i] + p[1] + s[i+len(p[0]):])
			off = i + 1
		}
	}
}

// replaceRun replaces every c in rs[from:to+1] with g.
func replaceRun(rs []rune, from, to int, c rune, g string) string {
	var b strings.Builder
	b.Grow(len(rs) + 8)
	for i, r := range rs {
		if r == c && i >= from && i <= to {
			b.WriteString(g)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hyphenation inserts a hyphen between two characters: paypal → pay-pal.
func hyphenation(t *target, emit func(string)) {
	for i := 1; i < len(t.runes); i++ {
		emit(t.with(replaceAt(t.runes, i, i, "-")))
	}
}

// insertion inserts a key next to one it neighbours on a keyboard, before or after it.
func insertion(t *target, emit func(string)) {
	for i, r := range t.runes {
		for _, kb := range keyboard.Neighbours {
			for _, k := range kb[r] {
				emit(t.with(replaceAt(t.runes, i, i, string(k))))
				emit(t.with(replaceAt(t.runes, i+1, i+1, string(k))))
			}
		}
	}
}

// omission drops one character: paypal → papal.
func omission(t *target, emit func(string)) {
	for i := range t.runes {
		emit(t.with(replaceAt(t.runes, i, i+1, "")))
	}
}

// repetition doubles one character: paypal → paypall.
func repetition(t *target, emit func(string)) {
	for i, r := range t.runes {
		emit(t.with(replaceAt(t.runes, i, i, string(r))))
	}
}

// replacement replaces one key with a keyboard neighbour (qwerty, qwertz, azerty).
func replacement(t *target, emit func(string)) {
	for i, r := range t.runes {
		for _, kb := range keyboard.Neighbours {
			for _, k := range kb[r] {
				emit(t.with(replaceAt(t.runes, i, i+1, string(k))))
			}
		}
	}
}

// subdomain inserts a dot, making the label a subdomain of a shorter one: paypal → pay.pal.
func subdomain(t *target, emit func(string)) {
	for i := 1; i < len(t.runes); i++ {
		if !strings.ContainsRune("-.", t.runes[i]) && !strings.ContainsRune("-.", t.runes[i-1]) {
			emit(t.with(replaceAt(t.runes, i, i, ".")))
		}
	}
}

// transposition swaps two adjacent characters: paypal → papyal.
func transposition(t *target, emit func(string)) {
	for i := 0; i+1 < len(t.runes); i++ {
		if t.runes[i] != t.runes[i+1] {
			emit(t.with(replaceAt(t.runes, i, i+2, string([]rune{t.runes[i+1], t.runes[i]}))))
		}
	}
}

// vowelSwap replaces one vowel with another: paypal → paypel.
func vowelSwap(t *target, emit func(string)) {
	const vowels = "aeiouy"
	for i, r := range t.runes {
		if strings.ContainsRune(vowels, r) {
			for _, v := range vowels {
				emit(t.with(replaceAt(t.runes, i, i+1, string(v))))
			}
		}
	}
}

// plural makes the label plural (or singular): paypal → paypals, glass → glasses, glasses → glasse.
func plural(t *target, emit func(string)) {
	l := t.label
	emit(t.with(l + "s"))
	if strings.HasSuffix(l, "s") || strings.HasSuffix(l, "x") || strings.HasSuffix(l, "z") ||
		strings.HasSuffix(l, "ch") || strings.HasSuffix(l, "sh") {
		emit(t.with(l + "es"))
	}
	if strings.HasSuffix(l, "s") {
		emit(t.with(strings.TrimSuffix(l, "s")))
	}
	if b, ok := strings.CutSuffix(l, "y"); ok {
		emit(t.with(b + "ies"))
	}
}

// dictionary joins the label with phishing words, with and without a hyphen, on either side; a
// hyphenated label also gets its first or last part replaced by the word.
func dictionary(t *target, emit func(string)) {
	words := append(append([]string{}, phishingWords...), t.opts.Dictionary...)
	l := t.label
	parts := strings.Split(l, "-")
	for _, w := range words {
		emit(t.with(l + "-" + w))
		emit(t.with(l + w))
		emit(t.with(w + "-" + l))
		emit(t.with(w + l))
		if len(parts) > 1 {
			emit(t.with(strings.Join(parts[:len(parts)-1], "-") + "-" + w))
			emit(t.with(w + "-" + strings.Join(parts[1:], "-")))
		}
	}
}

// tldSwap keeps the label and changes the public suffix: paypal.com → paypal.xyz.
func tldSwap(t *target, emit func(string)) {
	for _, tlds := range [][]string{abusedTLDs, t.opts.TLDs} {
		for _, tld := range tlds {
			emit(t.withSuffix(tld))
		}
	}
}

// various folds the suffix into the label: paypalcom.com, paypal-com.net, barclaysco.uk,
// barclays-co-uk.com, and for names with subdomains joins them to the label.
func various(t *target, emit func(string)) {
	l, suf := t.label, t.suffix
	flat := strings.ReplaceAll(suf, ".", "")
	dashed := strings.ReplaceAll(suf, ".", "-")
	last := suf[strings.LastIndexByte(suf, '.')+1:]
	if strings.Contains(suf, ".") {
		emit(t.withSuffix(last))
		emit(t.prefix + l + suf)
	} else {
		emit(t.with(l + suf))
		emit(t.with(l + "-" + suf))
	}
	for _, tld := range []string{"com", "net", "org", last} {
		emit(t.prefix + l + flat + "." + tld)
		emit(t.prefix + l + "-" + dashed + "." + tld)
	}
	if t.prefix != "" {
		sub := strings.TrimSuffix(t.prefix, ".")
		emit(sub + l + "." + suf)
		emit(strings.ReplaceAll(sub, ".", "") + l + "." + suf)
		emit(sub + "-" + l + "." + suf)
		emit(strings.ReplaceAll(sub, ".", "-") + "-" + l + "." + suf)
	}
}

// numeralSwap writes digits for the letters they pass for and back (paypal → p4yp4l, g00gle →
// google), and number words for digits and back (1password → onepassword).
func numeralSwap(t *target, emit func(string)) {
	rs := t.runes
	for i, r := range rs {
		for _, l := range digitLetters[r] {
			emit(t.with(replaceAt(rs, i, i+1, string(l))))
			emit(t.with(replaceRun(rs, 0, len(rs)-1, r, string(l))))
		}
		for _, d := range letterDigits[r] {
			emit(t.with(replaceAt(rs, i, i+1, string(d))))
			emit(t.with(replaceRun(rs, 0, len(rs)-1, r, string(d))))
		}
	}
	for _, p := range numberWords {
		for _, pair := range [][2]string{p, {p[1], p[0]}} {
			if strings.Contains(t.label, pair[0]) {
				emit(t.with(strings.ReplaceAll(t.label, pair[0], pair[1])))
				emit(t.with(strings.Replace(t.label, pair[0], pair[1], 1)))
			}
		}
	}
}

// sldSwap swaps between a TLD and the second-level forms under country TLDs: barclays.co.uk →
// barclays.com, barclays.uk, barclays.com.uk; paypal.com → paypal.co.uk, paypal.com.au.
func sldSwap(t *target, emit func(string)) {
	var suffixes []string
	if sl, cc, ok := strings.Cut(t.suffix, "."); ok && !strings.Contains(cc, ".") {
		suffixes = append(suffixes, "com", "net", "org", cc)
		for _, f := range secondLevelForms {
			if f != sl {
				suffixes = append(suffixes, f+"."+cc)
			}
		}
	} else if !ok {
		suffixes = append(suffixes, secondLevelSuffixes...)
		for _, f := range secondLevelForms {
			suffixes = append(suffixes, f+"."+t.suffix)
		}
	}
	for _, s := range suffixes {
		if got, icann := publicsuffix.PublicSuffix("x." + s); got == s && icann {
			emit(t.withSuffix(s))
		}
	}
}

// combosquat pairs the brand with keywords attackers use: with and without a hyphen on either
// side, two keywords around or after it, and with the TLD folded in (paypal-com-login.com).
func combosquat(t *target, emit func(string)) {
	l := t.label
	flat := strings.ReplaceAll(t.suffix, ".", "-")
	for _, k := range comboKeywords {
		emit(t.with(l + k))
		emit(t.with(l + "-" + k))
		emit(t.with(k + l))
		emit(t.with(k + "-" + l))
		emit(t.with(l + "-" + flat + "-" + k))
		emit(t.with(k + "-" + l + "-" + flat))
		for _, k2 := range comboKeywords {
			if k2 != k {
				emit(t.with(k + "-" + l + "-" + k2))
				emit(t.with(l + "-" + k + "-" + k2))
			}
		}
	}
}
