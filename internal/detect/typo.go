package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/keyboard"
)

func adjacentKeys(a, b byte) bool { return keyboard.Adjacent(rune(a), rune(b)) }

func isVowel(c byte) bool { return strings.IndexByte("aeiouy", c) >= 0 }

// typoKind names the single edit that turns brand into label when it is one that people or
// attackers actually make: a neighbouring key, a flipped bit, a swapped vowel, a lookalike
// digit, a doubled, dropped, swapped or appended character, or an added hyphen. It returns "" for
// any other edit (an unrelated letter in the middle of a word is how honest names differ).
func typoKind(label, brand string) string {
	switch {
	case len(label) == len(brand):
		i := 0
		for i < len(label) && label[i] == brand[i] {
			i++
		}
		if i == len(label) {
			return ""
		}
		if i+1 < len(label) && label[i] == brand[i+1] && label[i+1] == brand[i] && label[i+2:] == brand[i+2:] {
			return "transposition"
		}
		if label[i+1:] != brand[i+1:] {
			return ""
		}
		return substitutionKind(label[i], brand[i])
	case len(label) == len(brand)+1:
		i := 0
		for i < len(brand) && label[i] == brand[i] {
			i++
		}
		if label[i+1:] != brand[i:] {
			return ""
		}
		c := label[i]
		switch {
		case i == len(brand):
			return "appended character"
		case c == '-' && i > 0:
			return "added hyphen"
		case i > 0 && label[i-1] == c || c == brand[i]:
			return "doubled letter"
		case i > 0 && adjacentKeys(c, label[i-1]) || adjacentKeys(c, brand[i]):
			return "inserted neighbouring key"
		}
		return ""
	case len(label)+1 == len(brand):
		if len(label) < 3 || typoKind(brand, label) == "" && !strings.HasPrefix(brand, label) {
			return ""
		}
		return "dropped character"
	}
	return ""
}

// asciiLookalike reports letters and digits that pass for one another: 0/o, 1/l/i, 5/s, ...
func asciiLookalike(a, b byte) bool {
	for _, set := range []string{"0o", "1li", "5s", "3e", "4a", "7t", "8b", "9gq", "uv", "nm", "ce", "bd", "pq", "gq"} {
		if strings.IndexByte(set, a) >= 0 && strings.IndexByte(set, b) >= 0 {
			return true
		}
	}
	return false
}

// describeEdit names, in words an analyst reads, how label differs from brand: each edit of
// an optimal alignment (at most three are named): `omission of "l"`, `transposition "pa" for "ap"`,
// `homoglyph U+0430 for "a"`, `lookalike "1" for "l"`, `doubled "p"`, `added hyphen`.
func describeEdit(label, brand string) string {
	a, b := []rune(label), []rune(brand)
	if len(a) > 64 || len(b) > 64 {
		return "several edits"
	}
	// d[i][j]: OSA distance of a[:i] and b[:j]
	var d [65][65]int
	for i := 0; i <= len(a); i++ {
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	var edits []string
	for i, j := len(a), len(b); i > 0 || j > 0; {
		switch {
		case i > 0 && j > 0 && a[i-1] == b[j-1] && d[i][j] == d[i-1][j-1]:
			i, j = i-1, j-1
			continue
		case i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] && d[i][j] == d[i-2][j-2]+1:
			edits = append(edits, fmt.Sprintf("transposition %q for %q", string(a[i-2:i]), string(b[j-2:j])))
			i, j = i-2, j-2
		case i > 0 && j > 0 && d[i][j] == d[i-1][j-1]+1:
			edits = append(edits, substitution(a[i-1], b[j-1]))
			i, j = i-1, j-1
		case i > 0 && d[i][j] == d[i-1][j]+1:
			c := a[i-1]
			switch {
			case c == '-':
				edits = append(edits, "added hyphen")
			case i > 1 && a[i-2] == c || i < len(a) && a[i] == c:
				edits = append(edits, fmt.Sprintf("doubled %q", string(c)))
			case j == len(b):
				edits = append(edits, fmt.Sprintf("appended %q", string(c)))
			default:
				edits = append(edits, fmt.Sprintf("insertion of %q", string(c)))
			}
			i--
		default:
			edits = append(edits, fmt.Sprintf("omission of %q", string(b[j-1])))
			j--
		}
	}
	if len(edits) == 0 {
		return "no edit"
	}
	slices.Reverse(edits)
	if len(edits) > 3 {
		edits = append(edits[:3], fmt.Sprintf("%d more", len(edits)-3))
	}
	return strings.Join(edits, ", ")
}

// substitution names one replaced letter: a homoglyph, a plausible slip (substitutionKind),
// or just the two letters.
func substitution(x, y rune) string {
	if x >= 0x80 {
		return fmt.Sprintf("homoglyph %U for %q", x, string(y))
	}
	if y < 0x80 {
		if kind := substitutionKind(byte(x), byte(y)); kind != "" {
			return fmt.Sprintf("%s %q for %q", kind, string(x), string(y))
		}
	}
	return fmt.Sprintf("%q for %q", string(x), string(y))
}

// substitutionKind names a replaced letter people or attackers actually type: a lookalike, a
// neighbouring key, a flipped bit or a swapped vowel; "" for an unrelated letter.
func substitutionKind(x, y byte) string {
	switch {
	case asciiLookalike(x, y):
		return "lookalike"
	case adjacentKeys(x, y):
		return "keyboard slip"
	case x^y != 0 && (x^y)&(x^y-1) == 0:
		return "bit flip"
	case isVowel(x) && isVowel(y):
		return "vowel swap"
	}
	return ""
}
