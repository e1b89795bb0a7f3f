package ctlogtest

import (
	"golang.org/x/mod/sumdb/tlog"

	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/testcert"
)

func TestParseTilePath(t *testing.T) {
	for _, tc := range []struct {
		n     int64
		width int
	}{{0, 256}, {3, 10}, {1234, 256}, {1234067, 1}} {
		p := ctlog.TilePath(tc.n, tc.width)
		n, w, ok := parseTilePath(p[len("tile/data/"):])
		if !ok || n != tc.n || w != tc.width {
			t.Errorf("%s: parsed %d, %d, %v", p, n, w, ok)
		}
	}
	for _, bad := range []string{"1", "001/002", "x001", "000.p/0", "000.p/256", "000.p/x", "0001"} {
		if _, _, ok := parseTilePath(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestAddRejectsBadEntries(t *testing.T) {
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ca.Pair([]string{"x.example"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, err := NewStatic()
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	for name, e := range map[string]Entry{
		"both":              {Cert: p.Final, Precert: p.Precert, Chain: ca.Chain()},
		"neither":           {Chain: ca.Chain()},
		"precert no issuer": {Precert: p.Precert},
		"precert no poison": {Precert: p.Final, Chain: ca.Chain()},
	} {
		if _, err := log.Add(e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if log.Size() != 0 {
		t.Errorf("size %d after rejected entries", log.Size())
	}
	dir, err := NewStaticDir("testdata/navigli2025h2")
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if dir.Size() != 1024 {
		t.Errorf("navigli size %d, want 1024", dir.Size())
	}
	if _, err := dir.Add(Entry{Cert: p.Final}); err == nil {
		t.Error("directory log accepted an entry")
	}
	if _, err := NewStaticDir(t.TempDir()); err == nil {
		t.Error("empty directory accepted")
	}
}

// RFC 6962 Merkle tree hashes of the reference test leaves used by certificate-transparency
// implementations.
func TestMerkleRoot(t *testing.T) {
	leaves := []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	roots := map[int]string{
		1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	var hashes [][32]byte
	for _, l := range leaves {
		data, _ := hex.DecodeString(l)
		hashes = append(hashes, sha256.Sum256(append([]byte{0}, data...)))
	}
	for n, want := range roots {
		if got := treeRoot(t, hashes[:n]); hex.EncodeToString(got[:]) != want {
			t.Errorf("root of %d leaves = %x, want %s", n, got, want)
		}
	}
}

// treeRoot is the RFC 6962 root of hashes as the log computes it (tlog's stored hashes).
func treeRoot(t *testing.T, hashes [][32]byte) [32]byte {
	l := &Log{}
	for _, h := range hashes {
		if err := l.appendHashLocked(h); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tlog.TreeHash(int64(len(hashes)), l.hashReader())
	if err != nil {
		t.Fatal(err)
	}
	return root
}
