package names

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/runenames"
)

// Skeleton folds a label to the form it looks like, so that two labels that a reader could take
// for one another get the same skeleton. It applies the Unicode TR39 skeleton (which already maps
// m to "rn", Cyrillic and Greek lookalikes to Latin, "ǉ" to "lj"), lowercases, drops combining
// marks (é→e, ė→e), and then folds the ASCII lookalikes TR39 leaves alone:
//
//	0→o 1→l 2→z 3→e 4→a 5→s 6→b 7→t 8→b 9→g   digits read as letters
//	i→l  ı→l                                   i, l and 1 are one stroke
//	w→vv  d→cl                                 (TR39 already gives m→rn)
//	ß→ss
//
// and the small-capital and hooked forms TR39 maps some Cyrillic and Greek letters to, which a
// reader takes for the plain letter in a lowercase domain: ĸ→k ʍ→rn ʜ→h ᴛ→t ʙ→b ƅ→b ɢ→g
// π→n ꞓ→e ǝ→e ɜ→e ȷ→j ω→vv μ→u r'→r; and every Latin letter "with" a hook, stroke, bar,
// tail or descender, and every small capital, to its plain letter, read from the Unicode
// character names (ƫ→t, ʂ→s, ⱴ→v, ᴏ→o; lookalike lists use these), plus ƿ→p ɑ→a ɩ→l.
//
// The result is only for comparison; it is not a valid label.
func Skeleton(label string) string {
	if isASCII(label) {
		return asciiSkeleton(label)
	}
	s := confusables.Skeleton(strings.ToLower(label))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < utf8.RuneSelf:
			b.WriteString(asciiFold[r])
		case r == 'ı':
			b.WriteByte('l')
		case unicodeFold[r] != "":
			b.WriteString(unicodeFold[r])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unicodeFold completes TR39 for letters it maps to non-ASCII lookalikes (see Skeleton).
var unicodeFold = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'ĸ': "k", 'ʍ': "rn", 'ʜ': "h", 'ᴛ': "t", 'ʙ': "b",
		'ƅ': "b", 'ɢ': "g", 'π': "n", 'ꞓ': "e", 'ǝ': "e", 'ɜ': "e", 'ȷ': "j", 'ω': "vv", 'μ': "u",
		'ƿ': "p", 'þ': "p", 'ɑ': "a", 'ɩ': "l"}
	eachMarkedLetter(func(r rune, letter byte) {
		if _, done := m[r]; !done {
			m[r] = asciiFold[letter]
		}
	})
	return m
}()

// eachMarkedLetter calls fn for each Latin letter with a hook, stroke, bar or other mark, and
// each small capital, with the plain lowercase letter its Unicode name says it is.
func eachMarkedLetter(fn func(r rune, letter byte)) {
	for _, block := range [][2]rune{{0xC0, 0x2AF}, {0x1D00, 0x1DBF}, {0x1E00, 0x1EFF},
		{0x2C60, 0x2C7F}, {0xA720, 0xA7FF}, {0xAB30, 0xAB6F}} {
		for r := block[0]; r <= block[1]; r++ {
			if sub := letterWithMark.FindStringSubmatch(runenames.Name(r)); sub != nil {
				fn(r, strings.ToLower(sub[1])[0])
			}
		}
	}
}

// Fold is label's plain Latin reading: lowercase, marks dropped (é→e, ḳ→k) and every letter
// with a hook, stroke or bar, or small capital, read as its letter (ƈ→c, ɦ→h, ɑ→a), but no
// ASCII letter changed. ok is false when some character has no such reading (another script,
// a symbol). Unlike Skeleton it keeps b and d, c and e apart, for counting edits.
func Fold(label string) (folded string, ok bool) {
	if isASCII(label) {
		return strings.ToLower(label), true
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(label)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case plainFold[r] != 0:
			b.WriteByte(plainFold[r])
		default:
			return "", false
		}
	}
	return b.String(), true
}

// plainFold maps the Latin letters with marks (see Fold) to their plain letter.
var plainFold = func() map[rune]byte {
	m := map[rune]byte{'ı': 'i', 'ɑ': 'a', 'ɩ': 'i', 'ƿ': 'p', 'ĸ': 'k', 'ß': 's'}
	eachMarkedLetter(func(r rune, letter byte) {
		if _, done := m[r]; !done {
			m[r] = letter
		}
	})
	return m
}()

// letterWithMark matches the names of Latin letters that are a plain letter with something
// added: "LATIN SMALL LETTER T WITH PALATAL HOOK", "LATIN LETTER SMALL CAPITAL O", "... U BAR".
var letterWithMark = regexp.MustCompile(`^LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH .*| BAR)?$`)

// asciiFold is the skeleton of each ASCII byte: TR39's mapping, lowercased, plus the folds above.
var asciiFold = func() (t [utf8.RuneSelf]string) {
	for c := range t {
		t[c] = strings.ToLower(confusables.Skeleton(string(rune(c))))
	}
	extra := map[byte]string{'0': "o", '1': "l", '2': "z", '3': "e", '4': "a", '5': "s", '6': "b",
		'7': "t", '8': "b", '9': "g", 'i': "l", 'w': "vv", 'd': "cl", 'm': "rn", '\'': ""}
	for c, s := range extra {
		t[c] = s
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = t[c+'a'-'A']
	}
	return t
}()

func asciiSkeleton(s string) string {
	same := true
	for i := 0; i < len(s) && same; i++ {
		same = foldsToItself[s[i]]
	}
	if same {
		return s // nothing to fold: no copy
	}
	var buf [128]byte
	b := buf[:0]
	for i := 0; i < len(s); i++ {
		b = append(b, asciiFold[s[i]]...)
	}
	return string(b)
}

// foldsToItself[c] reports an ASCII byte whose skeleton is itself.
var foldsToItself = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = asciiFold[c] == string(rune(c))
	}
	return t
}()

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
