// Package labelstats learns from the CT names certhunt reads how common each host label is:
// how many distinct registered domains use it left of their registered label ("www", "img",
// "autodiscover" under millions; "paypa1" under one). A lookalike match on a label thousands
// of unrelated domains use is weak evidence, whatever it resembles.
//
// The counts live in a count-min sketch (fixed memory, never undercounts); a pair of rotating
// Bloom filters remembers which (label, registered domain) pairs were counted already, so a
// domain that issues a certificate a minute counts once. A seed table built from real CT names
// (seed.txt, `go generate`) gives a fresh install sensible counts before it has read anything.
package labelstats

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/certhunt/certhunt/internal/names"
)

//go:generate go run ./internal/seedgen -o seed.txt ../detect/testdata/navigli-names

//go:embed seed.txt
var seedTable string

const (
	depth = 4
	width = 1 << 18 // counters a row: 4 MiB in all
	// pairsPerGeneration is how many pairs one Bloom filter remembers (1% false positives)
	// before the older one is dropped: counting a pair again after millions of others only
	// ages the counts slowly upward.
	pairsPerGeneration = 4 << 20
)

// Sketch counts distinct registered domains per label. Observe and Domains are safe for
// concurrent use; Domains takes no lock.
type Sketch struct {
	counters [depth][]atomic.Uint32

	mu       sync.Mutex
	cur, old *bloom.BloomFilter
	inCur    int
}

// New returns a sketch holding the seed table's counts.
func New() *Sketch {
	s := &Sketch{}
	for r := range s.counters {
		s.counters[r] = make([]atomic.Uint32, width)
	}
	s.cur = bloom.NewWithEstimates(pairsPerGeneration, 0.01)
	s.old = bloom.NewWithEstimates(pairsPerGeneration, 0.01)
	sc := bufio.NewScanner(strings.NewReader(seedTable))
	for sc.Scan() {
		label, count, ok := strings.Cut(sc.Text(), "\t")
		if n, err := strconv.ParseUint(count, 10, 32); ok && err == nil {
			s.add(label, uint32(n))
		}
	}
	return s
}

// slots are label's counter in each row: double hashing of one stable 64-bit hash (FNV-1a),
// the same in every run so that a saved sketch reads back.
func slots(label string) (out [depth]uint32) {
	h := fnv.New64a()
	h.Write([]byte(label))
	sum := h.Sum64()
	h1, h2 := uint32(sum), uint32(sum>>32)|1
	for r := range out {
		out[r] = (h1 + uint32(r)*h2) % width
	}
	return out
}

func (s *Sketch) add(label string, n uint32) {
	for r, i := range slots(label) {
		c := &s.counters[r][i]
		for {
			old := c.Load()
			sum := old + n
			if sum < old {
				sum = ^uint32(0) // saturate
			}
			if c.CompareAndSwap(old, sum) {
				break
			}
		}
	}
}

// Observe counts each label left of n's registered label once per registered domain.
func (s *Sketch) Observe(n names.Name) {
	reg := len(n.Labels) - n.SuffixLabels() - 1
	if reg <= 0 {
		return
	}
	var buf [128]byte
	for _, l := range n.Labels[:reg] {
		pair := append(append(append(buf[:0], l...), 0), n.RegisteredDomain...)
		if s.seen(pair) {
			continue
		}
		s.add(l, 1)
	}
}

// seen reports whether pair was counted already, and remembers it.
func (s *Sketch) seen(pair []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.old.Test(pair) {
		return true
	}
	if s.cur.TestAndAdd(pair) {
		return true
	}
	if s.inCur++; s.inCur >= pairsPerGeneration {
		s.old, s.cur, s.inCur = s.cur, s.old.ClearAll(), 0
	}
	return false
}

// Domains is about how many distinct registered domains use label left of their registered
// label (never fewer than the true count).
func (s *Sketch) Domains(label string) uint32 {
	m := ^uint32(0)
	for r, i := range slots(label) {
		m = min(m, s.counters[r][i].Load())
	}
	return m
}

const magic = "certhunt-labelstats-1\n"

// write writes the sketch: counters and both pair filters.
func (s *Sketch) write(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriter(w)
	bw.WriteString(magic)
	var b [4]byte
	for r := range s.counters {
		for i := range s.counters[r] {
			binary.LittleEndian.PutUint32(b[:], s.counters[r][i].Load())
			bw.Write(b[:])
		}
	}
	binary.LittleEndian.PutUint32(b[:], uint32(s.inCur))
	bw.Write(b[:])
	if _, err := s.cur.WriteTo(bw); err != nil {
		return err
	}
	if _, err := s.old.WriteTo(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// read replaces the sketch's state with one written by write.
func (s *Sketch) read(r io.Reader) error {
	br := bufio.NewReader(r)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return errors.New("not a certhunt label statistics file")
	}
	counts := make([][]uint32, depth)
	var b [4]byte
	for row := range counts {
		counts[row] = make([]uint32, width)
		for i := range counts[row] {
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return fmt.Errorf("label statistics truncated: %w", err)
			}
			counts[row][i] = binary.LittleEndian.Uint32(b[:])
		}
	}
	if _, err := io.ReadFull(br, b[:]); err != nil {
		return fmt.Errorf("label statistics truncated: %w", err)
	}
	inCur := int(binary.LittleEndian.Uint32(b[:]))
	cur, old := &bloom.BloomFilter{}, &bloom.BloomFilter{}
	if _, err := cur.ReadFrom(br); err != nil {
		return fmt.Errorf("label statistics: pair filter: %w", err)
	}
	if _, err := old.ReadFrom(br); err != nil {
		return fmt.Errorf("label statistics: pair filter: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for row := range counts {
		for i, c := range counts[row] {
			s.counters[row][i].Store(c)
		}
	}
	s.cur, s.old, s.inCur = cur, old, min(inCur, pairsPerGeneration)
	return nil
}

// FileName is the sketch's file in the data directory.
const FileName = "labelstats.bin"

// Load reads the sketch saved in dir, or returns the seeded one when there is none yet. A
// damaged file is an error that names it; the caller may start from the seed instead.
func Load(dir string) (*Sketch, error) {
	s := New()
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := s.read(bytes.NewReader(b)); err != nil {
		// read changes s only once the whole file has parsed: s is still the seeded sketch
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, FileName), err)
	}
	return s, nil
}

// Save writes the sketch to dir atomically (a temporary file renamed over the old one).
func (s *Sketch) Save(dir string) error {
	tmp, err := os.CreateTemp(dir, FileName+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := s.write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, FileName))
}
