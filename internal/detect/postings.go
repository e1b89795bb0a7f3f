package detect

import (
	"hash/maphash"
	"slices"
)

// postings is a compact immutable multimap from 64-bit key hashes to asset numbers, built for
// millions of entries: one sorted []uint64 (hash in the high bits, asset in the low assetBits)
// and a directory over the top hash bits (about eight entries, one cache line, a bucket), so
// that a lookup is two memory reads and no pointer
// chasing; a one-probe Bloom filter of 16 bits a key answers most misses with one read. Hash
// collisions are harmless: every candidate is verified by the caller.
type postings struct {
	entries []uint64
	dir     []uint32
	shift   uint
	filter  []uint64
	mask    uint64
}

const assetBits = 24 // up to 16,777,216 assets

type postingsBuilder struct{ entries []uint64 }

func (b *postingsBuilder) grow(n int) { b.entries = slices.Grow(b.entries, n) }

func (b *postingsBuilder) add(h uint64, asset int) {
	b.entries = append(b.entries, h&^(1<<assetBits-1)|uint64(asset))
}

// build groups the entries by directory bucket by sorting them in place (no second array of
// this size). Duplicate entries are tolerated (callers deduplicate).
func (b *postingsBuilder) build() postings {
	e := slices.Clip(b.entries)
	b.entries = nil
	bits := uint(4)
	for 1<<bits < len(e)/8 && bits < 28 { // about one cache line of entries a bucket
		bits++
	}
	p := postings{entries: e, shift: 64 - bits, dir: make([]uint32, 1<<bits+1)}
	filterBits := uint64(64)
	for filterBits < uint64(len(e))*16 {
		filterBits <<= 1
	}
	p.filter, p.mask = make([]uint64, filterBits/64), filterBits-1
	for _, v := range e {
		p.dir[v>>p.shift+1]++
		f := filterBit(v, p.mask)
		p.filter[f/64] |= 1 << (f % 64)
	}
	for i := 1; i < len(p.dir); i++ {
		p.dir[i] += p.dir[i-1]
	}
	slices.Sort(e) // in place: sorted by hash is grouped by bucket
	return p
}

func filterBit(h, mask uint64) uint64 { return (h >> assetBits) * 0x9E3779B97F4A7C15 >> 20 & mask }

// each calls fn with every asset stored under h.
func (p *postings) each(h uint64, fn func(asset int)) {
	if len(p.entries) == 0 {
		return
	}
	if f := filterBit(h, p.mask); p.filter[f/64]&(1<<(f%64)) == 0 {
		return
	}
	key := h &^ (1<<assetBits - 1)
	bucket := h >> p.shift
	for _, v := range p.entries[p.dir[bucket]:p.dir[bucket+1]] {
		if v&^(1<<assetBits-1) == key {
			fn(int(v & (1<<assetBits - 1)))
		}
	}
}

// hasher hashes strings, and the strings made by deleting one rune, as polynomials over their
// runes, so that every one-rune deletion of a label costs O(1) after one pass over it.
type hasher struct{ base, seed uint64 }

func newHasher() hasher {
	s := maphash.MakeSeed()
	return hasher{base: maphash.String(s, "base") | 1, seed: maphash.String(s, "seed")}
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

// appendDeletions appends to dst the kindDeletion hashes of s and of every string one rune
// shorter (s itself first), without allocating when dst has room.
func (hs hasher) appendDeletions(dst []uint64, s string) []uint64 {
	hs.deletions(kindDeletion, s, 1, func(k uint64) { dst = append(dst, k) })
	return dst
}

// deletions calls fn with the hash of s and, up to radius, of every string made by deleting
// runes from it. Radius 2 allocates and is meant for building.
func (hs hasher) deletions(kind byte, s string, radius int, fn func(uint64)) {
	var rbuf [64]rune
	r := toRunes(s, rbuf[:0])
	n := len(r)
	if radius == 0 || n == 0 || n > 63 {
		fn(hs.str(kind, s))
		return
	}
	var pre, suf, pow [65]uint64
	pow[0] = 1
	for i := range n {
		pre[i+1] = pre[i]*hs.base + uint64(r[i])
		pow[i+1] = pow[i] * hs.base
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
