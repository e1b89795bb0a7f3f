package detect

import (
	"hash/maphash"
	"math/bits"
)

// postings is a compact immutable multimap from 64-bit key hashes to small numbers (asset or
// homograph numbers), built for tens of millions of entries at four bytes each: the top bits of
// a hash pick a bucket of a directory (about sixteen entries, one cache line), and each entry
// packs the next hash bits (a fingerprint) above the number, so that a lookup is two memory
// reads and no pointer chasing; a blocked Bloom filter of 12 bits a key (bitFilter) answers
// most misses with one read. Fingerprint collisions are harmless: every candidate is verified
// by the caller.
type postings struct {
	entries []uint32
	dir     []uint32
	shift   uint // hash >> shift is the bucket
	fpShift uint // hash >> fpShift & fpMask is the fingerprint
	fpMask  uint32
	idBits  uint
	filter  bitFilter
}

const assetBits = 24 // up to 16,777,216 assets or homographs

// buildPostings builds the postings of the (hash, number) pairs that emit passes to add, every
// number below limit. emit is called twice, to count and then to place the entries, so that no
// temporary array of the entries is needed; estimate is about how many it adds. Duplicates are
// tolerated (callers deduplicate).
func buildPostings(estimate, limit int, emit func(add func(h uint64, id int))) postings {
	idBits := uint(bits.Len(uint(max(limit-1, 1))))
	bitsDir := uint(4)
	for 1<<bitsDir < estimate/16 && bitsDir < 28 { // about sixteen entries a bucket
		bitsDir++
	}
	fpBits := 32 - idBits
	p := postings{shift: 64 - bitsDir, fpShift: 64 - bitsDir - fpBits, fpMask: uint32(1)<<fpBits - 1,
		idBits: idBits, dir: make([]uint32, 1<<bitsDir+1)}
	if fpBits == 32 {
		p.fpMask = ^uint32(0)
	}
	n := 0
	emit(func(h uint64, _ int) {
		p.dir[h>>p.shift+1]++
		n++
	})
	if n == 0 {
		return postings{}
	}
	for i := 1; i < len(p.dir); i++ {
		p.dir[i] += p.dir[i-1]
	}
	p.filter = newBitFilter(n, 12)
	p.entries = make([]uint32, n)
	next := make([]uint32, len(p.dir)-1)
	copy(next, p.dir)
	emit(func(h uint64, id int) {
		b := h >> p.shift
		p.entries[next[b]] = p.fingerprint(h)<<idBits | uint32(id)
		next[b]++
		p.filter.add(h)
	})
	return p
}

func (p *postings) fingerprint(h uint64) uint32 { return uint32(h>>p.fpShift) & p.fpMask }

// each calls fn with every number stored under h (and, rarely, one stored under another hash
// with the same bucket and fingerprint).
func (p *postings) each(h uint64, fn func(id int)) {
	if len(p.entries) == 0 {
		return
	}
	if !p.filter.has(h) {
		return
	}
	p.scan(h, fn)
}

// scan is each without the filter.
func (p *postings) scan(h uint64, fn func(id int)) {
	fp := p.fingerprint(h)
	bucket := h >> p.shift
	idMask := uint32(1)<<p.idBits - 1
	for _, v := range p.entries[p.dir[bucket]:p.dir[bucket+1]] {
		if v>>p.idBits == fp {
			fn(int(v & idMask))
		}
	}
}

// eachOf calls fn with every number stored under any of keys (at most 64), reading the filter
// for all keys at once first.
//
// Each step reads memory for all keys before the next step looks at what it read (the filter
// words, then the directory, then the buckets), so that the cache misses of one step overlap.
func (p *postings) eachOf(keys []uint64, fn func(id int)) {
	if len(p.entries) == 0 {
		return
	}
	var lo, hi [16]uint32
	var which [16]uint8
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 16)]
		keys = keys[len(chunk):]
		n := 0
		for m := p.mayHave(chunk); m != 0; m &= m - 1 {
			which[n] = uint8(bits.TrailingZeros64(m))
			n++
		}
		for k := range n {
			b := chunk[which[k]] >> p.shift
			lo[k], hi[k] = p.dir[b], p.dir[b+1]
		}
		idMask := uint32(1)<<p.idBits - 1
		for k := range n {
			fp := p.fingerprint(chunk[which[k]])
			for _, v := range p.entries[lo[k]:hi[k]] {
				if v>>p.idBits == fp {
					fn(int(v & idMask))
				}
			}
		}
	}
}

