package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/names"
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

// Evaluate returns the best alert for name, or, when none fired, a zero-score Alert with the
// domain fields filled in (for printing one verdict per input name).
func (ix *Index) Evaluate(name string) Alert {
	n, err := names.Parse(name)
	if err != nil {
		return Alert{Domain: name, Severity: severity(0), Reasons: []Reason{}}
	}
	if alerts := ix.check(n); len(alerts) > 0 {
		return alerts[0]
	}
	return Alert{Domain: n.ASCII, DomainUnicode: n.Unicode, RegisteredDomain: n.RegisteredDomain,
		Severity: severity(0), Reasons: []Reason{}}
}

func (ix *Index) check(n names.Name) []Alert {
	for s := n.ASCII; ; {
		if ix.protected[s] {
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
		v.skel = make([]string, len(n.Labels))
		v.flat = make([]string, len(n.Labels))
		v.flatSk = make([]string, len(n.Labels))
		for i, u := range n.UnicodeLabels {
			v.skel[i] = names.Skeleton(u)
			v.flat[i] = strings.ReplaceAll(n.Labels[i], "-", "")
			v.flatSk[i] = strings.ReplaceAll(v.skel[i], "-", "")
			if i <= v.reg && u != n.Labels[i] {
				v.hasPuny = true
				v.mixed = v.mixed || names.MixedScript(u)
			}
		}
		found = ix.findListed(&v, found)
		for i := 0; i <= v.reg; i++ {
			if !ix.quiet[n.Labels[i]] {
				found = ix.findLabel(&v, i, found)
			}
		}
		found = ix.findSplit(&v, found)
		found = ix.findSubdomain(&v, found)
	}
	alerts := ix.score(&v, found)
	return ix.addIntel(n, alerts)
}

// findListed: the name, its registered domain or a label equals a listed homograph.
func (ix *Index) findListed(v *view, found []finding) []finding {
	regSkel := strings.Join(v.skel[v.reg:], ".")
	fullSkel := strings.Join(v.skel, ".")
	check := func(kind byte, key string, label int) {
		hash := ix.hash.str(kind, key)
		ix.exact.each(hash, func(id int) {
			for hi := range ix.assets[id].homs {
				h := &ix.assets[id].homs[hi]
				if h.exactKey != uint32(hash>>32) || h.isDomain != (kind == kindValueSkel) || homSkeleton(h) != key {
					continue
				}
				found = append(found, finding{asset: id, rule: "homograph", label: label,
					detail:  fmt.Sprintf("%s matches the listed homograph %s", key, h.value),
					matched: Matched{Kind: "homograph", Value: h.value, Similarity: 1}})
				return
			}
		})
	}
	for _, d := range uniq(fullSkel, regSkel) {
		check(kindValueSkel, d, -1)
	}
	for i := 0; i <= v.reg; i++ {
		if !ix.quiet[v.n.Labels[i]] {
			check(kindLabelSkel, v.skel[i], i)
		}
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
	for _, id := range ix.brandSkel[v.flatSk[i]] {
		a := &ix.assets[id]
		f := finding{asset: int(id), label: i, matched: Matched{Value: a.label, Similarity: 1}}
		switch {
		case label == a.label && i == v.reg:
			f.rule, f.matched.Kind = "brand-tld", "levenshtein"
			f.detail = fmt.Sprintf("%s is the label of %s under another suffix", n.RegisteredDomain, a.domain)
		case label == a.label || flat == a.flat && i < v.reg:
			f.rule, f.matched.Kind = "subdomain-label", "subdomain"
			f.detail = fmt.Sprintf("label %q is the label of %s, left of %s", label, a.domain, n.RegisteredDomain)
		case flat == a.flat:
			f.rule, f.matched.Kind = "typo", "levenshtein"
			f.detail = fmt.Sprintf("label %q is %s with hyphens added", label, a.label)
		default:
			f.rule, f.matched.Kind = "confusable", "confusable"
			f.detail = fmt.Sprintf("label %q (%s) looks like %s (same skeleton %q)", label, uni, a.label, a.skel)
		}
		found = append(found, f)
	}
	var buf, ubuf [64]uint64
	dels := ix.hash.appendDeletions(buf[:0], label)
	uniDels := dels
	if uni != label {
		uniDels = ix.hash.appendDeletions(ubuf[:0], uni)
	}
	found = ix.findTypos(v, i, dels, uniDels, found)
	found = ix.findSimilarHomographs(v, i, dels, uniDels, found)
	return ix.findContained(v, i, found)
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
func (ix *Index) findTypos(v *view, i int, dels, uniDels []uint64, found []finding) []finding {
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
	collect := func(k uint64) {
		ix.brandFuzzy.each(k, func(id int) {
			if !slices.Contains(cands, id) {
				cands = append(cands, id)
			}
		})
	}
	// asset labels are indexed with up to two deletions, the label with one: three edits
	const reach = 3
	if ix.brandPairs.mayReach(label, reach) {
		for _, k := range dels {
			collect(k)
		}
	}
	if uni != label {
		for _, k := range uniDels {
			collect(k)
		}
	}
	for _, variant := range variants[1:] {
		if variant != uni && ix.brandPairs.mayReach(variant, reach) {
			ix.hash.deletions(kindDeletion, variant, 1, collect)
		}
	}
	if v.flatSk[i] != label && ix.brandPairs.mayReach(v.flatSk[i], reach) {
		ix.hash.deletions(kindDeletion, v.flatSk[i], 1, collect)
	}
	for _, id := range cands {
		a := &ix.assets[id]
		limit := 1
		if a.runes > 8 {
			limit = 2
		}
		best := limit + 1
		bestVariant := ""
		for _, variant := range variants {
			for _, target := range uniq(a.label, a.flat) {
				if d := osaDistance(variant, target, limit); d > 0 && d < best {
					best, bestVariant = d, variant
				}
			}
		}
		if best > limit && a.runes > shortBrand {
			// lookalike letters and typos together ("natiorwidc"): compare the skeletons
			if d := osaDistance(v.flatSk[i], a.skel, limit); d > 0 && d <= limit {
				best, bestVariant = d, label
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
			m := max(runeLen(pair[0]), runeLen(pair[1]))
			if s := similarity(pair[0], pair[1], maxDistanceFor(m, ix.threshold)); s > ix.threshold && s < 1 {
				found = append(found, finding{asset: id, rule: "levenshtein", label: i,
					detail:  fmt.Sprintf("label %q is %.2f similar to %s (threshold %.2f)", pair[0], s, pair[1], ix.threshold),
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
	f := finding{rule: "typo", label: i,
		detail: fmt.Sprintf("%q is %d edit(s) from %s", variant, d, a.label),
		matched: Matched{Kind: "levenshtein", Value: a.label,
			Similarity: 1 - float64(d)/float64(max(runeLen(variant), a.runes))}}
	if d == 2 {
		f.rule = "typo-2"
	}
	if a.runes > shortBrand {
		return f, true
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
	if kind == "" || !sameSuffix && !followed && !token {
		return f, false
	}
	f.rule = "typo-short"
	f.detail = fmt.Sprintf("%q is %s with a %s", variant, a.label, kind)
	return f, true
}

// findSimilarHomographs is the XSOAR rule against listed homographs: the deletion neighbourhood
// index yields the homographs within one edit of the label, and only those are compared.
func (ix *Index) findSimilarHomographs(v *view, i int, dels, uniDels []uint64, found []finding) []finding {
	if len(ix.homFuzzy.entries) == 0 {
		return found
	}
	label, uni := v.n.Labels[i], v.n.UnicodeLabels[i]
	ul := runeLen(uni)
	if ul > ix.maxHomRunes+maxDistanceFor(ul, ix.threshold) {
		return found
	}
	// one edit or more needs labels long enough for 1/len < 1-threshold; shorter ones can only
	// be equal, which the undeleted key finds
	radius := 0
	if maxDistanceFor(max(ul, ix.maxHomRunes), ix.threshold) > 0 && ul+1 > int(1/(1-ix.threshold)) {
		radius = 1
	}
	var seen [16]int
	cands := seen[:0]
	probe := func(keys []uint64) {
		if radius == 0 {
			keys = keys[:1] // the undeleted label comes first
		}
		for _, k := range keys {
			ix.homFuzzy.each(k, func(id int) {
				if !slices.Contains(cands, id) {
					cands = append(cands, id)
				}
			})
		}
	}
	if ix.homPairs.mayReach(label, 2) { // one deletion on each side: two edits
		probe(dels)
	}
	if uni != label {
		probe(uniDels)
	}
	start := len(found) // one finding per asset
	for _, c := range cands {
		ref := ix.homAsset[c]
		id := int(ref[0])
		if slices.ContainsFunc(found[start:], func(f finding) bool { return f.asset == id }) {
			continue
		}
		h := &ix.assets[id].homs[ref[1]]
		limit := maxDistanceFor(max(ul, int(h.runes)), ix.threshold)
		s := similarity(label, h.label, limit)
		if s <= ix.threshold && (uni != label || h.labelUnicode != h.label) {
			s = similarity(uni, h.labelUnicode, limit)
		}
		if s > ix.threshold {
			found = append(found, finding{asset: id, rule: "levenshtein", label: i,
				detail:  fmt.Sprintf("label %q is %.2f similar to the listed homograph %s (threshold %.2f)", uni, s, h.value, ix.threshold),
				matched: Matched{Kind: "levenshtein", Value: h.value, Similarity: s}})
		}
	}
	return found
}

// findContained: the asset's label (in skeleton form, so lookalike letters count) inside a longer
// label. Containment alone is weak ("apple" in "pineapple"); what makes it a combosquat is
// evidence at both ends: the label's edge, a hyphen or digit, or a remainder made of affix words.
func (ix *Index) findContained(v *view, i int, found []finding) []finding {
	if ix.contain == nil {
		return found
	}
	before := len(found)
	found = ix.findContainedIn(v, i, v.skel[i], found, before)
	if v.flatSk[i] != v.skel[i] {
		// hyphens inside the asset label ("wh-atsapp-bonus") hide it from the first pass
		found = ix.findContainedIn(v, i, v.flatSk[i], found, before)
	}
	return found
}

func (ix *Index) findContainedIn(v *view, i int, sk string, found []finding, before int) []finding {
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
		lEdge, lSep, lWords := ix.side(left, true)
		rEdge, rSep, rWords := ix.side(right, false)
		lOK, rOK := lEdge || lSep || lWords, rEdge || rSep || rWords
		words := lWords && left != "" || rWords && right != ""
		rule := ""
		switch {
		case a.runes <= shortBrand:
			// Short labels end many words (groups, sandbox, accounting): text glued on
			// the left counts only before a four-letter label, and some affix word must
			// be there.
			if (lEdge || lSep || lWords && a.runes == shortBrand) && rOK && words {
				rule = "combosquat"
			} else if (lEdge || lSep) && rOK && (lSep || rSep) {
				rule = "combosquat-weak"
			}
		case lOK && rOK:
			rule = "combosquat"
		case (lOK || rOK) && a.runes >= 8:
			rule = "combosquat"
		case (lOK || rOK) && a.runes >= 6, a.runes >= 10:
			rule = "combosquat-weak"
		}
		if rule == "" {
			continue
		}
		found = append(found, finding{asset: id, rule: rule, label: i,
			detail:  fmt.Sprintf("label %q contains %s", v.n.UnicodeLabels[i], a.label),
			matched: Matched{Kind: "combosquat", Value: a.label, Similarity: float64(a.runes) / float64(max(runeLen(v.flatSk[i]), 1))}})
	}
	return found
}

// side classifies the text beside a contained asset label: the label's edge, a hyphen or digit
// next to it, or a run of affix words (digits and hyphens allowed between them).
func (ix *Index) side(s string, left bool) (edge, sep, words bool) {
	if s == "" {
		return true, false, false
	}
	c := s[0]
	if left {
		c = s[len(s)-1]
	}
	sep = c == '-' || c >= '0' && c <= '9'
	ok, nw := ix.affix.segments(s, ix.suffixWords)
	return false, sep, ok && nw > 0
}

// findSplit: the asset label split by a dot across two labels ("pay.pal.com").
func (ix *Index) findSplit(v *view, found []finding) []finding {
	for i := 0; i < v.reg; i++ {
		joined := v.flatSk[i] + v.flatSk[i+1]
		for _, id := range ix.brandSkel[joined] {
			a := &ix.assets[id]
			found = append(found, finding{asset: int(id), rule: "split-brand", label: i + 1,
				detail:  fmt.Sprintf("labels %q and %q spell %s", v.n.Labels[i], v.n.Labels[i+1], a.label),
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
			detail:  fmt.Sprintf("%s is used as a subdomain of %s", a.domain, v.n.RegisteredDomain),
			matched: Matched{Kind: "subdomain", Value: a.domain, Similarity: 1}})
	}
	return found
}
