// Package detect decides whether a DNS name is a lookalike of a protected domain. An Index is
// built once per watchlist version (Build) and is then immutable and safe for concurrent use;
// the service swaps it atomically on reload. Check scores one name against every asset.
//
// # Rules and weights
//
// Each rule that fires adds a Reason with its points; the strongest asset rule gives its full
// weight, every further rule resting on another kind of evidence (a listed value, edits,
// containment, position) adds "corroborating" points once, context rules add small weights to
// alerts whose strongest rule has at least 50 points, and the sum is capped to 0..100; the
// reasons' points add up to the score. Default weights (rule name: points), each overridable
// through Options.Weights:
//
//	homograph         90  the name, a parent of it down to the registered domain, or the
//	                      registered label equals a listed homograph (any form); a listed
//	                      value that is an ordinary word or shorter than three letters (fox.com
//	                      generated for box.com) is no evidence of its own
//	confusable        85  a label's TR39+ASCII skeleton equals the asset label's (IDN homograph)
//	subdomain         80  the asset's full domain used as labels of another domain
//	split-brand       75  the asset label split by dots across labels (pay.pal.com)
//	brand-tld         70  the asset label as the registered label under another suffix
//	combosquat        70  the asset label (or its skeleton) inside a label, with evidence at both
//	                      ends: the label's edge, a hyphen or digit, or affix words (words.go);
//	                      or the label as a whole hyphen-separated word (a 2-4 letter label only
//	                      in the registered label: "dhl-parcel-redelivery"); or a label of 6+
//	                      letters with a run of 4+ other letters glued to it, whatever the word,
//	                      at the label's start or between two words, or glued in front of a label
//	                      of 8+ letters or one that is no common word (lottery+revolut, not
//	                      learnin+office), unless the run is an English suffix (discord-ant) or an
//	                      English prefix; never when the brand lies inside an ordinary word of
//	                      the lexicon ("slackline", "boxer"+"shorts")
//	subdomain-label   65  the asset label as a label left of another registered domain
//	typo              55  Damerau (OSA) distance 1 from an asset label of 6+ letters (of 5
//	                      letters: only as the registered label, before the asset's suffix, or
//	                      corroborated by a phishing word in the registered label, an abused TLD
//	                      or a machine-made registered domain), hyphens added, or an IDN label
//	                      whose plain Latin reading is within one more edit
//	levenshtein       55  XSOAR: similarity 1-lev/max(len) > threshold against the asset label
//	typo-short        55  a plausible typo (typoKind) of a 2-4 letter label under the asset's own
//	                      suffix, followed by it, beside affix words ("uspss-verify"), or
//	                      corroborated as for five letters
//	typo-2            55  Damerau distance 2 from an asset label of 9+ letters
//	homograph-similar 50  XSOAR similarity of the registered label to a listed homograph's
//	                      registered label (four or more letters, one that still carries the
//	                      brand), naming the closest listed value
//	combosquat-weak   45  the label inside a word with boundary evidence on one side only
//	suffix-follow     20  the match is followed by the asset's own suffix (ato.gov.au-x.com)
//	corroborating     10  each further kind of evidence
//	mixed-script      10  a label mixes scripts (Latin with Cyrillic, ...)
//	same-suffix       10  an edit-type lookalike of the registered label under the asset's suffix
//	keyword           10  per phishing word in the name (at most two; never the asset's own words)
//	intel             50  a threat-intel feed lists the name (a feed's own weight wins)
//	abused-tld         5  a TLD much used for phishing
//	throwaway-domain   5  a lookalike host label under a machine-made registered domain
//	punycode           5  an IDN label
//	hyphens            5  three or more hyphens (in the Unicode form: "xn--" does not count)
//	deep               5  six or more labels
//
// So a bare typo is medium or high (55-65), a typo with a phishing word or an abused TLD high,
// and critical needs strong evidence: a listed homograph, an IDN or confusable of the
// registered label, the brand with a phishing word, a subdomain trick or a feed hit.
//
// No typo rule fires on an ordinary word (internal/lexicon: "black" is not slack, "app1" not
// apple), nor on a host label that Options.Labels says thousands of domains use.
//
// Names at or under any protected domain or any Options.Allow entry never alert.
//
// # Speed
//
// No rule walks the watchlist. Listed homographs are found through one hash of their skeleton;
// typos and the XSOAR similarity through deletion neighbourhoods (symmetric delete: every
// string one deletion away from an asset label, two for labels of nine or more, and one away
// from each homograph label of seven or more runes, since shorter ones can only be similar by
// being equal), kept in compact postings (four bytes an entry: a hash fingerprint and the asset
// or homograph number, under a directory of buckets) with a blocked Bloom filter whose reads
// for all of a label's keys are issued together; containment through one Aho-Corasick
// automaton over the asset labels' skeletons and one over the asset domains. Before the
// homograph similarity lookups, the "part keys" filter (postings.go) rules out most labels
// that no homograph is within one edit of, with a few reads of a small filter. Every candidate
// is verified with the real distance.
package detect

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coregx/ahocorasick"

	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/lexicon"
	"github.com/certhunt/certhunt/internal/names"
)

