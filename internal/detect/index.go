// Package detect decides whether a DNS name is a lookalike of a protected domain. An Index is
// built once per watchlist version (Build) and is then immutable and safe for concurrent use;
// the service swaps it atomically on reload. Check scores one name against every asset.
//
// # Rules and weights
//
// Each rule that fires adds a Reason with its points; the strongest asset rule gives its full
// weight, every further asset rule adds "corroborating" points, context rules add small weights
// to alerts whose strongest rule has at least 40 points, and the sum is capped to 0..100; the
// reasons' points add up to the score. Default weights (rule name: points), each overridable
// through Options.Weights:
//
//	homograph        90  name, registered domain or label equals a listed homograph (any form)
//	confusable       85  a label's TR39+ASCII skeleton equals the asset label's (IDN homograph)
//	subdomain        80  the asset's full domain used as labels of another domain
//	split-brand      75  the asset label split by dots across labels (pay.pal.com)
//	brand-tld        70  the asset label as the registered label under another suffix
//	levenshtein      70  XSOAR: similarity 1-lev/max(len) > threshold, asset label or homograph
//	combosquat       70  the asset label (or its skeleton) inside a label, with evidence at both
//	                     ends: the label's edge, a hyphen or digit, or affix words (words.go);
//	                     one end is enough for labels of 8+ letters; a 2-4 letter label needs
//	                     an affix word and no letters glued to its left (groups, accounting)
//	typo             65  Damerau (OSA) distance 1 from an asset label of 5+ letters, or hyphens added
//	subdomain-label  65  the asset label as a label left of another registered domain
//	typo-short       55  a plausible typo (typoKind) of a 2-4 letter label under the asset's own
//	                     suffix, followed by it, or as a hyphenated word beside affix words
//	                     ("uspss-verify"); other distance-1 names of short labels are too
//	                     common among honest names to report
//	typo-2           55  Damerau distance 2 from an asset label of 9+ letters
//	combosquat-weak  45  the label inside a word with boundary evidence on one side only
//	suffix-follow    20  the match is followed by the asset's own suffix (ato.gov.au-x.com)
//	corroborating    10  each further asset rule that fired
//	mixed-script     10  a label mixes scripts (Latin with Cyrillic, ...)
//	intel            50  a threat-intel feed lists the name (a feed's own weight wins)
//	same-suffix       5  a lookalike under the asset's own public suffix
//	keyword           5  per phishing word in the name (at most two)
//	abused-tld        5  a TLD much used for phishing
//	punycode          5  an IDN label
//	hyphens           5  three or more hyphens
//	deep              5  six or more labels
//
// Severity from the final score: low below 40, medium below 60, high below 80, critical from 80.
//
// Names at or under any protected domain or any Options.Allow entry never alert.
//
// # Speed
//
// No rule walks the watchlist. Listed homographs are found through one hash of their skeleton;
// typos and the XSOAR similarity through deletion neighbourhoods (symmetric delete: every
// string one deletion away from an asset label, two for labels of nine or more, and one away
// from each homograph label of seven or more runes, since shorter ones can only be similar by
// being equal), kept in compact hash postings with a Bloom filter; containment through one
// Aho-Corasick automaton over the asset labels' skeletons and one over the asset domains. Every
// candidate is verified with the real distance.
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
	"github.com/certhunt/certhunt/internal/names"
)

// DefaultWeights returns the rule weights documented in the package comment, by rule name.
func DefaultWeights() map[string]int { return maps.Clone(defaultWeights) }

var defaultWeights = map[string]int{
	"homograph": 90, "confusable": 85, "subdomain": 80, "split-brand": 75, "brand-tld": 70,
	"levenshtein": 70, "combosquat": 70, "typo": 65, "subdomain-label": 65, "typo-short": 55, "typo-2": 55,
	"combosquat-weak": 45, "suffix-follow": 20, "corroborating": 10, "mixed-script": 10, "intel": 50,
	"same-suffix": 5, "keyword": 5, "abused-tld": 5, "punycode": 5, "hyphens": 5, "deep": 5,
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
}

// shortBrand is the longest asset label that counts as short: edit distance one from it is too
// common among honest names to alert alone.
const shortBrand = 4

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
	homs         []hom  // sorted by label rune length
}

// hom is one listed homograph of an asset. It keeps only what the similarity rule reads; the
// rare exact hit recomputes the rest from value.
type hom struct {
	value        string // as listed
	label        string // the label it is compared as (its registered label when it has a TLD)
	labelUnicode string
	runes        int32
	exactKey     uint32 // top bits of its exact-index hash, to skip the others on a hit
	isDomain     bool
}

