package homograph

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/net/idna"

	"github.com/certhunt/certhunt/internal/names"
)

// confusableScripts are the scripts whose letters pass for Latin ones and back; they are the
// scripts homograph attacks use.
var confusableScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian},
}

// confusableTable maps a confusableKey to the letters of each script that have it, for letters a
// registry can accept: lowercase and valid in an IDNA2008 label on their own. It is built on
// first use from the TR39 data in github.com/mtibben/confusables.
var confusableTable = sync.OnceValue(func() map[string]map[string][]rune {
	out := map[string]map[string][]rune{}
	for _, sc := range confusableScripts {
		for _, rg := range sc.table.R16 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				addConfusable(out, sc.name, r)
			}
		}
		for _, rg := range sc.table.R32 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				addConfusable(out, sc.name, r)
			}
		}
	}
	for _, bySkel := range out {
		for s := range bySkel {
			slices.Sort(bySkel[s])
		}
	}
	return out
})

func addConfusable(out map[string]map[string][]rune, script string, r rune) {
	if !unicode.IsLetter(r) || unicode.ToLower(r) != r {
		return
	}
	if _, err := idna.Registration.ToASCII(string(r)); err != nil {
		return
	}
	sk := confusableKey(r)
	if out[sk] == nil {
		out[sk] = map[string][]rune{}
	}
	out[sk][script] = append(out[sk][script], r)
}

// confusableKey is the Unicode TR39 skeleton of r, with i and l folded together: TR39 keeps them
// apart, yet the Cyrillic palochka "ӏ", which it maps to i, is the classic stand-in for l.
func confusableKey(r rune) string {
	sk := confusables.Skeleton(string(r))
	if sk == "i" {
		return "l"
	}
	return sk
}

// scriptOf names the confusable script of letter r, or "" for other scripts.
func scriptOf(r rune) string {
	for _, sc := range confusableScripts {
		if unicode.Is(sc.table, r) {
			return sc.name
		}
	}
	return ""
}

// confusable substitutes confusable letters (see confusableTable), keeping each label in one
// script as IDNA2008 registries require, and only in scripts the TLD's registry accepts (ASCII
// alone for TLDs that take no IDNs). In the label's own script it makes one and two
// substitutions; in another script it rewrites every letter, since one Cyrillic letter among
// Latin ones could not be registered: "раураӏ" for "paypal", with one letter varied at a time.
func confusable(t *target, emit func(string)) {
	tld := t.suffix[strings.LastIndexByte(t.suffix, '.')+1:]
	allowed, known := tldScripts[tld]
	if !known {
		allowed = defaultScripts
	}
	table := confusableTable()
	own := names.Scripts(t.label)
	for _, sc := range confusableScripts {
		asciiOnly := false
		if !slices.Contains(allowed, sc.name) {
			if sc.name != "Latin" {
				continue
			}
			asciiOnly = true // ASCII letters are accepted everywhere
		}
		alts := make([][]rune, len(t.runes))
		for i, r := range t.runes {
			for _, a := range table[confusableKey(r)][sc.name] {
				if a != r && (!asciiOnly || a < 0x80) {
					alts[i] = append(alts[i], a)
				}
			}
		}
		if len(own) == 0 || len(own) == 1 && own[0] == sc.name {
			partialSubstitutions(t, alts, emit)
		} else {
			wholeScript(t, sc.name, alts, emit)
		}
	}
}

func partialSubstitutions(t *target, alts [][]rune, emit func(string)) {
	rs := slices.Clone(t.runes)
	for i := range rs {
		for _, a := range alts[i] {
			rs[i] = a
			emit(t.with(string(rs)))
			for j := i + 1; j < len(rs); j++ {
				for _, b := range alts[j] {
					rs[j] = b
					emit(t.with(string(rs)))
				}
				rs[j] = t.runes[j]
			}
		}
		rs[i] = t.runes[i]
	}
}

func wholeScript(t *target, script string, alts [][]rune, emit func(string)) {
	base := slices.Clone(t.runes)
	for i, r := range t.runes {
		if !unicode.IsLetter(r) || scriptOf(r) == script || r < 0x80 && script == "Latin" {
			alts[i] = nil // already in the script, or a digit or hyphen: kept
			continue
		}
		if len(alts[i]) == 0 {
			return
		}
		base[i] = alts[i][0]
	}
	emit(t.with(string(base)))
	for i := range base {
		if len(alts[i]) < 2 {
			continue
		}
		rs := slices.Clone(base)
		for _, a := range alts[i][1:] {
			rs[i] = a
			emit(t.with(string(rs)))
		}
	}
}
