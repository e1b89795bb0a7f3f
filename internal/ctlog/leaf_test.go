package ctlog

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/certhunt/certhunt/internal/certs"
)

const navigliDir = "ctlogtest/testdata/navigli2025h2"

// readNavigliTile returns the leaves of one real data tile.
func readNavigliTile(t testing.TB, name string) []tileLeaf {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(navigliDir, "tile/data", name))
	if err != nil {
		t.Fatal(err)
	}
	var leaves []tileLeaf
	s := cryptobyte.String(data)
	for !s.Empty() {
		l, err := readTileLeaf(&s)
		if err != nil {
			t.Fatalf("tile %s entry %d: %v", name, len(leaves), err)
		}
		leaves = append(leaves, l)
	}
	return leaves
}

// The decoder reads the real tiles exactly as the log hashed them: every leaf's RFC 6962
// leaf hash equals the log's own level-0 hash tile.
func TestTileLeavesMatchLogHashes(t *testing.T) {
	for tile, name := range []string{"000", "001", "002", "003"} {
		leaves := readNavigliTile(t, name)
		if len(leaves) != TileWidth {
			t.Fatalf("tile %s: %d leaves, want %d", name, len(leaves), TileWidth)
		}
		hashes, err := os.ReadFile(filepath.Join(navigliDir, "tile/0", name))
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range leaves {
			h := sha256.New()
			h.Write([]byte{0, 0, 0})
			h.Write(l.raw)
			if !bytes.Equal(h.Sum(nil), hashes[i*32:i*32+32]) {
				t.Errorf("tile %s leaf %d: hash differs from the log's hash tile", name, i)
			}
			index := int64(tile*TileWidth + i)
			e, err := l.toEntry(certs.LogRef{Name: "navigli"}, index)
			if err != nil {
				t.Fatalf("tile %s leaf %d: %v", name, i, err)
			}
			if e.Index != index || len(e.DER) == 0 || (e.Type == certs.Precert) != (len(e.TBS) > 0) {
				t.Errorf("entry %d: index %d, %d DER bytes, type %s, %d TBS bytes", index, e.Index, len(e.DER), e.Type, len(e.TBS))
			}
			if len(l.fingerprints) == 0 {
				t.Errorf("entry %d: no chain fingerprints", index)
			}
		}
	}
}

func TestLeafIndexMismatchIsAnEntryError(t *testing.T) {
	leaves := readNavigliTile(t, "001")
	if _, err := leaves[3].toEntry(certs.LogRef{}, 3); err == nil {
		t.Error("leaf 259 read at position 3: want a leaf_index mismatch error")
	}
	if _, err := leafIndex([]byte{0, 0, 3, 1, 2, 3}); err == nil {
		t.Error("3-byte leaf_index: want an error")
	}
	if _, err := leafIndex(nil); err == nil {
		t.Error("no extensions: want an error")
	}
	if got, err := leafIndex([]byte{7, 0, 1, 9, 0, 0, 5, 1, 0, 0, 0, 2}); err != nil || got != 1<<32|2 {
		t.Errorf("leafIndex after an unknown extension = %d, %v; want %d", got, err, int64(1<<32|2))
	}
}

func TestTruncatedTileLeaf(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(navigliDir, "tile/data/000"))
	if err != nil {
		t.Fatal(err)
	}
	s := cryptobyte.String(data[:100])
	if _, err := readTileLeaf(&s); err == nil {
		t.Error("want an error for a cut leaf")
	}
}

