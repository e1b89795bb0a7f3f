package intel

import (
	"errors"
	"hash/maphash"
	"iter"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// entry is what a feed says about one host. Indicator is the feed's own value (a URL, or the
// host itself), kept so an analyst sees exactly what the feed listed.
type entry struct {
	indicator  string
	threatType string
	firstSeen  int64 // Unix seconds; 0 when the feed does not say
}

// indicatorSet is one feed's loaded indicators. It is never modified after it is built, so
// lookups read it without locks while a refresh builds its successor.
//
// It holds no pointers per indicator: host names and indicators live back to back in one
// arena string, records point into it by offset, and the index maps a hash of the host to
// its record. A million indicators are then a few large allocations the garbage collector
// never has to scan, instead of millions of strings it would trace on every cycle.
type indicatorSet struct {
	seed    maphash.Seed
	index   map[uint64]uint32 // hash of host -> 1 + index of the first record with that hash
	records []record
	arena   string
	threats []string // threat types, by record.threat; threats[0] is ""
}

type record struct {
	host, indicator span
	firstSeen       int64
	threat          uint32
	next            uint32 // 1 + index of the next record with the same hash; 0 ends the chain
}

// span is a string in the arena.
type span struct{ off, n uint32 }

func (s *indicatorSet) len() int {
	if s == nil {
		return 0
	}
	return len(s.records)
}

func (s *indicatorSet) str(sp span) string { return s.arena[sp.off : sp.off+sp.n] }

// find returns the entry for host. Its strings share the set's arena.
func (s *indicatorSet) find(host string) (entry, bool) {
	for i := s.index[maphash.String(s.seed, host)]; i != 0; {
		r := &s.records[i-1]
		if s.str(r.host) == host {
			return s.entry(r), true
		}
		i = r.next
	}
	return entry{}, false
}

func (s *indicatorSet) entry(r *record) entry {
	return entry{indicator: s.str(r.indicator), threatType: s.threats[r.threat], firstSeen: r.firstSeen}
}

// all yields every host and its entry.
func (s *indicatorSet) all() iter.Seq2[string, entry] {
	return func(yield func(string, entry) bool) {
		if s == nil {
			return
		}
		for i := range s.records {
			r := &s.records[i]
			if !yield(s.str(r.host), s.entry(r)) {
				return
			}
		}
	}
}

// parseStats counts what a parse kept and what it skipped, so a feed's status can explain
// why it holds fewer indicators than it has lines.
type parseStats struct {
	Records    int `json:"records"`     // indicator records read (domain, URL or pattern)
	IPs        int `json:"skipped_ips"` // IP-address indicators: not names, so not loaded
	Invalid    int `json:"invalid"`     // records that hold no usable host name
	Suffixes   int `json:"public_suffixes"`
	Duplicates int `json:"duplicates"`
	Withdrawn  int `json:"withdrawn"` // STIX indicators revoked or past valid_until
}

// builder accumulates a new indicatorSet while a feed is parsed. Entries are collected in
// fixed-size chunks and indexed once at the end, so the index is allocated at its final size
// instead of growing (and rehashing) through a million inserts.
type builder struct {
	base         *indicatorSet    // TAXII: the set this refresh adds to
	pending      [][]pendingEntry // chunks of pendingChunk entries
	pendingCount int
	threatIndex  map[string]uint32 // interns threat types
	threats      []string
	stats        parseStats
	// recent finds an earlier pending entry of a host (1-based position, in a slot chosen by
	// the host's hash), so that repeated lines are merged while the feed streams in rather
	// than all held until set: a gzip bomb of one repeated line once buffered 1.44 GB. A
	// fixed table costs no growth on million-line feeds; what it misses, set still merges.
	seed   maphash.Seed
	recent *[recentSlots]uint32
}

const recentSlots = 1 << 16

const pendingChunk = 4096

type pendingEntry struct {
	host, indicator string
	firstSeen       int64
	threat          uint32
}

func newBuilder() *builder {
	return &builder{threatIndex: map[string]uint32{"": 0}, threats: []string{""}, seed: maphash.MakeSeed(), recent: new([recentSlots]uint32)}
}

// extendBuilder starts a builder from an existing set; TAXII refreshes add to what was
// collected before.
func extendBuilder(prev *indicatorSet) *builder {
	b := newBuilder()
	b.base = prev
	return b
}

// errSetTooLarge is the arena outgrowing its 32-bit offsets (4 GiB of names).
var errSetTooLarge = errors.New("indicator set exceeds 4 GiB of names")

// set indexes what was collected; when several indicators share a host the earliest
// sighting wins. It also completes stats.Duplicates, so read stats after calling it.
func (b *builder) set() (*indicatorSet, error) {
	for h, e := range b.base.all() {
		b.put(h, e.indicator, e.threatType, e.firstSeen)
	}
	size := 0
	for _, chunk := range b.pending {
		for _, p := range chunk {
			size += len(p.host)
			if p.indicator != p.host {
				size += len(p.indicator)
			}
		}
	}
	s := &indicatorSet{
		seed:    maphash.MakeSeed(),
		index:   make(map[uint64]uint32, b.pendingCount),
		records: make([]record, 0, b.pendingCount),
		threats: b.threats,
	}
	arena := make([]byte, 0, size)
	add := func(v string) (span, error) {
		if len(arena)+len(v) > math.MaxUint32 {
			return span{}, errSetTooLarge
		}
		sp := span{uint32(len(arena)), uint32(len(v))}
		arena = append(arena, v...)
		return sp, nil
	}
	for _, chunk := range b.pending {
	next:
		for _, p := range chunk {
			h := maphash.String(s.seed, p.host)
			for i := s.index[h]; i != 0; {
				r := &s.records[i-1]
				if string(arena[r.host.off:r.host.off+r.host.n]) == p.host {
					b.stats.Duplicates++
					if r.firstSeen != 0 && p.firstSeen != 0 && p.firstSeen < r.firstSeen {
						ind, err := add(p.indicator)
						if err != nil {
							return nil, err
						}
						r.indicator, r.firstSeen, r.threat = ind, p.firstSeen, p.threat
					}
					continue next
				}
				i = r.next
			}
			host, err := add(p.host)
			if err != nil {
				return nil, err
			}
			ind := host
			if p.indicator != p.host {
				if ind, err = add(p.indicator); err != nil {
					return nil, err
				}
			}
			s.records = append(s.records, record{host: host, indicator: ind, firstSeen: p.firstSeen, threat: p.threat, next: s.index[h]})
			s.index[h] = uint32(len(s.records))
		}
	}
	s.arena = string(arena)
	b.pending, b.pendingCount = nil, 0
	clear(b.recent[:])
	return s, nil
}

// result is a successful refresh of what was collected.
func (b *builder) result(state fetchState) (fetchResult, error) {
	set, err := b.set()
	if err != nil {
		return fetchResult{}, err
	}
	return fetchResult{set: set, state: state, stats: b.stats}, nil
}

func (b *builder) intern(threat string) uint32 {
	if i, ok := b.threatIndex[threat]; ok {
		return i
	}
	threat = strings.Clone(threat)
	i := uint32(len(b.threats))
	b.threats = append(b.threats, threat)
	b.threatIndex[threat] = i
	return i
}

// addHost records a domain or host-name indicator, or counts why it cannot.
func (b *builder) addHost(raw, threatType string, firstSeen time.Time) {
	b.stats.Records++
	host, kind := normalizeHost(raw)
	if kind != hostOK {
		b.count(kind)
		return
	}
	indicator := host
	if t := strings.TrimSpace(raw); t != host {
		indicator = t
	}
	b.putSeen(host, indicator, threatType, firstSeen)
}

// addURL records a URL indicator under its host, or counts why it cannot.
func (b *builder) addURL(raw, threatType string, firstSeen time.Time) {
	b.stats.Records++
	raw = strings.TrimSpace(raw)
	host, ok := urlHost(raw)
	if !ok {
		b.stats.Invalid++
		return
	}
	host, kind := normalizeHost(host)
	if kind != hostOK {
		b.count(kind)
		return
	}
	b.putSeen(host, raw, threatType, firstSeen)
}

func (b *builder) count(kind hostKind) {
	switch kind {
	case hostIP:
		b.stats.IPs++
	case hostSuffix:
		b.stats.Suffixes++
	default:
		b.stats.Invalid++
	}
}

// put collects one indicator, merging it into an earlier one of the same host (the earliest
// dated sighting wins, as in set, which resolves what a hash collision lets through).
func (b *builder) put(host, indicator, threatType string, firstSeen int64) {
	slot := &b.recent[maphash.String(b.seed, host)%recentSlots]
	if pos := *slot; pos != 0 {
		p := &b.pending[(pos-1)/pendingChunk][(pos-1)%pendingChunk]
		if p.host == host {
			b.stats.Duplicates++
			if p.firstSeen != 0 && firstSeen != 0 && firstSeen < p.firstSeen {
				p.indicator, p.firstSeen, p.threat = indicator, firstSeen, b.intern(threatType)
			}
			return
		}
	}
	*slot = uint32(b.pendingCount + 1)
	last := len(b.pending) - 1
	if last < 0 || len(b.pending[last]) == pendingChunk {
		b.pending = append(b.pending, make([]pendingEntry, 0, pendingChunk))
		last++
	}
	b.pending[last] = append(b.pending[last], pendingEntry{host: host, indicator: indicator, firstSeen: firstSeen, threat: b.intern(threatType)})
	b.pendingCount++
}

// putSeen is put with a first-seen time; the zero time means the feed does not say.
func (b *builder) putSeen(host, indicator, threatType string, firstSeen time.Time) {
	var unix int64
	if !firstSeen.IsZero() {
		unix = firstSeen.Unix()
	}
	b.put(host, indicator, threatType, unix)
}

// urlHost returns the host of a URL, accepting the scheme-less URLs some feeds list.
func urlHost(raw string) (string, bool) {
	if raw == "" || strings.ContainsAny(raw, " \t\r\n") {
		return "", false
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false
	}
	return u.Hostname(), true
}

type hostKind int

const (
	hostOK hostKind = iota
	hostInvalid
	hostIP
	hostSuffix
)

// normalizeHost turns a feed's host into the form certificates are matched in: lowercase
// ASCII (punycode), no trailing dot, no "*." wildcard. Public suffixes ("co.uk",
// "blogspot.com") are refused: they would flag every name registered under them, and
// refusing them here lets Lookup walk parents without consulting the suffix list.
func normalizeHost(raw string) (string, hostKind) {
	h := strings.TrimSpace(raw)
	h = strings.TrimSuffix(h, ".")
	h = strings.TrimPrefix(h, "*.")
	if h == "" {
		return "", hostInvalid
	}
	if mayBeIP(h) && (strings.HasPrefix(h, "[") || net.ParseIP(h) != nil) {
		return "", hostIP
	}
	if isASCII(h) {
		h = strings.ToLower(h)
		if !validASCIIHost(h) {
			return "", hostInvalid
		}
	} else {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil || !validASCIIHost(a) {
			return "", hostInvalid
		}
		h = a
	}
	if !strings.Contains(h, ".") {
		return "", hostInvalid
	}
	if ps, _ := publicsuffix.PublicSuffix(h); ps == h {
		return "", hostSuffix
	}
	return h, hostOK
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validASCIIHost accepts DNS names as they occur in certificates and feeds: letters, digits,
// hyphens and underscores, labels of 1 to 63 bytes, 253 bytes in all.
func validASCIIHost(h string) bool {
	if len(h) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

// mayBeIP is a cheap pre-check: an IP address ends in a digit (IPv4) or holds a colon (IPv6),
// while a host name's last label, a TLD, never is all digits.
func mayBeIP(h string) bool {
	last := h[len(h)-1]
	return last >= '0' && last <= '9' || last == ']' || strings.IndexByte(h, ':') >= 0
}
