// Package lexicon answers whether a token is a common word in the languages CT names are mostly
// written in (English, German, French, Spanish, Portuguese, Italian, Dutch, Polish, Turkish,
// Indonesian and transliterated Russian). An honest name is built from such words ("black",
// "appel", "slackline"); a typosquat is a brand bent out of shape, which is rarely a word.
//
// The words live in an embedded binary fuse filter (words.bin, made by `go generate` from
// Debian's word-list and hunspell packages; SOURCES.md names each list and its licence): about
// 36 bits a word, no false negatives, and one false positive in four billion lookups (a word
// mistaken for a typo would hide it).
package lexicon

import (
	"bytes"
	_ "embed"
	"hash/fnv"
	"strings"
	"sync"

	"github.com/FastFilter/xorfilter"
)

//go:generate go run ./internal/gen -o words.bin

//go:embed words.bin
var wordsBin []byte

// MinLen is the shortest word held: shorter tokens are words in some language almost always.
const MinLen = 3

var load = sync.OnceValue(func() *xorfilter.BinaryFuse[uint32] {
	f, err := xorfilter.LoadBinaryFuse[uint32](bytes.NewReader(wordsBin))
	if err != nil {
		panic("lexicon: embedded words.bin is corrupt: " + err.Error()) // a build defect, not input
	}
	return f
})

// Key is the filter key of a word: FNV-1a, stable across builds and processes.
func Key(word string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(word))
	return h.Sum64()
}

// IsWord reports whether s (lowercase ASCII letters, diacritics already folded) is a word of
// MinLen or more letters.
func IsWord(s string) bool {
	if len(s) < MinLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return load().Contains(Key(s))
}

// CommonPrefix marks the filter keys of the common words (IsCommon).
const CommonPrefix = "c:"

// IsCommon reports whether s is a common word: English, or a word two of the languages share
// ("boxe", "inga"); of three letters, English only ("fox", "bot"). Taken together the
// languages spell nearly every short string (one random four-letter string in twenty-five),
// and split a long one into two rare words easily, so a word of one foreign language alone
// proves little where a chance match is likely.
func IsCommon(s string) bool {
	if len(s) < MinLen || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") != "" {
		return false
	}
	return load().Contains(Key(CommonPrefix + s))
}

// IsWordDigits reports whether s is a word with digits before or after it ("app1", "2shop"),
// the way host labels number their machines.
func IsWordDigits(s string) bool {
	i, j := 0, len(s)
	for i < j && isDigit(s[i]) {
		i++
	}
	for j > i && isDigit(s[j-1]) {
		j--
	}
	return IsWord(s[i:j])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