func TestDecodeRealGetEntries(t *testing.T) {
	data, err := os.ReadFile("testdata/get-entries-x509-letsencrypt-2018.json")
	if err != nil {
		t.Fatal(err)
	}
	var answer getEntriesJSON
	if err := json.Unmarshal(data, &answer); err != nil {
		t.Fatal(err)
	}
	if len(answer.Entries) == 0 {
		t.Fatal("fixture has no entries")
	}
	for i, item := range answer.Entries {
		e, err := decodeRFC6962Entry(certs.LogRef{Name: "le"}, int64(i), item.LeafInput, item.ExtraData)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		c, err := x509.ParseCertificate(e.DER)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if len(e.Chain) == 0 {
			t.Errorf("entry %d: no chain", i)
		} else if issuer, err := x509.ParseCertificate(e.Chain[0]); err != nil || c.CheckSignatureFrom(issuer) != nil {
			t.Errorf("entry %d: chain[0] is not the issuer (%v)", i, err)
		}
		if e.Type != certs.X509 || e.Timestamp.Year() != 2018 {
			t.Errorf("entry %d: type %s, time %v", i, e.Type, e.Timestamp)
		}
	}
	item := answer.Entries[0]
	for _, bad := range [][2][]byte{
		{item.LeafInput[:20], item.ExtraData},
		{append([]byte{1}, item.LeafInput[1:]...), item.ExtraData},
		{item.LeafInput, item.ExtraData[:10]},
		{append(append([]byte(nil), item.LeafInput...), 0), item.ExtraData},
	} {
		if _, err := decodeRFC6962Entry(certs.LogRef{}, 0, bad[0], bad[1]); err == nil {
			t.Error("want an error for a damaged entry")
		}
	}
}

