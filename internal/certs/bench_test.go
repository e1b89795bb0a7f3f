//go:build unix

package certs

import (
	"crypto/x509"
	"os"
	"syscall"
	"testing"
	"time"
)

// The benchmarks report entries/s (wall clock, as usual) and entries/cpu-s: entries per second
// of CPU time the process used, GC included. On a shared machine the second is the honest
// per-core figure, since wall time there includes waiting for a CPU.

func processCPUTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRates(b *testing.B, entries int, cpuStart time.Duration) {
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(entries)/(processCPUTime(b)-cpuStart).Seconds(), "entries/cpu-s")
}

// BenchmarkParse parses the 1,024 real entries of the navigli data tiles (precertificates
// with their pre_certificate DER).
func BenchmarkParse(b *testing.B) {
	entries := allTileEntries(b)
	b.ReportAllocs()
	cpuStart := processCPUTime(b)
	n := 0
	for b.Loop() {
		if _, err := Parse(&entries[n%len(entries)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRates(b, n, cpuStart)
}

// BenchmarkParseX509 measures crypto/x509.ParseCertificate alone on the same certificates,
// the cost Parse avoids by walking only the fields it needs.
func BenchmarkParseX509(b *testing.B) {
	entries := allTileEntries(b)
	b.ReportAllocs()
	cpuStart := processCPUTime(b)
	n := 0
	for b.Loop() {
		if _, err := x509.ParseCertificate(entries[n%len(entries)].DER); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRates(b, n, cpuStart)
}

// BenchmarkDecodeAndParseTile decodes a whole real data tile (256 TileLeaf entries, with this
// package's minimal test decoder standing in for internal/ctlog's) and parses every entry: the
// issue's "decode and parse" figure.
func BenchmarkDecodeAndParseTile(b *testing.B) {
	const path = "testdata/navigli/data/000"
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpuStart := processCPUTime(b)
	n := 0
	for b.Loop() {
		entries := decodeTile(b, path, data)
		for i := range entries {
			if _, err := Parse(&entries[i]); err != nil {
				b.Fatal(err)
			}
		}
		n += len(entries)
	}
	reportRates(b, n, cpuStart)
}
