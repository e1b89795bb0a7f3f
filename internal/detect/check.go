package detect

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/lexicon"
	"github.com/certhunt/certhunt/internal/names"
	"github.com/certhunt/certhunt/internal/severity"
)

// finding is one asset rule that fired for a name.
type finding struct {
	asset   int
	rule    string
	detail  string
	matched Matched
	label   int // index of the label it concerns, -1 for the whole name
}

// view is a parsed name with the forms the rules need.
type view struct {
	n       names.Name
	reg     int      // index of the registered label; -1 when the name is a public suffix
	skel    []string // skeleton of each label
	flat    []string // ASCII label without hyphens
	flatSk  []string // skeleton without hyphens
	mixed   bool
	hasPuny bool
	quiet   uint64 // bit i: label i is one of the Index's quiet labels
}

// Check returns the alerts for one DNS name (Unicode or punycode, "*." allowed): at most one per
// asset, the best, sorted by score, highest first. It returns nil when no rule fired or the name
// cannot be read as a domain.
func (ix *Index) Check(name string) []Alert {
	n, err := names.Parse(name)
	if err != nil {
		return nil
	}
	return ix.check(n)
}

// CheckName is Check for a name already parsed (the pipeline parses each name once, to count
// the junk and the labels too).
func (ix *Index) CheckName(n names.Name) []Alert { return ix.check(n) }

// Evaluate returns the best alert for name, or, when none fired, a zero-score Alert with the
// domain fields filled in (for printing one verdict per input name).
func (ix *Index) Evaluate(name string) Alert {
	n, err := names.Parse(name)
	if err != nil {
		return Alert{Domain: name, Severity: severity.Of(0), Reasons: []Reason{}}
	}
	if alerts := ix.check(n); len(alerts) > 0 {
		return alerts[0]
	}
	return Alert{Domain: n.ASCII, DomainUnicode: n.Unicode, RegisteredDomain: n.RegisteredDomain,
		Severity: severity.Of(0), Reasons: []Reason{}}
}

func (ix *Index) check(n names.Name) []Alert {
	for s := n.ASCII; ; {
		if ix.protectedLens[min(len(s), 255)] && ix.protected[s] {
			return nil
		}
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			break
		}
		s = s[dot+1:]
	}
	v := view{n: n, reg: len(n.Labels) - n.SuffixLabels() - 1}
	var found []finding
	if v.reg >= 0 {
		nl := len(n.Labels)
		all := make([]string, 3*nl)
		v.skel, v.flat, v.flatSk = all[:nl:nl], all[nl:2*nl:2*nl], all[2*nl:]
		whole := ""
		if n.Unicode == n.ASCII {
			whole = names.Skeleton(n.ASCII) // one string for all labels ("." folds to itself)
		}
		for i, u := range n.UnicodeLabels {
			if whole != "" {
				dot := strings.IndexByte(whole, '.')
				if dot < 0 {
					dot = len(whole)
				}
				v.skel[i], whole = whole[:dot], whole[min(dot+1, len(whole)):]
			} else {
				v.skel[i] = names.Skeleton(u)
			}
			if i > v.reg {
				continue
			}
			v.flat[i] = withoutHyphens(n.Labels[i])
			v.flatSk[i] = withoutHyphens(v.skel[i])
			if i < 64 && ix.quiet[n.Labels[i]] {
				v.quiet |= 1 << i
			}
			if u != n.Labels[i] {
				v.hasPuny = true
				v.mixed = v.mixed || names.MixedScript(u)
			}
		}
		found = ix.findListed(&v, found)
		for i := 0; i <= v.reg; i++ {
			if !v.isQuiet(i) {
				found = ix.findLabel(&v, i, found)
			}
		}
		found = ix.findSplit(&v, found)
		found = ix.findSubdomain(&v, found)
	}
	alerts := ix.score(&v, found)
	return ix.addIntel(n, alerts)
}

// commonWord reports an ASCII token that is an ordinary word, or one with digits around it
// ("black", "app1"; of three or four letters, an English or widely shared word: "fox", "boxe"):
// typo rules do not fire on it.
func commonWord(s string) bool {
	if !isASCIIString(s) {
		return false
	}
	if w := trimDigits(s); len(w) <= 4 {
		return lexicon.IsCommon(w)
	}
	return lexicon.IsWordDigits(s)
}

// trimDigits is s without the digits at its ends: strings.Trim(s, "0123456789") without
// building a cutset on every call (commonWord runs once or more per name).
func trimDigits(s string) string {
	i, j := 0, len(s)
	for i < j && isDigitByte(s[i]) {
		i++
	}
	for j > i && isDigitByte(s[j-1]) {
		j--
	}
	return s[i:j]
}

// phishy reports context that corroborates a weak lookalike of asset a: a phishing word in
// the registered label (not one of the asset's own words; deep host names are full of
// "login" and "secure"), a TLD much used for phishing, or a
// machine-made registered domain (throwaway).
func (v *view) phishy(a *asset) bool {
	if abusedTLDs[v.n.Labels[len(v.n.Labels)-1]] || v.throwaway() {
		return true
	}
	for tok := range strings.SplitSeq(v.n.Labels[v.reg], "-") {
		if phishingKeywords[tok] && !a.ownWord(tok) {
			return true
		}
	}
	return false
}