// DefaultWeights returns the rule weights documented in the package comment, by rule name.
func DefaultWeights() map[string]int { return maps.Clone(defaultWeights) }

var defaultWeights = map[string]int{
	"homograph": 90, "confusable": 85, "subdomain": 80, "split-brand": 75, "brand-tld": 70,
	"levenshtein": 55, "homograph-similar": 50, "combosquat": 70, "typo": 55, "subdomain-label": 65, "typo-short": 55, "typo-2": 55,
	"combosquat-weak": 45, "suffix-follow": 20, "corroborating": 10, "mixed-script": 10, "intel": 50,
	"same-suffix": 10, "throwaway-domain": 5, "keyword": 10, "abused-tld": 5, "punycode": 5, "hyphens": 5, "deep": 5,
}

// Options tune an Index; the zero value gives the documented defaults.
type Options struct {
	// LevenshteinThreshold is the XSOAR similarity above which a label matches; default 0.85.
	LevenshteinThreshold float64
	// Allow lists domains (and their subdomains) that never alert.
	Allow []string
	// IncidentThreshold is the score at or above which an alert is an incident; default 60.
	IncidentThreshold int
	// Weights overrides rule points by rule name (see the package comment).
	Weights map[string]int
	// Intel, when not nil, is consulted for every name.
	Intel Intel
	// Labels, when not nil, says how many registered domains use a label left of their
	// registered label; a typo rule does not fire on one that CommonLabel or more use.
	Labels LabelCounts
}

// LabelCounts is how common host labels are in the CT names read (labelstats.Sketch). It must
// be safe for concurrent use and cheap.
type LabelCounts interface {
	Domains(label string) uint32
}

// CommonLabel is how many distinct registered domains make a host label common: a match on a
// label that many unrelated domains use ("img", "smtp", "autodiscover") is weak evidence.
const CommonLabel = 1000

// shortBrand is the longest asset label that counts as short: edit distance one from it is too
// common among honest names to alert alone.
const shortBrand = 4

// shortTypoBrand is the longest asset label whose one-edit variants need corroboration: labels
// of five letters or fewer are one edit from everyday words in many languages (black/slack,
// monza/monzo, appel/apple), so a typo of one counts only as the registered label, beside a
// phishing word or the asset's own suffix, or under a TLD much used for phishing.
const shortTypoBrand = 5

// asset is one protected domain, prepared for matching.
type asset struct {
	domain       string   // ASCII
	suffix       string   // its public suffix
	suffixLabels []string // the public suffix's labels
	label        string   // the registered label, ASCII ("paypal", "deutsche-bank")
	labelUnicode string
	flat         string // label without hyphens
	skel         string // skeleton of labelUnicode without hyphens
	runes        int    // rune length of flat
	word         bool   // the label is itself an ordinary word (office, orange, apple)
	homs         []hom  // sorted by label rune length
}

// ownWord reports whether tok is one of the asset's own words ("bank" of example-bank.com):
// those are never phishing words for it.
func (a *asset) ownWord(tok string) bool { return len(tok) >= 3 && strings.Contains(a.flat, tok) }

