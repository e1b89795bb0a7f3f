package certs

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// tileEntries decodes a static-ct-api data tile (a run of TileLeaf structures) just far enough
// to build entries. The production decoder lives in internal/ctlog; this one keeps the tests
// independent of it.
func tileEntries(t testing.TB, path string) []Entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeTile(t, path, data)
}

func decodeTile(t testing.TB, path string, data []byte) []Entry {
	t.Helper()
	in := cryptobyte.String(data)
	var out []Entry
	for !in.Empty() {
		var ts uint64
		var entryType uint16
		e := Entry{Log: LogRef{Name: "navigli2025h2", Type: "static"}, Index: int64(len(out))}
		if !in.ReadUint64(&ts) || !in.ReadUint16(&entryType) {
			t.Fatalf("%s: entry %d: truncated header", path, len(out))
		}
		e.Timestamp = time.UnixMilli(int64(ts)).UTC()
		var leafCert, exts, chain cryptobyte.String
		switch entryType {
		case 0:
			e.Type = X509
			if !in.ReadUint24LengthPrefixed(&leafCert) {
				t.Fatalf("%s: entry %d: bad certificate", path, len(out))
			}
			e.DER = leafCert
		case 1:
			e.Type = Precert
			var tbs cryptobyte.String
			if !in.Skip(32) || !in.ReadUint24LengthPrefixed(&tbs) {
				t.Fatalf("%s: entry %d: bad precert", path, len(out))
			}
			e.TBS = tbs
		default:
			t.Fatalf("%s: entry %d: entry type %d", path, len(out), entryType)
		}
		if !in.ReadUint16LengthPrefixed(&exts) {
			t.Fatalf("%s: entry %d: bad extensions", path, len(out))
		}
		if e.Type == Precert {
			var pre cryptobyte.String
			if !in.ReadUint24LengthPrefixed(&pre) {
				t.Fatalf("%s: entry %d: bad pre_certificate", path, len(out))
			}
			e.DER = pre
		}
		if !in.ReadUint16LengthPrefixed(&chain) {
			t.Fatalf("%s: entry %d: bad chain fingerprints", path, len(out))
		}
		out = append(out, e)
	}
	return out
}

// tileNames is one line of a names tile: what the log operator extracted from the entry.
type tileNames struct {
	Timestamp int64
	Subject   struct{ CommonName string }
	DNS       []string
}

func readTileNames(t testing.TB, path string) []tileNames {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tileNames
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for sc.Scan() {
		var n tileNames
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
			t.Fatalf("%s line %d: %v", path, len(out)+1, err)
		}
		out = append(out, n)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// allTileEntries returns the 1,024 real entries of the navigli data tiles.
func allTileEntries(t testing.TB) []Entry {
	t.Helper()
	paths, err := filepath.Glob("testdata/navigli/data/*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no data tiles: %v", err)
	}
	var all []Entry
	for _, p := range paths {
		all = append(all, tileEntries(t, p)...)
	}
	for i := range all {
		all[i].Index = int64(i)
	}
	return all
}

// rfc6962Entry decodes the x509 certificate from the first leaf_input of a get-entries answer.
func rfc6962Entry(t testing.TB, path string) Entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Entries []struct {
			LeafInput string `json:"leaf_input"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Entries) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	leaf, err := base64.StdEncoding.DecodeString(answer.Entries[0].LeafInput)
	if err != nil {
		t.Fatal(err)
	}
	in := cryptobyte.String(leaf)
	var version, leafType uint8
	var ts uint64
	var entryType uint16
	var der cryptobyte.String
	if !in.ReadUint8(&version) || !in.ReadUint8(&leafType) || !in.ReadUint64(&ts) ||
		!in.ReadUint16(&entryType) || entryType != 0 || !in.ReadUint24LengthPrefixed(&der) {
		t.Fatalf("%s: leaf_input is not an x509 MerkleTreeLeaf", path)
	}
	return Entry{
		Log:       LogRef{Name: "letsencrypt", URL: "https://ct.example/", Type: "rfc6962"},
		Index:     42,
		Timestamp: time.UnixMilli(int64(ts)).UTC(),
		Type:      X509,
		DER:       der,
	}
}
