package ctlog

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"golang.org/x/mod/sumdb/tlog"
)

// The compact range's root equals tlog's tree hash at every size, and the left siblings of
// an audit path are the compact range below its leaf.
func TestCompactRange(t *testing.T) {
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			out[i] = stored[x]
		}
		return out, nil
	})
	var leaves []tlog.Hash
	var c compactRange
	const n = 300
	for i := range int64(n) {
		h := tlog.RecordHash([]byte{byte(i), byte(i >> 8)})
		hashes, err := tlog.StoredHashesForRecordHash(i, h, reader)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hashes...)
		leaves = append(leaves, h)
		c.append(h)
		want, err := tlog.TreeHash(i+1, reader)
		if err != nil {
			t.Fatal(err)
		}
		if c.root() != want {
			t.Fatalf("root of %d leaves differs from tlog's", i+1)
		}
	}
	for _, size := range []int64{1, 2, 3, 7, 8, 9, 100, 256, 257, n} {
		var below compactRange
		for m := range size {
			proof, err := tlog.ProveRecord(size, m, reader)
			if err != nil {
				t.Fatal(err)
			}
			lefts, err := leftSiblings(m, size, proof)
			if err != nil {
				t.Fatal(err)
			}
			if !below.equal(lefts) {
				t.Fatalf("left siblings of leaf %d in tree %d are not the compact range below it", m, size)
			}
			below.append(leaves[m])
		}
	}
	if _, err := leftSiblings(5, 300, make([]tlog.Hash, 3)); err == nil {
		t.Error("a short audit path was accepted")
	}
	if _, err := leftSiblings(5, 300, make([]tlog.Hash, 12)); err == nil {
		t.Error("a long audit path was accepted")
	}
}

// BenchmarkVerifyTiles measures what verification adds per entry to decoding the real
// data tiles (compare BenchmarkDecodeTiles and BenchmarkDecodeAndParseTiles): the leaf
// hashes and their check through the hash tiles to the root, the upper tile cached as a
// follower's is.
func BenchmarkVerifyTiles(b *testing.B) {
	var tiles [][]byte
	for _, name := range []string{"000", "001", "002", "003"} {
		data, err := os.ReadFile(filepath.Join(navigliDir, "tile/data", name))
		if err != nil {
			b.Fatal(err)
		}
		tiles = append(tiles, data)
	}
	h := sha256.New()
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			out[i] = stored[x]
		}
		return out, nil
	})
	n := int64(0)
	for _, data := range tiles {
		s := cryptobyte.String(data)
		for !s.Empty() {
			l, err := readTileLeaf(&s)
			if err != nil {
				b.Fatal(err)
			}
			hashes, err := tlog.StoredHashesForRecordHash(n, leafHash(h, l.raw), reader)
			if err != nil {
				b.Fatal(err)
			}
			stored = append(stored, hashes...)
			n++
		}
	}
	root, err := tlog.TreeHash(n, reader)
	if err != nil {
		b.Fatal(err)
	}
	upper := tlog.Tile{H: tileHeight, L: 1, N: 0, W: int(n / TileWidth)}
	upperData, err := tlog.ReadTileData(upper, reader)
	if err != nil {
		b.Fatal(err)
	}
	checker := &staticChecker{cache: map[tlog.Tile][]byte{upper: upperData}}
	th := TreeHead{Size: n, RootHash: root}
	entries := 0
	for b.Loop() {
		for t, data := range tiles {
			s := cryptobyte.String(data)
			hashes := make([][32]byte, 0, TileWidth)
			for !s.Empty() {
				l, err := readTileLeaf(&s)
				if err != nil {
					b.Fatal(err)
				}
				hashes = append(hashes, leafHash(h, l.raw))
			}
			if _, err := checker.entries(context.Background(), int64(t*TileWidth), hashes, th); err != nil {
				b.Fatal(err)
			}
			entries += len(hashes)
		}
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}