// hom is one listed homograph of an asset. It keeps only what the similarity rule reads; the
// rare exact hit recomputes the rest from value.
type hom struct {
	value string // as listed
	// forms is the label it is compared as (its registered label when it has a TLD), ASCII,
	// and when its Unicode form differs, a NUL and that form: one string for both (millions
	// of homographs), usually a substring of value
	forms    string
	runes    int32
	exactKey uint32 // top bits of its exact-index hash, to skip the others on a hit
	isDomain bool
	// similar: the registered label is compared by similarity. Only labels of four or more
	// runes that still carry the brand (within two edits of it, or containing it) are: the
	// registered label of a generated "wellsfar.go.com" is a word, not a lookalike.
	similar bool
}

// label is the homograph's label, ASCII.
func (h *hom) label() string {
	if i := strings.IndexByte(h.forms, 0); i >= 0 {
		return h.forms[:i]
	}
	return h.forms
}

// labelUnicode is the homograph's label, Unicode.
func (h *hom) labelUnicode() string {
	if i := strings.IndexByte(h.forms, 0); i >= 0 {
		return h.forms[i+1:]
	}
	return h.forms
}

func (h *hom) setForms(label, uni string) {
	h.forms = label
	if uni != label {
		h.forms = label + "\x00" + uni
	}
}

// Index is an immutable matcher over one watchlist version.
type Index struct {
	threshold  float64
	incidentAt int
	weights    map[string]int
	intel      Intel
	labels     LabelCounts
	assets     []asset
	protected  map[string]bool // asset domains and allow entries, ASCII
	// protectedLens[n]: some key of protected is n bytes long (longer ones are always looked up)
	protectedLens [256]bool
	hash          hasher
	exact         postings  // listed homographs (numbers), by the skeleton of the value
	brandFuzzy    postings  // deletion neighbourhoods of asset labels
	homFuzzy      postings  // deletion neighbourhoods of homograph labels, to homograph numbers
	homHalves     bitFilter // part keys of homograph labels (appendHalves), to skip homFuzzy
	homStart      []int32   // number of the first homograph of each asset (numbers run in asset order)
	brandSkel     map[string][]int32
	skelLens      [128]bool              // lengths of the keys of brandSkel
	contain       *ahocorasick.Automaton // asset label skeletons, for combosquats
	containOf     []int32                // pattern id -> asset
	domains       *ahocorasick.Automaton // asset ASCII domains, for subdomain squats
	domainOf      []int32
	affix         affixIndex
	strongAffix   affixIndex      // affix without the generic web words
	suffixWords   map[string]bool // skeletons of every asset's suffix labels
	// longest asset label and homograph label, in runes: longer labels skip the fuzzy lookups
	maxBrandRunes, maxHomRunes int
	quiet                      map[string]bool // common labels no label rule can fire on
	// byte pairs of everything in brandFuzzy and homFuzzy, to skip hopeless lookups
	brandPairs, homPairs bigramSet
}

// hash kinds keep the postings' key spaces apart.
const (
	kindValueSkel = 'v' // skeleton of a listed value with a TLD, labels joined by dots
	kindLabelSkel = 'l' // skeleton of a listed value without one
	// One key space for every deletion neighbourhood (asset labels, their skeletons, homograph
	// labels; each in its own postings), so that a label's deletions are hashed once for all.
	kindDeletion = 'D'
)

