package enrich

import (
	"bytes"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// page is what one fetched HTML document says, read with golang.org/x/net/html's tokenizer
// rather than its tree parser: a stream of tokens costs time linear in the (already capped)
// body whatever the nesting, where building a tree of a hostile page need not.
type page struct {
	title string
	// text is the visible text, lower case, words separated by single spaces (capped).
	text     string
	login    bool
	password bool
	payment  bool
	// icon is the href of the first <link rel=icon>.
	icon string
	// textShingles and tagShingles are hashed shingles of the visible words and of the
	// tag/class sequence: what similarity compares.
	textShingles, tagShingles map[uint64]struct{}
}

// Bounds on what one page may make certhunt keep or do.
const (
	maxTitle     = 300
	maxText      = 256 << 10
	maxTokens    = 200_000 // tokens looked at; a page of more is judged on its first ones
	maxShingles  = 20_000
	maxAttrValue = 2048 // attribute values longer than this are not looked at
	maxWord      = 64
	shingleSize  = 3
)

// formState gathers one form's inputs (inputs outside any form make a form of their own:
// kits often post with script).
type formState struct {
	password, identity, submit, payment bool
}

// parsePage reads body as HTML. Binary or broken markup yields what could be read.
func parsePage(body []byte) *page {
	p := &page{textShingles: map[uint64]struct{}{}, tagShingles: map[uint64]struct{}{}}
	z := html.NewTokenizer(bytes.NewReader(body))
	z.SetMaxBuf(len(body) + 1)
	var (
		title   strings.Builder
		text    strings.Builder
		inTitle bool
		skip    int // depth inside script, style, template, noscript
		outside formState
		form    *formState
		inForm  formState
		tags    shingler
		words   shingler
		attrs   = map[string]string{}
	)
	closeForm := func(f *formState) {
		if f.password {
			p.password, p.login = true, true
		}
		if f.identity && f.submit {
			p.login = true
		}
		if f.payment {
			p.payment = true
		}
	}
	addWords := func(s string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
			if len(w) > maxWord {
				continue // a blob, not a word
			}
			if text.Len() < maxText {
				if text.Len() > 0 {
					text.WriteByte(' ')
				}
				text.WriteString(w)
			}
			words.add(p.textShingles, hashString(fnvOffset, w))
		}
	}
	for n := 0; n < maxTokens; n++ {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if inTitle && title.Len() < maxTitle*4 {
				title.Write(z.Text())
			} else if skip == 0 {
				addWords(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if tt == html.EndTagToken {
				switch a {
				case atom.Title:
					inTitle = false
				case atom.Script, atom.Style, atom.Template, atom.Noscript:
					skip = max(skip-1, 0)
				case atom.Form:
					if form != nil {
						closeForm(form)
						form = nil
					}
				}
				continue
			}
			// A tag's identity for the markup shingles is its name and classes; its other
			// attributes are kept only where forms and icons are read from.
			h := hashBytes(fnvOffset, name)
			keep := a == atom.Input || a == atom.Button || a == atom.Link
			clear(attrs)
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if len(v) > maxAttrValue {
					continue
				}
				if string(k) == "class" {
					h = hashClasses(h, v)
				}
				if keep && len(attrs) < 32 {
					attrs[string(k)] = strings.ToLower(string(v))
				}
			}
			tags.add(p.tagShingles, h)
			cur := &outside
			if form != nil {
				cur = form
			}
			switch a {
			case atom.Title:
				inTitle = tt == html.StartTagToken && p.title == ""
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.Form:
				if form != nil {
					closeForm(form) // forms do not nest: a new one ends the last
				}
				inForm = formState{}
				form = &inForm
			case atom.Input:
				classifyInput(cur, attrs)
			case atom.Button:
				if t := attrs["type"]; t == "" || t == "submit" {
					cur.submit = true
				}
			case atom.Link:
				if rel := attrs["rel"]; p.icon == "" && strings.Contains(" "+rel+" ", " icon ") {
					p.icon = attrs["href"]
				}
			}
		}
		if len(p.textShingles) >= maxShingles && len(p.tagShingles) >= maxShingles {
			break
		}
	}
	if form != nil {
		closeForm(form)
	}
	closeForm(&outside)
	p.title = printable(strings.Join(strings.Fields(title.String()), " "), maxTitle)
	p.text = text.String()
	return p
}