// throwaway reports a registered label that looks machine-made, letters and digits mixed
// ("fmlc0y14", "got09tu7w"), as registered in bulk for phishing: not a word with a number
// ("shadow323"), not all digits.
func (v *view) throwaway() bool {
	if v.reg < 0 {
		return false
	}
	l := v.n.Labels[v.reg]
	if len(l) < 5 || !isASCIIString(l) || strings.ContainsRune(l, '-') {
		return false
	}
	digits, inner := 0, false
	for j := 0; j < len(l); j++ {
		if isDigitByte(l[j]) {
			digits++
			inner = inner || j > 0 && j < len(l)-1 && !isDigitByte(l[j-1]) && !isDigitByte(l[j+1])
		}
	}
	return digits > 0 && digits < len(l)-1 && (inner || digits >= 2 && !commonWord(l))
}

func (v *view) isQuiet(i int) bool { return i < 64 && v.quiet&(1<<i) != 0 }

// withoutHyphens is s without "-", s itself (no copy) when it has none.
func withoutHyphens(s string) string {
	if strings.IndexByte(s, '-') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "-", "")
}

// findListed: the name or one of its parents down to the registered domain equals a listed
// homograph with a TLD, or the registered label equals one listed without. A listed name is
// whole: its fragments (the "k" of a generated "example-ban.k.com") match nothing on their own.
func (ix *Index) findListed(v *view, found []finding) []finding {
	var keys [10]uint64
	var which [10]int // the first label of the parent name hashed; v.reg+1 for the registered label
	n := 0
	for start := max(0, v.reg-7); start <= v.reg; start++ {
		keys[n], which[n] = ix.hash.joined(kindValueSkel, v.skel, start), start
		n++
	}
	keys[n], which[n] = ix.hash.str(kindLabelSkel, v.skel[v.reg]), v.reg+1
	n++
	// a generated list lists words too (fox.com for box.com): a hit on one is no evidence of
	// its own, and the lookalike rules judge the name; a listed name with more labels
	// ("example-ban.k.com") is not a word. The last two keys are the registered domain's and
	// label's; the lexicon is asked only when one of them may be listed (most names hit nothing).
	m := ix.exact.mayHave(keys[:n])
	if reg := v.n.Labels[v.reg]; m>>(n-2) != 0 && (len(reg) < 3 || commonWord(reg)) {
		m &^= 3 << (n - 2)
	}
	for ; m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		hash, first := keys[j], which[j]
		isDomain := first <= v.reg
		var key, what string
		label := -1
		if isDomain {
			key = strings.Join(v.skel[first:], ".")
			what = strings.Join(v.n.UnicodeLabels[first:], ".")
		} else {
			key, what, label = v.skel[v.reg], v.n.UnicodeLabels[v.reg], v.reg
		}
		start := len(found)
		ascii := v.n.Labels[v.reg]
		if isDomain {
			ascii = strings.Join(v.n.Labels[first:], ".")
		}
		ix.exact.scan(hash, func(c int) {
			id := ix.homOwner(c)
			h := ix.homAt(id, c)
			if h.exactKey != uint32(hash>>32) || h.isDomain != isDomain {
				return
			}
			k := slices.IndexFunc(found[start:], func(f finding) bool { return f.asset == id })
			exact := h.value == what || h.value == ascii
			if k >= 0 && (!exact || found[start+k].matched.Value == what || found[start+k].matched.Value == ascii) {
				return // one hit per asset, the listed value spelt as the name if there is one
			}
			if homSkeleton(h) != key {
				return
			}
			f := finding{asset: id, rule: "homograph", label: label,
				detail:  fmt.Sprintf("%s is the listed homograph %s", what, h.value),
				matched: Matched{Kind: "homograph", Value: h.value, Similarity: 1}}
			if k >= 0 {
				found[start+k] = f
			} else {
				found = append(found, f)
			}
		})
	}
	return found
}

// homSkeleton recomputes a listed value's skeleton, for verifying an exact-index hit.
func homSkeleton(h *hom) string {
	n, err := names.Parse(h.value)
	if err != nil {
		return ""
	}
	return skeletonName(n.UnicodeLabels)
}

// findLabel runs the per-label rules on label i: asset label as a label, skeleton equality,
// typo distance, the XSOAR similarity and containment.
func (ix *Index) findLabel(v *view, i int, found []finding) []finding {
	n := &v.n
	label, uni, flat := n.Labels[i], n.UnicodeLabels[i], v.flat[i]
	var same []int32
	if l := len(v.flatSk[i]); l < len(ix.skelLens) && ix.skelLens[l] {
		same = ix.brandSkel[v.flatSk[i]]
	}
	for _, id := range same {
		a := &ix.assets[id]
		f := finding{asset: int(id), label: i, matched: Matched{Value: a.label, Similarity: 1}}
		switch {
		case label == a.label && i == v.reg:
			f.rule, f.matched.Kind = "brand-tld", "typo"
			f.detail = fmt.Sprintf("TLD swap .%s→.%s: %s is the label of %s", a.suffix, n.PublicSuffix, n.RegisteredDomain, a.domain)
		case label == a.label || flat == a.flat && i < v.reg:
			f.rule, f.matched.Kind = "subdomain-label", "subdomain"
			f.detail = fmt.Sprintf("subdomain trick: label %q is the label of %s, under %s", label, a.domain, n.RegisteredDomain)
		case flat == a.flat:
			f.rule, f.matched.Kind = "typo", "typo"
			f.detail = fmt.Sprintf("hyphenation: label %q is %s with hyphens added", label, a.label)
		default:
			f.rule, f.matched.Kind = "confusable", "confusable"
			f.detail = fmt.Sprintf("label %q looks like %s: %s", uni, a.label, lookalikes(uni, a.labelUnicode))
		}
		found = append(found, f)
	}
	dels := labelKeys{s: label, n: -1}
	uniDels := &dels // the same keys, unless the label is an IDN
	if uni != label {
		uniDels = &labelKeys{s: uni, n: -1}
	}
	if i == v.reg || ix.labels == nil || ix.labels.Domains(label) < CommonLabel {
		// a host label thousands of unrelated domains use is no typo of anything
		found = ix.findTypos(v, i, &dels, uniDels, found)
	}
	if i == v.reg {
		found = ix.findSimilarHomographs(v, i, &dels, uniDels, found)
	}
	return ix.findContained(v, i, found)
}