// Index is an immutable matcher over one watchlist version.
type Index struct {
	threshold   float64
	incidentAt  int
	weights     map[string]int
	intel       Intel
	assets      []asset
	protected   map[string]bool // asset domains and allow entries, ASCII
	hash        hasher
	exact       postings   // listed homographs, by the skeleton of the value
	brandFuzzy  postings   // deletion neighbourhoods of asset labels
	homFuzzy    postings   // deletion neighbourhoods of homograph labels, to homograph numbers
	homAsset    [][2]int32 // homograph number -> asset and index in its homs
	brandSkel   map[string][]int32
	contain     *ahocorasick.Automaton // asset label skeletons, for combosquats
	containOf   []int32                // pattern id -> asset
	domains     *ahocorasick.Automaton // asset ASCII domains, for subdomain squats
	domainOf    []int32
	affix       affixIndex
	suffixWords map[string]bool // skeletons of every asset's suffix labels
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
	var exact, homFuzzy postingsBuilder
	nExact, nFuzzy, nHoms := 0, 0, 0
	for _, p := range prepared {
		nExact += len(p.exact)
		nFuzzy += p.fuzzy
		nHoms += len(p.homs)
	}
	exact.grow(nExact)
	homFuzzy.grow(nFuzzy)
	ix.homAsset = make([][2]int32, 0, nHoms)
	ix.suffixWords = map[string]bool{}
	listed := make(map[string]string, len(keys))
	for id, p := range prepared {
		a := p.asset
		if first, dup := listed[a.domain]; dup {
			return nil, fmt.Errorf("watchlist keys %q and %q are both the domain %s, listed twice", first, keys[id], a.domain)
		}
		listed[a.domain] = keys[id]
		ix.protected[a.domain] = true
		for _, l := range a.suffixLabels {
			ix.suffixWords[names.Skeleton(l)] = true
		}
		for _, h := range a.homs {
			ix.maxHomRunes = max(ix.maxHomRunes, int(h.runes))
		}
		for _, k := range p.exact {
			exact.add(k, id)
		}
		if len(ix.homAsset)+len(a.homs) >= 1<<assetBits {
			return nil, fmt.Errorf("watchlist has more than %d homographs", 1<<assetBits-1)
		}
		// the similarity keys are made here, straight into the one big array, rather than in
		// prepareAssets: holding them twice would double the peak memory of a large build
		for local := range a.homs {
			h := &a.homs[local]
			num := len(ix.homAsset)
			for _, form := range uniq(h.label, h.labelUnicode) {
				ix.hash.deletions(kindDeletion, form, ix.homRadius(h), func(k uint64) { homFuzzy.add(k, num) })
				ix.homPairs.add(form)
			}
			ix.homAsset = append(ix.homAsset, [2]int32{int32(id), int32(local)})
		}
		prepared[id] = preparedAsset{}
		ix.assets = append(ix.assets, a)
	}
	ix.exact = exact.build()
	ix.homFuzzy = homFuzzy.build()

	var brandFuzzy postingsBuilder
	var containPatterns, domainPatterns []string
	for id, a := range ix.assets {
		ix.brandSkel[a.skel] = append(ix.brandSkel[a.skel], int32(id))
		ix.maxBrandRunes = max(ix.maxBrandRunes, a.runes, runeLen(a.labelUnicode), len(a.skel))
		radius := 1
		if a.runes > 8 {
			radius = 2
		}
		for _, v := range uniq(a.label, a.flat) {
			ix.hash.deletions(kindDeletion, v, radius, func(k uint64) { brandFuzzy.add(k, id) })
			ix.brandPairs.add(v)
		}
		ix.brandPairs.add(a.skel)
		if a.runes > shortBrand {
			ix.hash.deletions(kindDeletion, a.skel, radius, func(k uint64) { brandFuzzy.add(k, id) })
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
	ix.brandFuzzy = brandFuzzy.build()
	ix.affix = newAffixIndex()
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
	return a, nil
}

// preparedAsset is an asset with the index keys of its homographs, made in parallel.
type preparedAsset struct {
	asset
	exact []uint64 // sorted, without duplicates
	fuzzy int      // how many similarity-index keys its homographs make, for sizing
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
	a.homs = make([]hom, 0, len(values))
	p := preparedAsset{exact: make([]uint64, 0, len(values))}
	seen := make(map[string]bool, len(values))
	skels := make(map[string]string, len(values))
	for _, v := range values {
		if seen[v] {
			continue
		}
		seen[v] = true
		h, skel, err := newHom(v)
		if err != nil {
			return preparedAsset{}, fmt.Errorf("watchlist key %q: homograph %q: %w", key, v, err)
		}
		skels[v] = skel
		a.homs = append(a.homs, h)
	}
	if len(a.homs) >= 1<<assetBits {
		return preparedAsset{}, fmt.Errorf("watchlist key %q has %d homographs, more than %d", key, len(a.homs), 1<<assetBits-1)
	}
	slices.SortFunc(a.homs, func(x, y hom) int { return cmp.Compare(x.runes, y.runes) })
	for local := range a.homs {
		h := &a.homs[local]
		kind := byte(kindLabelSkel)
		if h.isDomain {
			kind = kindValueSkel
		}
		key := ix.hash.str(kind, skels[h.value])
		h.exactKey = uint32(key >> 32)
		p.exact = append(p.exact, key)
		for _, form := range uniq(h.label, h.labelUnicode) {
			p.fuzzy += 1 + ix.homRadius(h)*runeLen(form)
		}
	}
	p.asset = a
	slices.Sort(p.exact)
	p.exact = slices.Clip(slices.Compact(p.exact))
	return p, nil
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
// registered label; without, a label. It also returns the value's skeleton.
func newHom(v string) (hom, string, error) {
	n, err := names.Parse(v)
	if err != nil {
		return hom{}, "", err
	}
	h := hom{value: v, isDomain: len(n.Labels) > 1}
	if h.isDomain {
		reg := max(len(n.Labels)-n.SuffixLabels()-1, 0)
		h.label, h.labelUnicode = n.Labels[reg], n.UnicodeLabels[reg]
	} else {
		h.label, h.labelUnicode = n.ASCII, n.Unicode
	}
	h.runes = int32(runeLen(h.labelUnicode))
	return h, skeletonName(n.UnicodeLabels), nil
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
