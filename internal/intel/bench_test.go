package intel

import (
	"bytes"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. The benchmark machine is shared, so wall
// time per op overstates the work; CPU seconds per op is reported alongside it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const benchIndicators = 1_000_000

var benchTLDs = []string{"com", "net", "xyz", "top", "co.uk", "com.br", "online", "info"}

// benchDomainsFeed is a domains feed of n distinct names of typical length.
func benchDomainsFeed(n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n * 28)
	buf.WriteString("# generated for benchmarks\n")
	for i := range n {
		fmt.Fprintf(&buf, "secure-login-%07d.%s\n", i, benchTLDs[i%len(benchTLDs)])
	}
	return buf.Bytes()
}

func loadDomains(tb testing.TB, feed []byte) *indicatorSet {
	b := newBuilder()
	if err := parseDomains(bytes.NewReader(feed), b); err != nil {
		tb.Fatal(err)
	}
	set, err := b.set()
	if err != nil {
		tb.Fatal(err)
	}
	if set.len() != benchIndicators {
		tb.Fatalf("loaded %d indicators; want %d", set.len(), benchIndicators)
	}
	return set
}

// BenchmarkLoadDomains1M parses and indexes a 1,000,000-line domains feed; it also reports
// the heap the resulting set holds (runtime.MemStats delta after GC).
func BenchmarkLoadDomains1M(b *testing.B) {
	feed := benchDomainsFeed(benchIndicators)
	var set *indicatorSet
	cpu, n := cpuTime(), 0
	for b.Loop() {
		set = loadDomains(b, feed)
		n++
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(n), "cpu-s/op")
	b.StopTimer()
	set = nil
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	set = loadDomains(b, feed)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(set)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "set-MiB")
}

// BenchmarkLookup looks names up in a feed of 1,000,000 indicators. "mixed": a third are
// subdomains of indicators (found on a parent), a third are indicators, a third miss;
// "miss": names no feed lists, the common case for certificate names.
func BenchmarkLookup(b *testing.B) {
	m := &Manager{feeds: []*feed{{cfg: FeedConfig{Name: "bench", Weight: DefaultWeight}}}}
	m.feeds[0].set.Store(loadDomains(b, benchDomainsFeed(benchIndicators)))
	var mixed, miss []string
	for i := range 1000 {
		j := i * 997
		tld := benchTLDs[j%len(benchTLDs)]
		unlisted := fmt.Sprintf("mail.unlisted-%07d.%s", j, tld)
		mixed = append(mixed, fmt.Sprintf("www.login.secure-login-%07d.%s", j, tld), fmt.Sprintf("secure-login-%07d.%s", j, tld), unlisted)
		miss = append(miss, unlisted, "cdn."+unlisted, fmt.Sprintf("secure-login-%07d.example", j))
	}
	for _, bench := range []struct {
		name     string
		names    []string
		wantHits bool
	}{{"mixed", mixed, true}, {"miss", miss, false}} {
		b.Run(bench.name, func(b *testing.B) {
			hits := 0
			b.ReportAllocs()
			start, cpu := time.Now(), cpuTime()
			n := 0
			for b.Loop() {
				hits += len(m.Lookup(bench.names[n%len(bench.names)]))
				n++
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "lookups/s")
			b.ReportMetric(float64(n)/(cpuTime()-cpu).Seconds(), "lookups/cpu-s")
			if n >= len(bench.names) && (hits > 0) != bench.wantHits {
				b.Fatalf("%d hits", hits)
			}
		})
	}
}

// BenchmarkRestartLoad1M reads a 1,000,000-indicator last good copy back from disk.
func BenchmarkRestartLoad1M(b *testing.B) {
	m, err := NewManager([]FeedConfig{{Name: "bench", File: "/nonexistent", Format: FormatDomains}}, Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	f := m.feeds[0]
	set := loadDomains(b, benchDomainsFeed(benchIndicators))
	if err := m.saveLastGood(f, fetchResult{set: set}, time.Now()); err != nil {
		b.Fatal(err)
	}
	cpu, n := cpuTime(), 0
	defer func() { b.ReportMetric((cpuTime()-cpu).Seconds()/float64(n), "cpu-s/op") }()
	for b.Loop() {
		n++
		f.set.Store(nil)
		m.loadLastGood(f)
		if f.set.Load().len() != benchIndicators {
			b.Fatal("copy not loaded")
		}
	}
}
