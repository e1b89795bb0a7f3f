package ctlog

import (
	"testing"

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
