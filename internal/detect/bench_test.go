package detect

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/homograph"
)

// syntheticList makes a watchlist of n made-up brands with perAsset homographs each, shaped like
// generator output: replaced, inserted, dropped and swapped letters, lookalike Unicode letters,
// other TLDs, keyword combinations.
func syntheticList(n, perAsset int) homograph.List {
	rng := rand.New(rand.NewPCG(1, 2))
	syllables := strings.Fields("ka ro mi ne ta lu so pe ri va do zen bank pay fin tel cor net max lo gi sta tra ex on")
	tlds := []string{"com", "net", "org", "de", "co.uk", "com.br", "io", "fr"}
	glyphs := map[byte][]string{'a': {"а", "ɑ", "à"}, 'e': {"е", "é"}, 'o': {"о", "0", "ο"}, 'i': {"і", "1", "l"},
		'c': {"с"}, 'p': {"р"}, 'x': {"х"}, 'y': {"у"}, 's': {"ѕ", "5"}}
	list := homograph.List{}
	for len(list) < n {
		var b strings.Builder
		for b.Len() < 5+rng.IntN(9) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		label := b.String()
		tld := tlds[rng.IntN(len(tlds))]
		key := label + "." + tld
		if _, dup := list[key]; dup {
			continue
		}
		homs := make([]string, 0, perAsset)
		for len(homs) < perAsset {
			l := []byte(label)
			i := rng.IntN(len(l))
			var h string
			switch rng.IntN(6) {
			case 0:
				l[i] = byte('a' + rng.IntN(26))
				h = string(l)
			case 1:
				h = label[:i] + string(rune('a'+rng.IntN(26))) + label[i:]
			case 2:
				h = label[:i] + label[i+1:]
			case 3:
				if g := glyphs[label[i]]; g != nil {
					h = label[:i] + g[rng.IntN(len(g))] + label[i+1:]
				} else {
					h = label + "-" + []string{"login", "secure", "pay", "app"}[rng.IntN(4)]
				}
			case 4:
				if i+1 < len(l) {
					l[i], l[i+1] = l[i+1], l[i]
				}
				h = string(l)
			default:
				h = label[:i] + "-" + label[i:]
			}
			if rng.IntN(2) == 0 {
				h += "." + tlds[rng.IntN(len(tlds))]
			}
			if strings.HasPrefix(h, "-") || strings.HasSuffix(h, "-") || strings.Contains(h, "-.") {
				continue
			}
			homs = append(homs, h)
		}
		list[key] = homs
	}
	return list
}

// benchNames is the names a log delivers: the real navigli names, plus (when lookalikes is set)
// about one lookalike in ten, far more than real CT carries.
func benchNames(tb testing.TB, list homograph.List, lookalikes bool) []string {
	var out []string
	files, _ := filepath.Glob("testdata/navigli-names/*")
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e struct{ DNS []string }
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				out = append(out, e.DNS...)
			}
		}
		f.Close()
	}
	i := 0
	for key, homs := range list {
		if !lookalikes || i >= len(out)/10 {
			break
		}
		label := strings.SplitN(key, ".", 2)[0]
		out = append(out, homs[i%len(homs)], label+"-login.com", "www."+key+".evil.example")
		i += 3
	}
	return out
}

func benchmarkCheck(b *testing.B, assets, perAsset int, lookalikes bool) {
	list := syntheticList(assets, perAsset)
	ix := mustBuild(b, list, Options{})
	names := benchNames(b, list, lookalikes)
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; b.Loop(); i++ {
		ix.Check(names[i%len(names)])
	}
	// CPU time, not wall time: the machine is shared, and the target is per core.
	b.ReportMetric(float64(b.N)/(cpuTime()-start).Seconds(), "names/cpu-s")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCheck1000x300(b *testing.B)  { benchmarkCheck(b, 1000, 300, true) }
func BenchmarkCheck10000x300(b *testing.B) { benchmarkCheck(b, 10000, 300, true) }
func BenchmarkCheck10000x0(b *testing.B)   { benchmarkCheck(b, 10000, 1, true) }

// The same on real CT names only, the traffic certhunt actually sees.
func BenchmarkCheckRealNames1000x300(b *testing.B)  { benchmarkCheck(b, 1000, 300, false) }
func BenchmarkCheckRealNames10000x300(b *testing.B) { benchmarkCheck(b, 10000, 300, false) }

// BenchmarkBuild10000x300 builds the index for 10,000 assets of 300 homographs and reports the
// heap the input list and the index keep, and the most memory the process took from the system.
func BenchmarkBuild10000x300(b *testing.B) {
	var start runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&start)
	list := syntheticList(10000, 300)
	var before, after runtime.MemStats
	var cpu time.Duration
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := cpuTime()
		ix := mustBuild(b, list, Options{})
		cpu += cpuTime() - start
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(ix)
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/build")
	b.ReportMetric(float64(before.HeapAlloc-start.HeapAlloc)/(1<<20), "list-MiB")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "index-MiB")
	b.ReportMetric(float64(after.Sys)/(1<<20), "sys-MiB")
}