// Build validates list and prepares an Index for it. Errors name the bad key or value.
func Build(list homograph.List, opt Options) (*Index, error) {
	ix := &Index{
		threshold:  opt.LevenshteinThreshold,
		incidentAt: opt.IncidentThreshold,
		weights:    map[string]int{},
		intel:      opt.Intel,
		labels:     opt.Labels,
		protected:  map[string]bool{},
		hash:       newHasher(),
		brandSkel:  map[string][]int32{},
	}
	if ix.threshold == 0 {
		ix.threshold = 0.85
	}
	if ix.threshold < 0 || ix.threshold >= 1 {
		return nil, fmt.Errorf("levenshtein threshold %v is outside [0, 1)", opt.LevenshteinThreshold)
	}
	if ix.incidentAt == 0 {
		ix.incidentAt = 60
	}
	if ix.incidentAt < 0 || ix.incidentAt > 100 {
		return nil, fmt.Errorf("incident threshold %d is outside 0..100", opt.IncidentThreshold)
	}
	maps.Copy(ix.weights, defaultWeights)
	for rule, w := range opt.Weights {
		if _, ok := defaultWeights[rule]; !ok {
			return nil, fmt.Errorf("weight for unknown rule %q", rule)
		}
		if w < 0 || w > 100 {
			return nil, fmt.Errorf("weight %d for rule %q is outside 0..100", w, rule)
		}
		ix.weights[rule] = w
	}
	for _, a := range opt.Allow {
		n, err := names.Parse(a)
		if err != nil {
			return nil, fmt.Errorf("allow entry %q: %w", a, err)
		}
		ix.protected[n.ASCII] = true
		ix.protectedLens[min(len(n.ASCII), 255)] = true
	}

	keys := make([]string, 0, len(list))
	for k := range list {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) >= 1<<assetBits {
		return nil, fmt.Errorf("watchlist has %d assets, more than %d", len(keys), 1<<assetBits-1)
	}
	prepared, err := ix.prepareAssets(keys, list)
	if err != nil {
		return nil, err
	}
	nExact, nFuzzy, nHoms := 0, 0, 0
	for _, p := range prepared {
		nExact += len(p.exact)
		nFuzzy += p.fuzzy
		nHoms += len(p.homs)
	}
	if nHoms >= 1<<assetBits {
		return nil, fmt.Errorf("watchlist has more than %d homographs", 1<<assetBits-1)
	}
	ix.homStart = make([]int32, 0, len(prepared))
	ix.suffixWords = map[string]bool{}
	listed := make(map[string]string, len(keys))
	ix.assets = make([]asset, 0, len(prepared))
	num := 0
	for id := range prepared {
		a := prepared[id].asset
		prepared[id].asset = asset{}
		if first, dup := listed[a.domain]; dup {
			return nil, fmt.Errorf("watchlist keys %q and %q are both the domain %s, listed twice", first, keys[id], a.domain)
		}
		listed[a.domain] = keys[id]
		ix.protected[a.domain] = true
		ix.protectedLens[min(len(a.domain), 255)] = true
		for _, l := range a.suffixLabels {
			ix.suffixWords[names.Skeleton(l)] = true
		}
		ix.homStart = append(ix.homStart, int32(num))
		num += len(a.homs)
		for _, h := range a.homs {
			ix.maxHomRunes = max(ix.maxHomRunes, int(h.runes))
			for _, form := range uniq(h.label(), h.labelUnicode()) {
				ix.homPairs.add(form)
			}
		}
		ix.assets = append(ix.assets, a)
	}
	ix.exact = buildPostings(nExact, max(nHoms, 1), func(add func(uint64, int)) {
		for id := range prepared {
			for local, k := range prepared[id].exact {
				add(k, int(ix.homStart[id])+local)
			}
		}
	})
	nHalves := 0
	for id := range prepared {
		nHalves += len(prepared[id].halves)
	}
	ix.homHalves = newBitFilter(nHalves, 16)
	for id := range prepared {
		for _, k := range prepared[id].halves {
			ix.homHalves.add(k)
		}
	}
	prepared = nil
	// the similarity keys are made twice (counted, then placed) straight into the one big
	// array: holding them in between would double the peak memory of a large build
	ix.homFuzzy = buildPostings(nFuzzy, nHoms, func(add func(uint64, int)) {
		num := 0
		for id := range ix.assets {
			for local := range ix.assets[id].homs {
				if h := &ix.assets[id].homs[local]; h.similar {
					for _, form := range uniq(h.label(), h.labelUnicode()) {
						ix.hash.deletions(kindDeletion, form, ix.homRadius(h), func(k uint64) { add(k, num) })
					}
				}
				num++
			}
		}
	})

	type brandKey struct {
		h  uint64
		id int
	}
	var brandKeys []brandKey
	var containPatterns, domainPatterns []string
	for id, a := range ix.assets {
		ix.brandSkel[a.skel] = append(ix.brandSkel[a.skel], int32(id))
		if len(a.skel) < len(ix.skelLens) {
			ix.skelLens[len(a.skel)] = true
		}
		ix.maxBrandRunes = max(ix.maxBrandRunes, a.runes, runeLen(a.labelUnicode), len(a.skel))
		radius := 1
		if a.runes > 8 {
			radius = 2
		}
		for _, v := range uniq(a.label, a.flat) {
			ix.hash.deletions(kindDeletion, v, radius, func(k uint64) { brandKeys = append(brandKeys, brandKey{k, id}) })
			ix.brandPairs.add(v)
		}
		ix.brandPairs.add(a.skel)
		if a.runes > shortTypoBrand {
			ix.hash.deletions(kindDeletion, a.skel, radius, func(k uint64) { brandKeys = append(brandKeys, brandKey{k, id}) })
		}
		if a.runes >= 3 {
			for _, p := range uniq(a.skel, names.Skeleton(a.labelUnicode)) {
				containPatterns = append(containPatterns, p)
				ix.containOf = append(ix.containOf, int32(id))
			}
		}
		domainPatterns = append(domainPatterns, a.domain)
		ix.domainOf = append(ix.domainOf, int32(id))
	}
	ix.brandFuzzy = buildPostings(len(brandKeys), len(ix.assets), func(add func(uint64, int)) {
		for _, k := range brandKeys {
			add(k.h, k.id)
		}
	})
	ix.affix = newAffixIndex()
	ix.strongAffix = newStrongAffixIndex()
	if ix.contain, err = buildAutomaton(containPatterns); err != nil {
		return nil, err
	}
	if ix.domains, err = buildAutomaton(domainPatterns); err != nil {
		return nil, err
	}
	ix.quiet = map[string]bool{}
	for _, l := range commonHostLabels {
		if !ix.hasCandidates(l) {
			ix.quiet[l] = true
		}
	}
	return ix, nil
}