// labelKeys are a label's deletion hashes (appendDeletions), made when first needed: many
// labels are ruled out by cheaper tests first.
type labelKeys struct {
	s   string
	n   int // -1 until made
	buf [64]uint64
}

func (k *labelKeys) all(hs hasher) []uint64 {
	if k.n < 0 {
		k.n = len(hs.appendDeletions(k.buf[:0], k.s))
	}
	return k.buf[:k.n]
}

// whole is the hash of the label itself, the first of all.
func (k *labelKeys) whole(hs hasher) uint64 {
	if k.n > 0 {
		return k.buf[0]
	}
	return hs.str(kindDeletion, k.s)
}

// hasCandidates reports whether any label rule could consider an asset for the plain ASCII
// label l, in any position: the context-free first step of every rule in findLabel and of the
// listed-label check.
func (ix *Index) hasCandidates(l string) bool {
	sk := names.Skeleton(l)
	if len(ix.brandSkel[sk]) > 0 {
		return true
	}
	if ix.contain != nil && ix.contain.IsMatch([]byte(sk)) {
		return true
	}
	hit := false
	note := func(int) { hit = true }
	ix.exact.each(ix.hash.str(kindLabelSkel, sk), note)
	for _, probe := range []struct {
		p    *postings
		kind byte
		s    string
	}{{&ix.brandFuzzy, kindDeletion, l}, {&ix.brandFuzzy, kindDeletion, sk}, {&ix.homFuzzy, kindDeletion, l}} {
		ix.hash.deletions(probe.kind, probe.s, 1, func(k uint64) { probe.p.each(k, note) })
	}
	return hit
}

