package ctlog

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/certhunt/certhunt/internal/certs"
)

// Log answers are untrusted: decoding must return errors, never panic.

func FuzzDecodeRFC6962Entry(f *testing.F) {
	data, err := os.ReadFile("testdata/get-entries-x509-letsencrypt-2018.json")
	if err != nil {
		f.Fatal(err)
	}
	var answer getEntriesJSON
	if err := json.Unmarshal(data, &answer); err != nil {
		f.Fatal(err)
	}
	for _, e := range answer.Entries {
		f.Add(e.LeafInput, e.ExtraData)
	}
	f.Fuzz(func(t *testing.T, leaf, extra []byte) {
		e, err := decodeRFC6962Entry(certs.LogRef{}, 0, leaf, extra)
		if err == nil && len(e.DER) == 0 {
			t.Error("decoded an entry without a certificate")
		}
	})
}

func FuzzReadTileLeaf(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(navigliDir, "tile/data/000"))
	if err != nil {
		f.Fatal(err)
	}
	s := cryptobyte.String(data)
	for range 3 {
		start := s
		if _, err := readTileLeaf(&s); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(start[:len(start)-len(s)]))
	}
	f.Fuzz(func(t *testing.T, tile []byte) {
		s := cryptobyte.String(tile)
		for i := int64(0); !s.Empty(); i++ {
			l, err := readTileLeaf(&s)
			if err != nil {
				return
			}
			l.toEntry(certs.LogRef{}, i)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	info, err := NewLogInfo("fuzz", "https://log.example/", TypeStatic, der)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— log.example AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"))
	f.Add([]byte("log.example\n-1\n\n\n"))
	f.Fuzz(func(t *testing.T, signed []byte) {
		if _, err := openCheckpoint(info, signed); err == nil {
			t.Error("a checkpoint verified without a signature by the log's key")
		}
	})
}