// classifyInput notes what an <input> asks for.
func classifyInput(f *formState, attrs map[string]string) {
	typ, ac := attrs["type"], attrs["autocomplete"]
	names := attrs["name"] + " " + attrs["id"] + " " + attrs["placeholder"]
	switch {
	case typ == "password" || ac == "current-password" || ac == "new-password":
		f.password = true
	case typ == "submit" || typ == "image":
		f.submit = true
	case strings.HasPrefix(ac, "cc-") || containsAny(names, "card", "cvv", "cvc", "ccnum", "cc-num", "cc_num", "expiry", "expdate", "exp-date", "exp_date", "securitycode", "security_code"):
		f.payment = true
	case typ == "email" || ac == "username" || ac == "email" || containsAny(names, "email", "e-mail", "user", "login", "account", "phone"):
		f.identity = true
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// shingler keeps the hashes of the last shingleSize items and adds each full window's hash
// to a set (up to maxShingles).
type shingler struct {
	last [shingleSize]uint64
	n    int
}

func (s *shingler) add(set map[uint64]struct{}, h uint64) {
	copy(s.last[:], s.last[1:])
	s.last[shingleSize-1] = h
	if s.n++; s.n < shingleSize || len(set) >= maxShingles {
		return
	}
	w := uint64(fnvOffset)
	for _, x := range s.last {
		for range 8 {
			w = (w ^ (x & 0xff)) * fnvPrime
			x >>= 8
		}
	}
	set[w] = struct{}{}
}

// FNV-1a, inline: hashing every tag and word must not allocate.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// hashClasses adds a class attribute's names to h, each after a dot, blanks collapsed.
func hashClasses(h uint64, v []byte) uint64 {
	sep := true
	for _, c := range v {
		switch c {
		case ' ', '\t', '\n', '\r', '\f':
			sep = true
			continue
		}
		if sep {
			h = (h ^ '.') * fnvPrime
			sep = false
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// similarity compares two pages, 0..1: the mean of the Jaccard indexes of their visible-text
// shingles (three words in a row) and of their markup shingles (three tags, with classes, in
// a row). A clone kit copies the brand's markup and wording, so both are high; a parked or
// unrelated page shares little of either. Text alone would miss a clone whose words are
// images; markup alone would call every page of one site builder alike. A page without text
// is compared on markup only.
func similarity(a, b *page) float64 {
	tags := jaccard(a.tagShingles, b.tagShingles)
	if len(a.textShingles) == 0 || len(b.textShingles) == 0 {
		return tags
	}
	return (jaccard(a.textShingles, b.textShingles) + tags) / 2
}

func jaccard(a, b map[uint64]struct{}) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	both := 0
	for k := range a {
		if _, ok := b[k]; ok {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// parkedPhrases are what domain-parking and for-sale pages say.
var parkedPhrases = []string{
	"domain is for sale", "domain may be for sale", "buy this domain", "this domain is parked",
	"parked free", "domain parking", "parked domain", "sedoparking", "parkingcrew", "bodis.com",
	"the domain owner", "related searches", "inquire about this domain", "make an offer on this domain",
}

// parked reports whether the page reads like a parking or for-sale page.
func (p *page) parked() bool {
	s := strings.ToLower(p.title) + " " + p.text
	n := 0
	for _, ph := range parkedPhrases {
		if strings.Contains(s, ph) {
			n++
		}
	}
	return n > 0 && len(s) < 20000 // a long page that mentions parking once is not a parking page
}

// brandWords returns the words of the protected domain's brand found in the page's title or
// visible text: the brand label ("paypal" of paypal.com) and, for a label with hyphens, its
// parts of four letters or more.
func (p *page) brandWords(asset string) []string {
	label, _, _ := strings.Cut(strings.ToLower(asset), ".")
	if label == "" {
		return nil
	}
	cands := []string{strings.ReplaceAll(label, "-", "")}
	if strings.Contains(label, "-") {
		cands = append(cands, strings.ReplaceAll(label, "-", " "))
		for _, w := range strings.Split(label, "-") {
			if len(w) >= 4 {
				cands = append(cands, w)
			}
		}
	}
	hay := " " + strings.Join(strings.FieldsFunc(strings.ToLower(p.title), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }), " ") + " " + p.text + " "
	var out []string
	for _, w := range cands {
		found := false
		if len(w) >= 4 {
			found = strings.Contains(hay, w)
		} else {
			found = strings.Contains(hay, " "+w+" ")
		}
		if found && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}