// findTypos: Damerau distance within a cap that grows with the asset label's length, on the
// label, the label without hyphens and each hyphen-separated token; and the XSOAR similarity
// against the asset's label.
//
// dels and uniDels are the label's and its Unicode form's deletion hashes (appendDeletions).
func (ix *Index) findTypos(v *view, i int, dels, uniDels *labelKeys, found []finding) []finding {
	n := &v.n
	label, uni := n.Labels[i], n.UnicodeLabels[i]
	if len(label) < 3 || runeLen(uni) > ix.maxBrandRunes+2 && !strings.Contains(label, "-") {
		return found // no asset label is within reach
	}
	variants := []string{label}
	if v.flat[i] != label {
		variants = append(variants, v.flat[i])
		for tok := range strings.SplitSeq(label, "-") {
			if len(tok) >= 3 {
				variants = append(variants, tok)
			}
		}
	}
	if uni != label {
		variants = append(variants, uni)
	}
	var seen [8]int
	cands := seen[:0]
	note := func(id int) {
		if !slices.Contains(cands, id) {
			cands = append(cands, id)
		}
	}
	// asset labels are indexed with up to two deletions, the label with one: three edits
	const reach = 3
	if ix.brandPairs.mayReach(label, reach) {
		ix.brandFuzzy.eachOf(dels.all(ix.hash), note)
	}
	if uni != label {
		ix.brandFuzzy.eachOf(uniDels.all(ix.hash), note)
	}
	more := func(s string) {
		if ix.brandPairs.mayReach(s, reach) {
			k := labelKeys{s: s, n: -1}
			ix.brandFuzzy.eachOf(k.all(ix.hash), note)
		}
	}
	for _, variant := range variants[1:] {
		if variant != uni {
			more(variant)
		}
	}
	// an IDN label read as plain Latin ("deutsche-danḳ" as "deutsche-dank"): the foreign
	// letters are already a disguise, so one more edit is allowed
	folded := ""
	if uni != label {
		if f, ok := names.Fold(uni); ok && f != uni && !commonWord(withoutHyphens(f)) {
			folded = withoutHyphens(f)
			// two deletions: the extra edit must be within reach of the asset index
			ix.hash.deletions(kindDeletion, folded, 2, func(k uint64) { ix.brandFuzzy.each(k, note) })
		}
	}
	if v.flatSk[i] != label {
		more(v.flatSk[i])
	}
	var wordBuf [8]bool
	isWord := wordBuf[:0] // commonWord of each variant, once some asset is within reach
	if len(cands) > 0 {
		for _, variant := range variants {
			isWord = append(isWord, commonWord(variant))
		}
	}
	for _, id := range cands {
		a := &ix.assets[id]
		limit := 1
		if a.runes > 8 {
			limit = 2
		}
		best := limit + 1
		bestVariant := ""
		followed := i < v.reg && followedBySuffix(n.Labels[i+1:], a.suffixLabels)
		for k, variant := range variants {
			if isWord[k] && !followed && trimDigits(variant) != a.label {
				continue // "black" is not a typo of slack, nor "app1" of apple
			}
			for _, target := range uniq(a.label, a.flat) {
				if d := osaDistance(variant, target, limit); d > 0 && d < best {
					best, bestVariant = d, variant
				}
			}
		}
		if best > limit && (a.runes > shortTypoBrand || a.runes == shortTypoBrand && disguised(label)) {
			// lookalike letters and typos together ("natiorwidc"): compare the skeletons
			if d := osaDistance(v.flatSk[i], a.skel, limit); d > 0 && d <= limit {
				best, bestVariant = d, label
			}
		}
		if best > 1 && a.runes <= shortTypoBrand && uni != label && ix.idnNearShort(v.skel[i], a) {
			best, bestVariant = 1, uni
		}
		if best > limit && folded != "" {
			if d := osaDistance(folded, a.flat, limit+1); d <= limit+1 {
				found = append(found, finding{asset: id, rule: "typo", label: i,
					detail: fmt.Sprintf("IDN label %q (%s) reads as %q, a typo of %s: %s",
						uni, homoglyphs(uni), folded, a.label, describeEdit(folded, a.flat)),
					matched: Matched{Kind: "confusable", Value: a.label,
						Similarity: 1 - float64(d)/float64(max(len(folded), a.runes))}})
				continue
			}
		}
		if best <= limit {
			if f, ok := ix.typoFinding(v, i, a, bestVariant, best); ok {
				f.asset = id
				found = append(found, f)
			}
		}
		pairs := [][2]string{{label, a.label}, {uni, a.labelUnicode}}
		if uni == label && a.labelUnicode == a.label {
			pairs = pairs[:1]
		}
		for _, pair := range pairs {
			if commonWord(pair[0]) {
				continue
			}
			m := max(runeLen(pair[0]), runeLen(pair[1]))
			if s := similarity(pair[0], pair[1], maxDistanceFor(m, ix.threshold)); s > ix.threshold && s < 1 {
				found = append(found, finding{asset: id, rule: "levenshtein", label: i,
					detail: fmt.Sprintf("label %q is %.2f similar to %s (threshold %.2f): %s",
						pair[0], s, pair[1], ix.threshold, describeEdit(pair[0], pair[1])),
					matched: Matched{Kind: "levenshtein", Value: a.label, Similarity: s}})
				break
			}
		}
	}
	return found
}

// typoFinding rates an edit-distance match. Distance one from a label of five or more letters
// is a typo; distance two (labels of nine or more) is weaker. A short label (2-4 letters) is one
// edit away from many honest names, so it needs a plausible edit (typoKind) and either the
// asset's own suffix on the registered label or the asset's suffix right after the label.
func (ix *Index) typoFinding(v *view, i int, a *asset, variant string, d int) (finding, bool) {
	edit := describeEdit(variant, a.label)
	f := finding{rule: "typo", label: i,
		detail: fmt.Sprintf("%q is a typo of %s: %s", variant, a.label, edit),
		matched: Matched{Kind: "typo", Value: a.label,
			Similarity: 1 - float64(d)/float64(max(runeLen(variant), a.runes))}}
	if d == 2 {
		f.rule = "typo-2"
	}
	if a.runes > shortTypoBrand {
		return f, true
	}
	// from here d is 1: two edits are allowed only from nine letters (findTypos)
	if !isASCIIString(variant) {
		// an IDN label one edit from a short brand ("ebay" plus a Cyrillic letter): honest
		// names rarely put one foreign letter next to a brand, attackers do
		f.detail = fmt.Sprintf("IDN label %q is one edit from %s: %s", variant, a.label, edit)
		return f, true
	}
	if a.runes == shortTypoBrand {
		if i == v.reg && (variant == v.n.Labels[i] || variant == v.flat[i] || variant == v.n.UnicodeLabels[i]) {
			return f, true // the registered label itself: where typosquats are registered
		}
		if i < v.reg && followedBySuffix(v.n.Labels[i+1:], a.suffixLabels) {
			return f, true // "mnzo.com-tax.com"
		}
		return f, typoKind(variant, a.label) != "" && v.phishy(a)
	}
	kind := typoKind(variant, a.label)
	if kind == "" {
		kind = typoKind(variant, a.flat)
	}
	sameSuffix := i == v.reg && v.n.PublicSuffix == a.suffix
	followed := i < v.reg && followedBySuffix(v.n.Labels[i+1:], a.suffixLabels)
	token := variant != v.n.Labels[i] && variant != v.flat[i]
	if token {
		// a typo among hyphenated words counts only when the other words are affix words
		// ("uspss-verify"), not in any hyphenated name ("microsoft-int")
		rest := strings.Replace(v.n.Labels[i], variant, "", 1)
		if ok, words := ix.affix.segments(names.Skeleton(rest), ix.suffixWords); !ok || words == 0 {
			return f, false
		}
	}
	corroborated := i < v.reg && v.phishy(a)
	if kind == "" || !sameSuffix && !followed && !token && !corroborated {
		return f, false
	}
	f.rule = "typo-short"
	return f, true
}