// mayHave returns a bit mask of the keys (at most 64) the filter does not rule out. The loop
// has no branch on the data, so that the processor issues the filter reads, which mostly miss
// the cache, together rather than one after another.
func (p *postings) mayHave(keys []uint64) uint64 {
	if len(p.entries) == 0 {
		return 0
	}
	var m uint64
	for j, h := range keys[:min(len(keys), 64)] {
		i, b := p.filter.at(h)
		m |= b2u(p.filter.words[i]&b == b) << j
	}
	return m
}

// hasher hashes strings, and the strings made by deleting one rune, as polynomials over their
// runes, so that every one-rune deletion of a label costs O(1) after one pass over it.
type hasher struct {
	base, seed uint64
	pows       *powers // base^i
}

type powers struct{ p [65]uint64 }

func newHasher() hasher {
	s := maphash.MakeSeed()
	hs := hasher{base: maphash.String(s, "base") | 1, seed: maphash.String(s, "seed"), pows: &powers{}}
	hs.pows.p[0] = 1
	for i := 1; i < len(hs.pows.p); i++ {
		hs.pows.p[i] = hs.pows.p[i-1] * hs.base
	}
	return hs
}

// mix finishes a polynomial hash with the kind of key and the length (splitmix64 finaliser).
func (hs hasher) mix(kind byte, h uint64, n int) uint64 {
	h ^= hs.seed ^ uint64(kind)<<56 ^ uint64(n)<<48
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	return h ^ h>>31
}

func (hs hasher) str(kind byte, s string) uint64 {
	var h uint64
	n := 0
	for _, r := range s {
		h = h*hs.base + uint64(r)
		n++
	}
	return hs.mix(kind, h, n)
}

// joined is str(kind, strings.Join(parts[from:], ".")) without joining.
func (hs hasher) joined(kind byte, parts []string, from int) uint64 {
	var h uint64
	n := 0
	for j, s := range parts[from:] {
		if j > 0 {
			h = h*hs.base + '.'
			n++
		}
		for _, r := range s {
			h = h*hs.base + uint64(r)
			n++
		}
	}
	return hs.mix(kind, h, n)
}

// appendDeletions appends to dst the kindDeletion hashes of s and of every string one rune
// shorter (s itself first), without allocating when dst has room.
func (hs hasher) appendDeletions(dst []uint64, s string) []uint64 {
	hs.deletions(kindDeletion, s, 1, func(k uint64) { dst = append(dst, k) })
	return dst
}

// deletions calls fn with the hash of s and, up to radius, of every string made by deleting
// runes from it. Radius 2 allocates and is meant for building.
func (hs hasher) deletions(kind byte, s string, radius int, fn func(uint64)) {
	n := len(s)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii || radius > 1 {
		hs.runeDeletions(kind, s, radius, fn)
		return
	}
	if radius == 0 || n == 0 || n > 63 {
		fn(hs.str(kind, s))
		return
	}
	pow := &hs.pows.p
	// suf[i]: hash of s[i:] as the low part of a polynomial
	var suf [65]uint64
	suf[n] = 0
	for i := n - 1; i >= 0; i-- {
		suf[i] = suf[i+1] + uint64(s[i])*pow[n-1-i]
	}
	fn(hs.mix(kind, suf[0], n))
	var pre uint64
	for i := range n {
		if i == 0 || s[i] != s[i-1] { // deleting either of two equal neighbours gives the same string
			fn(hs.mix(kind, pre*pow[n-1-i]+suf[i+1], n-1))
		}
		pre = pre*hs.base + uint64(s[i])
	}
}

func (hs hasher) runeDeletions(kind byte, s string, radius int, fn func(uint64)) {
	var rbuf [64]rune
	r := toRunes(s, rbuf[:0])
	n := len(r)
	if radius == 0 || n == 0 || n > 63 {
		fn(hs.str(kind, s))
		return
	}
	var pre, suf [65]uint64
	pow := &hs.pows.p
	for i := range n {
		pre[i+1] = pre[i]*hs.base + uint64(r[i])
	}
	for i := n - 1; i >= 0; i-- {
		suf[i] = suf[i+1] + uint64(r[i])*pow[n-1-i]
	}
	fn(hs.mix(kind, pre[n], n))
	for i := range n {
		if i > 0 && r[i] == r[i-1] {
			continue // deleting either of two equal neighbours gives the same string
		}
		if radius > 1 {
			hs.deletions(kind, string(r[:i])+string(r[i+1:]), radius-1, fn)
			continue
		}
		fn(hs.mix(kind, pre[i]*pow[n-1-i]+suf[i+1], n-1))
	}
}

// bigramSet holds every byte pair of the strings a deletion index was built from. A label that
// is within e edits of one of them keeps all but at most 2e of its own byte pairs, so a label
// with more pairs absent from the set cannot have a neighbour in the index: long random labels,
// the bulk of certificate names, skip the index lookups after one pass over a set that fits in
// the first-level cache.
type bigramSet [1 << 16 / 64]uint64

