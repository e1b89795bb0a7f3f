package homograph

import "testing"

// BenchmarkGenerate measures the full list (every fuzzer) for one 10-character domain.
func BenchmarkGenerate(b *testing.B) {
	confusableTable() // built once per process; not part of the per-domain cost
	var n int
	for b.Loop() {
		l, err := Generate([]string{"mastercard.com"}, nil, GenerateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(l["mastercard.com"])
	}
	b.ReportMetric(float64(n), "names")
}