// idnNearShort reports an IDN label whose skeleton is one edit from a short asset label's.
func (ix *Index) idnNearShort(skel string, a *asset) bool {
	return osaDistance(strings.ReplaceAll(skel, "-", ""), a.skel, 1) == 1
}

// lookalikes names the letters of label that stand in for the brand's: "homoglyph U+0430 for
// a", `"0" for "o"`. The two have the same skeleton.
func lookalikes(label, brand string) string {
	a, b := []rune(label), []rune(strings.ReplaceAll(brand, "-", ""))
	a = slices.DeleteFunc(a, func(r rune) bool { return r == '-' })
	var parts []string
	if len(a) == len(b) {
		for k := range a {
			if a[k] == b[k] || len(parts) == 3 {
				continue
			}
			if a[k] >= 0x80 {
				parts = append(parts, fmt.Sprintf("homoglyph %U for %q", a[k], string(b[k])))
			} else {
				parts = append(parts, fmt.Sprintf("%q for %q", string(a[k]), string(b[k])))
			}
		}
	}
	if len(parts) == 0 {
		if h := homoglyphs(label); h != "" {
			return h
		}
		return "lookalike letters (same skeleton)"
	}
	return strings.Join(parts, ", ")
}

// describeCombo says what surrounds the brand in a combosquat: `brand + keyword "login"`, or
// `brand glued to "xyz"`.
func (ix *Index) describeCombo(a *asset, left, right string) string {
	var kw, other []string
	for _, side := range []string{left, right} {
		for tok := range strings.FieldsFuncSeq(side, func(r rune) bool { return r == '-' || r >= '0' && r <= '9' }) {
			if phishingKeywords[tok] || ix.affix.words[names.Skeleton(tok)] {
				kw = append(kw, fmt.Sprintf("%q", tok))
			} else {
				other = append(other, fmt.Sprintf("%q", tok))
			}
		}
	}
	switch {
	case len(kw) > 0 && len(other) == 0:
		return fmt.Sprintf("brand %s + keyword %s", a.label, strings.Join(kw, ", "))
	case len(kw) > 0:
		return fmt.Sprintf("brand %s + keyword %s and %s", a.label, strings.Join(kw, ", "), strings.Join(other, ", "))
	case len(other) > 0:
		return fmt.Sprintf("brand %s combined with %s", a.label, strings.Join(other, ", "))
	}
	return fmt.Sprintf("brand %s with digits or hyphens", a.label)
}

