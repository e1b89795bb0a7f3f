// Command gen builds words.bin, the lexicon's filter, from Debian's word lists
// (apt-get install wamerican wbritish wngerman wfrench wspanish wportuguese wbrazilian witalian
// wdutch hunspell-pl hunspell-tr hunspell-id hunspell-ru). It folds each word to lowercase ASCII
// (diacritics dropped, Russian transliterated) and keeps words of lexicon.MinLen to 24 letters,
// and marks the words that are common (lexicon.IsCommon): English, or shared by two languages.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/FastFilter/xorfilter"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"github.com/certhunt/certhunt/internal/lexicon"
)

// source is one word list: a plain list (/usr/share/dict, one word a line) or a hunspell .dic
// (stems, "word/FLAGS"), in the given encoding.
type source struct {
	lang     string
	path     string
	hunspell bool
	latin    *charmap.Charmap // nil: UTF-8
	// nouns: keep capitalised entries (German nouns); elsewhere they are names, brands among them
	nouns    bool
	translit bool
}

var sources = []source{
	{lang: "en", path: "/usr/share/dict/american-english"},
	{lang: "en", path: "/usr/share/hunspell/en_US.dic", hunspell: true},
	{lang: "de", path: "/usr/share/hunspell/de_DE.dic", hunspell: true, nouns: true},
	{lang: "fr", path: "/usr/share/hunspell/fr.dic", hunspell: true},
	{lang: "es", path: "/usr/share/hunspell/es_ES.dic", hunspell: true},
	{lang: "pt", path: "/usr/share/hunspell/pt_PT.dic", hunspell: true},
	{lang: "pt", path: "/usr/share/hunspell/pt_BR.dic", hunspell: true},
	{lang: "it", path: "/usr/share/hunspell/it_IT.dic", hunspell: true},
	{lang: "nl", path: "/usr/share/hunspell/nl.dic", hunspell: true},
	{lang: "pl", path: "/usr/share/hunspell/pl_PL.dic", hunspell: true, latin: charmap.ISO8859_2},
	{lang: "tr", path: "/usr/share/hunspell/tr_TR.dic", hunspell: true},
	{lang: "id", path: "/usr/share/hunspell/id_ID.dic", hunspell: true, latin: charmap.ISO8859_1},
	{lang: "ru", path: "/usr/share/hunspell/ru_RU.dic", hunspell: true, translit: true},
}

func main() {
	out := flag.String("o", "words.bin", "output file")
	flag.Parse()
	seen := map[string]map[string]bool{} // word -> its languages
	for _, s := range sources {
		n, err := read(s, seen)
		if err != nil {
			log.Fatalf("%s: %v (install the Debian package that ships it)", s.path, err)
		}
		log.Printf("%s: %d words", s.path, n)
	}
	keys := make([]uint64, 0, len(seen)+len(seen)/8)
	short, shared := 0, 0
	for w, langs := range seen {
		keys = append(keys, lexicon.Key(w))
		switch {
		case len(w) == 3 && langs["en"]:
			keys = append(keys, lexicon.Key(lexicon.CommonPrefix+w))
			short++
		case len(w) > 3 && (langs["en"] || len(langs) >= 2):
			keys = append(keys, lexicon.Key(lexicon.CommonPrefix+w))
			shared++
		}
	}
	log.Printf("common: %d three-letter English words, %d longer English or shared words", short, shared)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	f, err := xorfilter.NewBinaryFuse[uint32](keys)
	if err != nil {
		log.Fatal(err)
	}
	w, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Save(w); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d distinct words, %d keys -> %s", len(seen), len(keys), *out)
}

func read(s source, seen map[string]map[string]bool) (int, error) {
	fh, err := os.Open(s.path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	var r io.Reader = fh
	if s.latin != nil {
		r = s.latin.NewDecoder().Reader(fh)
	}
	sc := bufio.NewScanner(r)
	n := 0
	first := true
	for sc.Scan() {
		line := sc.Text()
		if s.hunspell {
			if first { // the entry count
				first = false
				continue
			}
			if i := strings.IndexAny(line, "/\t "); i >= 0 {
				line = line[:i]
			}
		}
		if line == "" || strings.ContainsAny(line, "'’.- ") {
			continue
		}
		if r := []rune(line)[0]; unicode.IsUpper(r) && !s.nouns {
			continue
		}
		for _, w := range fold(line, s.translit) {
			if len(w) < lexicon.MinLen || len(w) > 24 {
				continue
			}
			if seen[w] == nil {
				seen[w] = map[string]bool{}
				n++
			}
			seen[w][s.lang] = true
		}
	}
	return n, sc.Err()
}

// fold turns a word into the lowercase ASCII forms a domain name would spell it in.
func fold(word string, translit bool) []string {
	word = strings.ToLower(word)
	if translit {
		return transliterate(word)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(word) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		case special[r] != "":
			b.WriteString(special[r])
		default:
			return nil // not a Latin word
		}
	}
	return []string{b.String()}
}

// special are letters NFD does not split into a base letter and a mark.
var special = map[rune]string{'ß': "ss", 'ł': "l", 'ø': "o", 'æ': "ae", 'œ': "oe", 'ı': "i", 'đ': "d", 'þ': "th"}

// russian is the usual Latin spelling of each Cyrillic letter in names; х is also written kh.
var russian = map[rune]string{'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch",
	'ш': "sh", 'щ': "sch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya"}

func transliterate(word string) []string {
	var a, b strings.Builder
	for _, r := range word {
		s, ok := russian[r]
		if !ok {
			return nil
		}
		a.WriteString(s)
		if r == 'х' {
			s = "kh"
		}
		b.WriteString(s)
	}
	if a.String() == b.String() {
		return []string{a.String()}
	}
	return []string{a.String(), b.String()}
}

func init() { log.SetFlags(0); log.SetPrefix("lexicon gen: "); _ = fmt.Sprint }