// homOwner is the asset of homograph number c.
func (ix *Index) homOwner(c int) int {
	id, found := slices.BinarySearch(ix.homStart, int32(c))
	if !found {
		id--
	}
	for id+1 < len(ix.homStart) && ix.homStart[id+1] == int32(c) {
		id++ // assets without homographs share their start with the next
	}
	return id
}

// homAt is homograph number c of asset id.
func (ix *Index) homAt(id, c int) *hom { return &ix.assets[id].homs[c-int(ix.homStart[id])] }

func buildAutomaton(patterns []string) (*ahocorasick.Automaton, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	a, err := ahocorasick.NewBuilder().AddStrings(patterns).Build()
	if err != nil {
		return nil, fmt.Errorf("building the containment matcher: %w", err)
	}
	return a, nil
}

func newAsset(key string) (asset, error) {
	if err := names.ValidDomain(key); err != nil {
		return asset{}, fmt.Errorf("watchlist key %q: %w", key, err)
	}
	n, err := names.Parse(key)
	if err != nil {
		return asset{}, fmt.Errorf("watchlist key %q: %w", key, err)
	}
	if n.Wildcard {
		return asset{}, fmt.Errorf("watchlist key %q: a protected domain cannot be a wildcard", key)
	}
	if n.RegisteredDomain == n.PublicSuffix {
		return asset{}, fmt.Errorf("watchlist key %q: %s is a public suffix, not a domain one can protect", key, n.ASCII)
	}
	reg := len(n.Labels) - n.SuffixLabels() - 1
	a := asset{
		domain:       n.ASCII,
		suffix:       n.PublicSuffix,
		suffixLabels: n.Labels[reg+1:],
		label:        n.Labels[reg],
		labelUnicode: n.UnicodeLabels[reg],
	}
	a.flat = strings.ReplaceAll(a.label, "-", "")
	a.skel = strings.ReplaceAll(names.Skeleton(a.labelUnicode), "-", "")
	a.runes = runeLen(strings.ReplaceAll(a.labelUnicode, "-", ""))
	a.word = lexicon.IsCommon(a.flat)
	return a, nil
}

// preparedAsset is an asset with the index keys of its homographs, made in parallel.
type preparedAsset struct {
	asset
	exact  []uint64 // each homograph's exact-index key, in homs order
	halves []uint64 // the homographs' part keys (appendHalves), without duplicates
	fuzzy  int      // how many similarity-index keys its homographs make, for sizing
}

