package names

import (
	"slices"
	"unicode"
)

// scripts are the writing systems told apart for mixed-script detection; Common and Inherited
// characters (digits, hyphen, combining marks) belong to every script and are ignored.
var scripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Georgian", unicode.Georgian}, {"Cherokee", unicode.Cherokee},
	{"Arabic", unicode.Arabic}, {"Hebrew", unicode.Hebrew}, {"Han", unicode.Han},
	{"Hiragana", unicode.Hiragana}, {"Katakana", unicode.Katakana}, {"Hangul", unicode.Hangul},
	{"Thai", unicode.Thai}, {"Devanagari", unicode.Devanagari},
}

// Scripts lists the scripts of the letters in s, in order of first appearance; "Other" stands
// for any script not in the list above. Plain ASCII letters are "Latin".
func Scripts(s string) []string {
	var out []string
	add := func(name string) {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, r := range s {
		if r < 0x80 {
			if r|0x20 >= 'a' && r|0x20 <= 'z' {
				add("Latin")
			}
			continue
		}
		if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
			continue
		}
		name := "Other"
		for _, sc := range scripts {
			if unicode.Is(sc.table, r) {
				name = sc.name
				break
			}
		}
		add(name)
	}
	return out
}

// MixedScript reports whether a label mixes scripts in a way no language does: more than one
// script, except Han with Hiragana/Katakana (Japanese) or Hangul (Korean), and Latin with those.
func MixedScript(label string) bool {
	sc := Scripts(label)
	if len(sc) < 2 {
		return false
	}
	cjk := 0
	for _, s := range sc {
		switch s {
		case "Han", "Hiragana", "Katakana", "Hangul":
			cjk++
		}
	}
	if cjk == 0 {
		return true
	}
	rest := len(sc) - cjk
	return rest > 1 || rest == 1 && !slices.Contains(sc, "Latin")
}
