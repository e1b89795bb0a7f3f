package certstream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

var testLog = certs.LogRef{Name: "Test Log 2026", URL: "https://ct.example.test/2026", Type: "rfc6962"}

// issued returns a parsed real certificate (or precertificate) for names with the test CA's
// chain, as the pipeline would hand it to Hub.Publish.
func issued(t testing.TB, names []string, precert bool, index int64) *certs.Cert {
	t.Helper()
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := certs.Entry{
		Log:       testLog,
		Index:     index,
		Timestamp: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(index) * time.Millisecond),
		Type:      certs.X509,
		Chain:     ca.Chain(),
	}
	if precert {
		e.Type = certs.Precert
		e.DER, _, err = ca.Precert(names, testcert.Options{Organization: "Test Org"})
	} else {
		e.DER, err = ca.Issue(names, testcert.Options{Organization: "Test Org"})
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := certs.Parse(&e)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collect reads batches from out until want entries and wantMalformed records arrived or the
// deadline passes.
func collect(t *testing.T, out <-chan source.Batch, want, wantMalformed int) ([]certs.Entry, []source.Malformed) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var entries []certs.Entry
	var malformed []source.Malformed
	for len(entries) < want || len(malformed) < wantMalformed {
		select {
		case b := <-out:
			if b.Commit != nil {
				t.Error("certstream batches must not carry a Commit")
			}
			entries = append(entries, b.Entries...)
			malformed = append(malformed, b.Malformed...)
		case <-ctx.Done():
			t.Fatalf("got %d entries and %d malformed, want %d and %d", len(entries), len(malformed), want, wantMalformed)
		}
	}
	return entries, malformed
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func wsURL(httpURL string) string {
	return "ws" + strings.TrimPrefix(httpURL, "http")
}