// An item that is not valid JSON base64 is recorded as malformed; the rest of the answer
// is read. An answer that is not get-entries JSON at all is a decode error.
func TestDecodeGetEntriesWithABadItem(t *testing.T) {
	data, err := os.ReadFile("testdata/get-entries-x509-letsencrypt-2018.json")
	if err != nil {
		t.Fatal(err)
	}
	var answer getEntriesJSON
	if err := json.Unmarshal(data, &answer); err != nil {
		t.Fatal(err)
	}
	good, err := json.Marshal(answer.Entries[0])
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"entries":[` + string(good) + `,{"leaf_input":"!!notbase64","extra_data":""},` + string(good) + `]}`)
	b, n, err := decodeGetEntries(certs.LogRef{Name: "x"}, span{10, 20}, body)
	if err != nil || n != 3 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	if len(b.Entries) != 2 || b.Entries[0].Index != 10 || b.Entries[1].Index != 12 {
		t.Errorf("entries %+v", b.Entries)
	}
	if len(b.Malformed) != 1 || b.Malformed[0].Index != 11 || !strings.Contains(b.Malformed[0].Err, "base64") {
		t.Errorf("malformed %+v", b.Malformed)
	}
	for _, bad := range []string{`{"entries":[`, `{"entries":[]}`, `[]`, `<html>`} {
		if _, _, err := decodeGetEntries(certs.LogRef{}, span{0, 5}, []byte(bad)); errorKind(err) != KindDecode {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

func TestTilePath(t *testing.T) {
	for _, tc := range []struct {
		n     int64
		width int
		want  string
	}{
		{0, 256, "tile/data/000"},
		{3, 10, "tile/data/003.p/10"},
		{1234, 256, "tile/data/x001/234"},
		{1234067, 256, "tile/data/x001/x234/067"},
		{1000, 5, "tile/data/x001/000.p/5"},
	} {
		if got := TilePath(tc.n, tc.width); got != tc.want {
			t.Errorf("TilePath(%d, %d) = %q, want %q", tc.n, tc.width, got, tc.want)
		}
	}
}

func signTreeHead(t *testing.T, sign func(digest []byte) []byte, sigAlg uint8, msg []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(msg)
	var b cryptobyte.Builder
	b.AddUint8(hashSHA256)
	b.AddUint8(sigAlg)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sign(digest[:])) })
	return b.BytesOrPanic()
}

func TestVerifySTHWithRSAAndECDSA(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	root := sha256.Sum256([]byte("root"))
	msg := treeHeadSignatureInput(1700000000000, 42, root)
	rsaSig := signTreeHead(t, func(d []byte) []byte {
		s, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, sigAlgRSA, msg)
	ecSig := signTreeHead(t, func(d []byte) []byte {
		s, err := ecdsa.SignASN1(rand.Reader, ecKey, d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, sigAlgECDSA, msg)
	for _, tc := range []struct {
		name string
		key  any
		sig  []byte
		ok   bool
	}{
		{"rsa", &rsaKey.PublicKey, rsaSig, true},
		{"ecdsa", &ecKey.PublicKey, ecSig, true},
		{"ecdsa signature, rsa key", &rsaKey.PublicKey, ecSig, false},
		{"rsa signature, ecdsa key", &ecKey.PublicKey, rsaSig, false},
	} {
		sth := sthJSON{TreeSize: 42, Timestamp: 1700000000000, SHA256RootHash: root[:], TreeHeadSignature: tc.sig}
		th, err := sth.verify(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
		}
		if tc.ok && th.Size != 42 {
			t.Errorf("%s: size %d", tc.name, th.Size)
		}
		if !tc.ok && errorKind(err) != KindSignature {
			t.Errorf("%s: error kind %s, want %s", tc.name, errorKind(err), KindSignature)
		}
	}
	tampered := sthJSON{TreeSize: 43, Timestamp: 1700000000000, SHA256RootHash: root[:], TreeHeadSignature: ecSig}
	if _, err := tampered.verify(&ecKey.PublicKey); err == nil {
		t.Error("an STH with a changed size verified")
	}
}

// BenchmarkDecodeTiles measures decoding the real data tiles into entries.
func BenchmarkDecodeTiles(b *testing.B) { benchmarkTiles(b, false) }

// BenchmarkDecodeAndParseTiles is issue 2's "decode and parse" figure: the real data tiles
// decoded into entries and every entry parsed by certs.Parse (run with -cpu 1 for per core).
func BenchmarkDecodeAndParseTiles(b *testing.B) { benchmarkTiles(b, true) }

func benchmarkTiles(b *testing.B, parse bool) {
	var tiles [][]byte
	for _, name := range []string{"000", "001", "002", "003"} {
		data, err := os.ReadFile(filepath.Join(navigliDir, "tile/data", name))
		if err != nil {
			b.Fatal(err)
		}
		tiles = append(tiles, data)
	}
	ref := certs.LogRef{Name: "navigli"}
	entries := 0
	for b.Loop() {
		for t, data := range tiles {
			s := cryptobyte.String(data)
			for i := 0; !s.Empty(); i++ {
				l, err := readTileLeaf(&s)
				if err != nil {
					b.Fatal(err)
				}
				e, err := l.toEntry(ref, int64(t*TileWidth+i))
				if err != nil {
					b.Fatal(err)
				}
				if parse {
					if _, err := certs.Parse(&e); err != nil {
						b.Fatal(err)
					}
				}
				entries++
			}
		}
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkDecodeGetEntries measures decoding a 1,024-entry get-entries answer (JSON,
// base64, leaves and chains) built from the real Let's Encrypt entries.
func BenchmarkDecodeGetEntries(b *testing.B) {
	data, err := os.ReadFile("testdata/get-entries-x509-letsencrypt-2018.json")
	if err != nil {
		b.Fatal(err)
	}
	var answer getEntriesJSON
	if err := json.Unmarshal(data, &answer); err != nil {
		b.Fatal(err)
	}
	var big getEntriesJSON
	for len(big.Entries) < 1024 {
		big.Entries = append(big.Entries, answer.Entries...)
	}
	big.Entries = big.Entries[:1024]
	body, err := json.Marshal(big)
	if err != nil {
		b.Fatal(err)
	}
	entries := 0
	for b.Loop() {
		batch, n, err := decodeGetEntries(certs.LogRef{}, span{0, 1024}, body)
		if err != nil || n != 1024 || len(batch.Entries) != 1024 {
			b.Fatalf("decoded %d of %d: %v", len(batch.Entries), n, err)
		}
		entries += int(n)
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}