func (b *bigramSet) add(s string) {
	for i := 1; i < len(s); i++ {
		k := uint(s[i-1])<<8 | uint(s[i])
		b[k/64] |= 1 << (k % 64)
	}
}

// mayReach reports whether the ASCII string s can be within maxEdits edits of a string added to
// the set (always true for non-ASCII s, whose rune edits can change more byte pairs).
func (b *bigramSet) mayReach(s string, maxEdits int) bool {
	absent := 0
	for i := 1; i < len(s); i++ {
		if s[i] >= 0x80 || s[i-1] >= 0x80 {
			return true
		}
		k := uint(s[i-1])<<8 | uint(s[i])
		if b[k/64]&(1<<(k%64)) == 0 {
			absent++
			if absent > 2*maxEdits {
				return false
			}
		}
	}
	return true
}

// bitFilter is a blocked Bloom filter: three bits in one 64-bit word a key, so that a probe is
// one memory read; at 12 bits a key it lets through about one absent key in 60, at 16 one in 150.
type bitFilter struct{ words []uint64 }

func newBitFilter(n, bitsPerKey int) bitFilter {
	return bitFilter{words: make([]uint64, max(1, (n*bitsPerKey+63)/64))}
}

// at is the word and bits of h.
func (f *bitFilter) at(h uint64) (int, uint64) {
	x := h * 0x9E3779B97F4A7C15
	return int((x >> 32) * uint64(len(f.words)) >> 32), 1<<(x&63) | 1<<(x>>6&63) | 1<<(x>>12&63)
}

func (f *bitFilter) add(h uint64) {
	i, b := f.at(h)
	f.words[i] |= b
}

func (f *bitFilter) has(h uint64) bool {
	if len(f.words) == 0 {
		return false
	}
	i, b := f.at(h)
	return f.words[i]&b == b
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Part keys: cut a string h of n runes into thirds A, B, C (n/3, the rest, n/3 runes). One edit
// leaves two thirds alone: a string x within one edit of h starts with AB, ends with BC, or
// starts with A and ends with C. So when none of these keys of x, for each possible partner
// length (len(x)-1, len(x), len(x)+1), is in the set of the indexed strings' part keys, none is
// within one edit; and two thirds of a label rarely match by chance.
const (
	kindPartAB = 'P'
	kindPartBC = 'S'
	kindPartAC = 'A'
)

func (hs hasher) partKey(kind byte, r []rune, n int) uint64 {
	var h uint64
	for _, c := range r {
		h = h*hs.base + uint64(c)
	}
	return hs.mix(kind, h*hs.base+uint64(n)+1<<32, len(r))
}

func (hs hasher) partKey2(r1, r2 []rune, n int) uint64 {
	var h uint64
	for _, c := range r1 {
		h = h*hs.base + uint64(c)
	}
	h = h*hs.base + 0x10FFFF + 1 // a separator no rune equals
	for _, c := range r2 {
		h = h*hs.base + uint64(c)
	}
	return hs.mix(kindPartAC, h*hs.base+uint64(n)+1<<32, len(r1)+len(r2))
}

// appendHalves appends the three part keys of s when a string matches s only within one edit
// at the similarity threshold (maxDistanceFor its length is at most one); longer strings need
// the full deletion index.
func (hs hasher) appendHalves(dst []uint64, s string, threshold float64) []uint64 {
	var buf [64]rune
	r := toRunes(s, buf[:0])
	n := len(r)
	if n < 3 || n > 63 || maxDistanceFor(n, threshold) > 1 {
		return dst
	}
	t := n / 3
	return append(dst, hs.partKey(kindPartAB, r[:n-t], n), hs.partKey(kindPartBC, r[t:], n),
		hs.partKey2(r[:t], r[n-t:], n))
}

// mayBeNearHalves reports whether s could equal, or be similar at the threshold to, a string
// whose part keys are in f; it is only meaningful when every partner length can only match
// within one edit (maxDistanceFor(len(s)+1) <= 1).
func (hs hasher) mayBeNearHalves(f *bitFilter, s string, threshold float64) bool {
	var buf [64]rune
	r := toRunes(s, buf[:0])
	l := len(r)
	if l > 62 || l < 3 {
		return true
	}
	for n := l - 1; n <= l+1; n++ {
		if n != l && maxDistanceFor(max(l, n), threshold) == 0 {
			continue // only equal strings can match
		}
		t := n / 3
		if n-t <= l && f.has(hs.partKey(kindPartAB, r[:n-t], n)) ||
			n-t <= l && f.has(hs.partKey(kindPartBC, r[l-(n-t):], n)) ||
			f.has(hs.partKey2(r[:t], r[l-t:], n)) {
			return true
		}
	}
	return false
}
