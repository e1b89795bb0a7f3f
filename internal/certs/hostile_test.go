package certs

import (
	"errors"
	"flag"
	"testing"
)

// parseCostPerByte measures Parse's time per input byte with testing.Benchmark; only ratios of
// two such figures are compared, never a wall-clock threshold.
func parseCostPerByte(t *testing.T, tbs []byte) float64 {
	// A tenth of a second per measurement is plenty for a ratio of 50.
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	bt.Value.Set("100ms")
	defer bt.Value.Set(old)
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			Parse(&Entry{Type: Precert, TBS: tbs})
		}
	})
	return float64(r.NsPerOp()) / float64(len(tbs))
}

// Hostile certificates cost, per byte, about what a normal one does: the duplicate-extension
// and repeated-attribute checks are linear, and a certificate beyond the limits is refused
// early as malformed. Before the fix, 3,000 duplicate extensions cost thousands of times more
// per byte than a normal certificate.
func TestHostileCertificateParseCostIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("measures with testing.Benchmark")
	}
	normal := hostileTBS(t, hostileShape{sans: 3})
	if _, err := Parse(&Entry{Type: Precert, TBS: normal}); err != nil {
		t.Fatal(err)
	}
	base := parseCostPerByte(t, normal)
	tests := []struct {
		name    string
		shape   hostileShape
		refused bool
	}{
		{"duplicate extensions under the limit", hostileShape{extensions: MaxExtensions - 2}, false},
		{"duplicate extensions over the limit", hostileShape{extensions: 3000}, true},
		{"repeated O under the limit", hostileShape{organization: MaxNameAttributes - 2}, false},
		{"repeated O over the limit", hostileShape{organization: 40000}, true},
		{"SANs under the limit", hostileShape{sans: MaxSANEntries - 1}, false},
		{"SAN flood", hostileShape{sans: 30000}, true},
		{"overlong name", hostileShape{nameLength: 100000}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbs := hostileTBS(t, tt.shape)
			_, err := Parse(&Entry{Type: Precert, TBS: tbs})
			if tt.refused != errors.Is(err, ErrLimit) {
				t.Fatalf("refused %v, want %v (err %v)", err != nil, tt.refused, err)
			}
			if !tt.refused && err != nil {
				t.Fatal(err)
			}
			ratio := parseCostPerByte(t, tbs) / base
			t.Logf("%d bytes, cost per byte %.2f× a normal certificate's", len(tbs), ratio)
			// Linear parsing stays within a small factor (the duplicate forces a crypto/x509
			// verdict); the quadratic checks were 1,000× and more.
			if ratio > 50 {
				t.Errorf("cost per byte is %.0f× a normal certificate's", ratio)
			}
		})
	}
}