// homoglyphs names the non-ASCII letters of an IDN label and the letters they pass for:
// "homoglyph U+0430 for a".
func homoglyphs(uni string) string {
	var parts []string
	for _, r := range uni {
		if r < 0x80 || len(parts) == 3 {
			continue
		}
		part := fmt.Sprintf("homoglyph %U", r)
		if f, ok := names.Fold(string(r)); ok && f != "" {
			part += " for " + f
		} else if sk := names.Skeleton(string(r)); isASCIIString(sk) {
			part += " for " + sk
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// disguised reports a label that spells letters with digits or non-ASCII lookalikes, on
// purpose: "s1aclk", not "appier".
func disguised(label string) bool {
	return strings.ContainsAny(label, "0123456789") || strings.HasPrefix(label, "xn--")
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// findSimilarHomographs is the XSOAR rule against listed homographs: the deletion neighbourhood
// index yields the homographs within one edit of the label, and only those are compared.
func (ix *Index) findSimilarHomographs(v *view, i int, dels, uniDels *labelKeys, found []finding) []finding {
	if len(ix.homFuzzy.entries) == 0 {
		return found
	}
	label, uni := v.n.Labels[i], v.n.UnicodeLabels[i]
	ul := runeLen(uni)
	if ul < 4 || ul > ix.maxHomRunes+maxDistanceFor(ul, ix.threshold) || commonWord(label) {
		return found
	}
	var bearing [4]int32
	brands := bearing[:0] // the assets this label carries (brandBearing), compared against

	// one edit or more needs labels long enough for 1/len < 1-threshold; shorter ones can only
	// be equal, which the undeleted key finds
	radius := 0
	if maxDistanceFor(max(ul, ix.maxHomRunes), ix.threshold) > 0 && ul+1 > int(1/(1-ix.threshold)) {
		radius = 1
	}
	// labels short enough that only one edit counts: the part keys rule most out at once
	if maxDistanceFor(ul+1, ix.threshold) <= 1 && !ix.hash.mayBeNearHalves(&ix.homHalves, label, ix.threshold) &&
		(uni == label || !ix.hash.mayBeNearHalves(&ix.homHalves, uni, ix.threshold)) {
		return found
	}
	start := len(found) // one finding per asset
	var seen [16]int32
	checked := seen[:0] // homographs compared already, while few
	verify := func(c int) {
		if len(checked) < cap(checked) {
			if slices.Contains(checked, int32(c)) {
				return
			}
			checked = append(checked, int32(c))
		}
		id := ix.homOwner(c)
		if slices.Contains(brands, int32(-id-1)) {
			return
		}
		if !slices.Contains(brands, int32(id)) {
			if !ix.brandBearing(v, i, &ix.assets[id]) {
				brands = append(brands, int32(-id-1)) // -id-1: checked, does not carry it
				return
			}
			brands = append(brands, int32(id))
		}
		h := ix.homAt(id, c)
		limit := maxDistanceFor(max(ul, int(h.runes)), ix.threshold)
		hl, hu := h.label(), h.labelUnicode()
		s := similarity(label, hl, limit)
		if s <= ix.threshold && (uni != label || hu != hl) {
			s = similarity(uni, hu, limit)
		}
		if s <= ix.threshold {
			return
		}
		f := finding{asset: id, rule: "homograph-similar", label: i,
			detail: fmt.Sprintf("label %q is %.2f similar to the listed homograph %s (threshold %.2f): %s",
				uni, s, h.value, ix.threshold, describeEdit(uni, hu)),
			matched: Matched{Kind: "levenshtein", Value: h.value, Similarity: s}}
		// the closest listed value names the hit
		if k := slices.IndexFunc(found[start:], func(f finding) bool { return f.asset == id }); k < 0 {
			found = append(found, f)
		} else if s > found[start+k].matched.Similarity {
			found[start+k] = f
		}
	}
	probe := func(k *labelKeys) {
		if radius == 0 {
			one := [1]uint64{k.whole(ix.hash)}
			ix.homFuzzy.eachOf(one[:], verify)
			return
		}
		ix.homFuzzy.eachOf(k.all(ix.hash), verify)
	}
	if ix.homPairs.mayReach(label, 2) { // one deletion on each side: two edits
		probe(dels)
	}
	if uni != label {
		probe(uniDels)
	}
	return found
}

// brandBearing reports whether label i still carries asset a's brand: its skeleton holds the
// brand's, or it or one of its hyphen-separated words (of four or more letters, not an ordinary
// word) is within two edits of it (three for labels of nine or more). Similarity to a listed combosquat ("ato-services") must come
// from the brand, not from the keyword the two share ("at-services").
func (ix *Index) brandBearing(v *view, i int, a *asset) bool {
	if strings.Contains(v.flatSk[i], a.skel) {
		return true
	}
	limit := 2 // one edit to the listed value, one from it to the brand
	if a.runes > 8 {
		limit = 3
	}
	for _, tok := range append([]string{v.flatSk[i]}, strings.Split(v.skel[i], "-")...) {
		if len(tok) >= 4 && !commonWord(tok) && osaDistance(tok, a.skel, limit) <= limit {
			return true
		}
	}
	return false
}

// findContained: the asset's label (in skeleton form, so lookalike letters count) inside a longer
// label. Containment alone is weak ("apple" in "pineapple"); what makes it a combosquat is
// evidence at both ends: the label's edge, a hyphen or digit, or a remainder made of affix words.
func (ix *Index) findContained(v *view, i int, found []finding) []finding {
	if ix.contain == nil {
		return found
	}
	before := len(found)
	found = ix.findContainedIn(v, i, v.skel[i], v.n.UnicodeLabels[i], false, found, before)
	if v.flatSk[i] != v.skel[i] {
		// hyphens inside the asset label ("wh-atsapp-bonus") hide it from the first pass
		found = ix.findContainedIn(v, i, v.flatSk[i], strings.ReplaceAll(v.n.UnicodeLabels[i], "-", ""), true, found, before)
	}
	return found
}

func (ix *Index) findContainedIn(v *view, i int, sk, orig string, flat bool, found []finding, before int) []finding {
	for _, m := range ix.contain.FindAllOverlapping([]byte(sk)) {
		if m.Start == 0 && m.End == len(sk) {
			continue // the whole label: skeleton equality handles it
		}
		id := int(ix.containOf[m.PatternID])
		if slices.ContainsFunc(found[before:], func(f finding) bool { return f.asset == id }) {
			continue
		}
		a := &ix.assets[id]
		left, right := sk[:m.Start], sk[m.End:]
		oLeft, oRight := origSides(orig, left, right)
		if flat && len(oLeft) <= len(orig)-len(oRight) &&
			strings.Contains(v.n.UnicodeLabels[i], orig[len(oLeft):len(orig)-len(oRight)]) {
			continue // not split by a hyphen: the first pass judged it, word by word
		}
		if inWord(orig, len(oLeft), len(orig)-len(oRight)) {
			continue // "slackline", "boxershorts", "chimes": the brand inside an ordinary word
		}
		lEdge, lSep, lWords := ix.side(left, oLeft, true)
		rEdge, rSep, rWords := ix.side(right, oRight, false)
		lOK, rOK := lEdge || lSep || lWords, rEdge || rSep || rWords
		words := lWords && left != "" || rWords && right != ""
		rule := ""
		token := (lEdge || left[len(left)-1] == '-') && (rEdge || right[0] == '-')
		switch {
		case token && (a.runes > shortBrand || i == v.reg):
			// the asset label as a whole hyphen-separated word of the label ("dhl-parcel",
			// "renew-ebay-account"): whatever the other words are, a word equal to the
			// brand is how combosquats are spelt; honest names hold it inside words
			rule = "combosquat"
		case a.runes >= distinctiveBrand && gluedWord(oLeft, oRight, a.runes, a.word, lEdge, lSep, rEdge, rSep):
			rule = "combosquat"
		case a.runes <= shortBrand:
			// Short labels end many words (groups, sandbox, accounting): text glued on
			// the left counts only before a four-letter label, and some affix word must
			// be there; glued on both sides, a generic web word (line, book, go) is not
			// enough (skyline, inbox-style words).
			if !lSep && !rSep && words {
				lw, rw := ix.wordsOf(&ix.strongAffix, left), ix.wordsOf(&ix.strongAffix, right)
				words = lw && left != "" || rw && right != ""
				lWords, rWords = lWords && (lw || left == ""), rWords && (rw || right == "")
				rOK = rEdge || rSep || rWords
			}
			if (lEdge || lSep || lWords && a.runes == shortBrand) && rOK && words {
				rule = "combosquat"
			} else if rEdge && lWords && !lSep && ix.longWordsOnly(left) {
				// a shorter label at the end, after phishing words of four or more
				// letters ("verifybox", "updateato"); ordinary words ending in it
				// ("mailbox", "documenting") were ruled out by inWord
				rule = "combosquat"
			} else if (lEdge || lSep) && rOK && (lSep || rSep) {
				rule = "combosquat-weak"
			}
		case lOK && rOK:
			rule = "combosquat"
		case (lOK || rOK) && a.runes >= longBrand && !wordEnding(oRight, rOK):
			rule = "combosquat"
		case (lOK || rOK) && a.runes >= 6, a.runes >= 10:
			rule = "combosquat-weak"
		}
		if rule == "" {
			continue
		}
		found = append(found, finding{asset: id, rule: rule, label: i,
			detail:  fmt.Sprintf("label %q: %s", v.n.UnicodeLabels[i], ix.describeCombo(a, oLeft, oRight)),
			matched: Matched{Kind: "combosquat", Value: a.label, Similarity: float64(a.runes) / float64(max(runeLen(v.flatSk[i]), 1))}})
	}
	return found
}

// distinctiveBrand is the shortest asset label that, glued to an unknown word at the start or
// end of a label, makes a combosquat: few English words hold a six-letter brand, and those
// that do mostly extend it by a suffix (discord-ant, amazon-ian), which wordEnding catches.
const distinctiveBrand = 6

// longBrand is the shortest asset label that one boundary alone (or a word glued before it)
// makes a combosquat of.
const longBrand = 8

// gluedWord reports a distinctive asset label at one end of the label (or next to a hyphen or
// digit) with a run of at least four other letters glued to the other end, or between two such
// runs: the combosquat shape whatever the words are, since attackers' vocabulary is
// open-ended ("renewal", "giveaway"). Runs that start with an English suffix (brand+"er"+...) or that are a bare
// English prefix (un-, re-, dis-...) are how dictionary words contain a brand, and do not count.
func gluedWord(left, right string, runes int, brandIsWord, lEdge, lSep, rEdge, rSep bool) bool {
	lRun, rRun := letterRun(left, true), letterRun(right, false)
	lGlued := len(lRun) >= 4 && !englishPrefixes[lRun]
	rGlued := len(rRun) >= 4 && !wordEnding(right, false)
	// compounds put the head word last (home-office, learnin-office): a word glued in front
	// counts only before a long label, or a brand that is no word of its own (lottery-revolut)
	return (lEdge || lSep) && rGlued || (rEdge || rSep) && lGlued && (runes >= longBrand || !brandIsWord) || lGlued && rGlued
}

// origSides maps the skeleton text left and right of a match back to the label's own letters
// (the skeleton folds i to l, d to cl, ...: "airdrop" must not read as "al"+...), when the label
// is plain ASCII, where each letter folds on its own; otherwise it returns the skeleton sides.
func origSides(orig, left, right string) (string, string) {
	if !isASCIIString(orig) {
		return left, right
	}
	n := 0
	i := 0
	for i < len(orig) && n < len(left) {
		n += len(names.Skeleton(orig[i : i+1]))
		i++
	}
	m := 0
	j := len(orig)
	for j > i && m < len(right) {
		m += len(names.Skeleton(orig[j-1 : j]))
		j--
	}
	if n != len(left) || m != len(right) {
		return left, right
	}
	return orig[:i], orig[j:]
}

// letterRun is the letters of s next to the asset label: its tail when left, its head otherwise,
// up to a hyphen or digit.
func letterRun(s string, left bool) string {
	if left {
		i := len(s)
		for i > 0 && s[i-1] >= 'a' && s[i-1] <= 'z' {
			i--
		}
		return s[i:]
	}
	i := 0
	for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	return s[:i]
}

// wordEnding reports whether the text right of an asset label starts with an English suffix
// that turns the label into a longer word ("slack"+"er", "discord"+"ant"); ok says the text
// is already known to be affix words or a boundary, which wins.
func wordEnding(right string, ok bool) bool {
	if ok || right == "" {
		return false
	}
	run := letterRun(right, false)
	if slices.Contains(englishSuffixes, run) {
		return true
	}
	for _, suf := range englishSuffixes { // two suffixes: "googl"+"y"+"ness"
		if r, ok := strings.CutPrefix(run, suf); ok && slices.Contains(englishSuffixes, r) {
			return true
		}
	}
	return false
}

// englishSuffixes are common inflectional and derivational suffixes, longest first.
var englishSuffixes = func() []string {
	var out []string
	for _, s := range strings.Fields(`s es ed er ers ing ian ians ant ants ance ence ent ents ery
		ry y ies ly ness ment ments ist ists ism ite ic ical able ible ful less ous ish ize ise ised
		ized ion ions ation ative ive ity ure ette eer`) {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}()

// englishPrefixes are common English prefixes: a brand glued after one of
// them alone reads as a derived word ("undiscovered"), not a combosquat.
var englishPrefixes = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Fields(`anti auto counter extra hyper inter micro multi over post
		semi super trans ultra under self mega mini`) {
		m[s] = true
	}
	return m
}()

// side classifies the text beside a contained asset label: the label's edge, a hyphen or digit
// next to it, or a run of affix words (digits and hyphens allowed between them).
// wordsOf reports whether s is non-empty and segments into words of ai.
func (ix *Index) wordsOf(ai *affixIndex, s string) bool {
	if s == "" {
		return false
	}
	ok, nw := ai.segments(s, ix.suffixWords)
	return ok && nw > 0
}

// longWordsOnly reports whether s splits into strong affix words of four or more letters.
func (ix *Index) longWordsOnly(s string) bool {
	for i := 0; i < len(s); {
		j := len(s)
		for ; j >= i+4; j-- {
			if ix.strongAffix.words[s[i:j]] {
				break
			}
		}
		if j < i+4 {
			return false
		}
		i = j
	}
	return s != ""
}

func (ix *Index) side(s, orig string, left bool) (edge, sep, words bool) {
	if s == "" {
		return true, false, false
	}
	if orig == "" {
		orig = s
	}
	c := orig[0]
	if left {
		c = orig[len(orig)-1]
	}
	sep = c == '-' || c >= '0' && c <= '9'
	ok, nw := ix.affix.segments(s, ix.suffixWords)
	return false, sep, ok && nw > 0
}

// inWord reports whether the brand at label[start:end] lies inside an ordinary word of the
// hyphen-separated token around it: the token (digits at its ends aside) is a longer word
// ("chimes", "boxer"), or a common word (lexicon.IsCommon) at least two letters longer than
// the brand covers it and the rest of the token is a common word too ("boxer"+"shorts",
// "pineapple"+"juice"; pieces of four or more letters, one of six or more). Attackers glue
// words to a brand; languages grow words around it.
func inWord(label string, start, end int) bool {
	if !isASCIIString(label) || start < 0 || end > len(label) || start >= end {
		return false
	}
	ts, te := start, end
	for ts > 0 && label[ts-1] != '-' {
		ts--
	}
	for te < len(label) && label[te] != '-' {
		te++
	}
	for ts < start && isDigitByte(label[ts]) {
		ts++
	}
	for te > end && isDigitByte(label[te-1]) {
		te--
	}
	tok := label[ts:te]
	start, end = start-ts, end-ts
	if len(tok) > end-start && lexicon.IsWord(tok) {
		return true
	}
	for s := 0; s <= start; s++ {
		for e := end; e <= len(tok); e++ {
			if (s == 0) == (e == len(tok)) || e-s < end-start+2 {
				continue // exactly one end of the token, and a longer word
			}
			rest := tok[:s] + tok[e:]
			if r := len(trimDigits(rest)); r < 4 || max(r, e-s) < 6 {
				continue // short pieces are words somewhere far too often ("parc"+"elato")
			}
			if lexicon.IsCommon(trimDigits(rest)) && lexicon.IsCommon(tok[s:e]) {
				return true
			}
		}
	}
	return false
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// findSplit: the asset label split by a dot across two labels ("pay.pal.com").
func (ix *Index) findSplit(v *view, found []finding) []finding {
	var buf [128]byte
	for i := 0; i < v.reg; i++ {
		l := len(v.flatSk[i]) + len(v.flatSk[i+1])
		if l >= len(buf) || l >= len(ix.skelLens) || !ix.skelLens[l] {
			continue
		}
		joined := append(append(buf[:0], v.flatSk[i]...), v.flatSk[i+1]...)
		for _, id := range ix.brandSkel[string(joined)] {
			a := &ix.assets[id]
			found = append(found, finding{asset: int(id), rule: "split-brand", label: i + 1,
				detail:  fmt.Sprintf("subdomain trick: labels %q and %q spell %s", v.n.Labels[i], v.n.Labels[i+1], a.label),
				matched: Matched{Kind: "subdomain", Value: a.label, Similarity: 1}})
		}
	}
	return found
}

// findSubdomain: the asset's full domain used as labels of another name ("paypal.com.evil.xyz",
// "login-paypal.com-secure.info").
func (ix *Index) findSubdomain(v *view, found []finding) []finding {
	if ix.domains == nil {
		return found
	}
	s := v.n.ASCII
	for _, m := range ix.domains.FindAllOverlapping([]byte(s)) {
		if m.Start > 0 && s[m.Start-1] != '.' && s[m.Start-1] != '-' {
			continue
		}
		if m.End >= len(s) || s[m.End] != '.' && s[m.End] != '-' {
			continue
		}
		id := int(ix.domainOf[m.PatternID])
		a := &ix.assets[id]
		found = append(found, finding{asset: id, rule: "subdomain", label: -1,
			detail:  fmt.Sprintf("subdomain trick: %s used as labels of %s", a.domain, v.n.RegisteredDomain),
			matched: Matched{Kind: "subdomain", Value: a.domain, Similarity: 1}})
	}
	return found
}