// prepareAssets reads every key and its homographs on all cores; the first error (in key
// order) wins.
func (ix *Index) prepareAssets(keys []string, list homograph.List) ([]preparedAsset, error) {
	out := make([]preparedAsset, len(keys))
	errs := make([]error, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				out[i], errs[i] = ix.prepareAsset(keys[i], list[keys[i]])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (ix *Index) prepareAsset(key string, values []string) (preparedAsset, error) {
	a, err := newAsset(key)
	if err != nil {
		return preparedAsset{}, err
	}
	// no maps here: with thousands of assets their garbage would set the build's peak memory
	type homKey struct {
		h   hom
		key uint64
	}
	items := make([]homKey, 0, len(values))
	for _, v := range values {
		h, k, err := ix.newHom(v)
		if err != nil {
			return preparedAsset{}, fmt.Errorf("watchlist key %q: homograph %q: %w", key, v, err)
		}
		items = append(items, homKey{h: h, key: k})
	}
	slices.SortFunc(items, func(x, y homKey) int { return strings.Compare(x.h.value, y.h.value) })
	items = slices.CompactFunc(items, func(x, y homKey) bool { return x.h.value == y.h.value })
	if len(items) >= 1<<assetBits {
		return preparedAsset{}, fmt.Errorf("watchlist key %q has %d homographs, more than %d", key, len(items), 1<<assetBits-1)
	}
	slices.SortStableFunc(items, func(x, y homKey) int { return cmp.Compare(x.h.runes, y.h.runes) })
	a.homs = make([]hom, len(items))
	p := preparedAsset{exact: make([]uint64, len(items))}
	for local := range items {
		a.homs[local] = items[local].h
		h := &a.homs[local]
		key := items[local].key
		h.exactKey = uint32(key >> 32)
		p.exact[local] = key
		h.similar = similarEligible(h, &a)
		if !h.similar {
			continue
		}
		for _, form := range uniq(h.label(), h.labelUnicode()) {
			p.fuzzy += 1 + ix.homRadius(h)*runeLen(form)
			p.halves = ix.hash.appendHalves(p.halves, form, ix.threshold)
		}
	}
	slices.Sort(p.halves)
	p.halves = slices.Clip(slices.Compact(p.halves))
	p.asset = a
	return p, nil
}

// similarEligible reports whether a listed value's registered label is compared by similarity
// (hom.similar).
func similarEligible(h *hom, a *asset) bool {
	if h.runes < 4 {
		return false
	}
	if l := withoutHyphens(h.label()); strings.Contains(l, a.flat) || osaDistance(l, a.flat, 2) <= 2 {
		return true // most generated values: no skeleton needed
	}
	sk := withoutHyphens(names.Skeleton(h.labelUnicode()))
	return strings.Contains(sk, a.skel) || osaDistance(sk, a.skel, 2) <= 2
}

// homRadius is how many runes to delete from a homograph label for the similarity index: below
// seven runes the XSOAR similarity (> 0.85 by default) needs equal strings or a longer label,
// which deleting from the label finds, so the homograph's own key is enough.
func (ix *Index) homRadius(h *hom) int {
	if maxDistanceFor(int(h.runes), ix.threshold) > 0 {
		return 1
	}
	return 0
}

// newHom reads a listed value: with a dot it is a domain, compared as a whole and through its
// registered label; without, a label. It also returns the value's exact-index key (the hash of
// its skeleton).
func (ix *Index) newHom(v string) (hom, uint64, error) {
	n, err := names.Parse(v)
	if err != nil {
		return hom{}, 0, err
	}
	h := hom{value: v, isDomain: len(n.Labels) > 1}
	if h.isDomain {
		reg := max(len(n.Labels)-n.SuffixLabels()-1, 0)
		h.setForms(n.Labels[reg], n.UnicodeLabels[reg])
	} else {
		h.setForms(n.ASCII, n.Unicode)
	}
	h.runes = int32(runeLen(h.labelUnicode()))
	var buf [8]string
	parts := buf[:0]
	for _, l := range n.UnicodeLabels {
		parts = append(parts, names.Skeleton(l))
	}
	kind := byte(kindLabelSkel)
	if h.isDomain {
		kind = kindValueSkel
	}
	return h, ix.hash.joined(kind, parts, 0), nil
}

// skeletonName is the skeleton of each label, joined by dots.
func skeletonName(labels []string) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = names.Skeleton(l)
	}
	return strings.Join(parts, ".")
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
