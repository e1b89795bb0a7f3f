package ctlog_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// scan runs ScanRange and returns what it delivered and the last progress report.
func scan(t *testing.T, info ctlog.LogInfo, from, to int64, opts ctlog.FollowerOptions) ([]certs.Entry, []source.Malformed, [2]int64, error) {
	t.Helper()
	out := make(chan source.Batch)
	var entries []certs.Entry
	var malformed []source.Malformed
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range out {
			if b.Commit != nil {
				t.Error("scan batch with a Commit")
			}
			entries = append(entries, b.Entries...)
			malformed = append(malformed, b.Malformed...)
		}
	}()
	var progress [2]int64
	err := ctlog.ScanRange(context.Background(), info, from, to, opts, out, func(done, total int64) {
		if done < progress[0] {
			t.Errorf("progress went back from %d to %d", progress[0], done)
		}
		progress = [2]int64{done, total}
	})
	close(out)
	<-done
	return entries, malformed, progress, err
}

// namesLine is one line of a names tile as the log operator wrote it.
type namesLine struct {
	Timestamp int64
	Subject   struct{ CommonName string }
	DNS       []string
}

// The real navigli tiles served as a static log: all 1,024 entries decode, and the names
// parsed from each equal the names in the log's own names tiles.
func TestNavigliRealTiles(t *testing.T) {
	dir := filepath.Join("ctlogtest", "testdata", "navigli2025h2")
	log, err := ctlogtest.NewStaticDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	entries, malformed, progress, err := scan(t, log.Info(), 0, -1, fastOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1024 || len(malformed) != 0 || progress != [2]int64{1024, 1024} {
		t.Fatalf("%d entries, %d malformed, progress %v", len(entries), len(malformed), progress)
	}
	var want []namesLine
	for _, tile := range []string{"000", "001", "002", "003"} {
		f, err := os.Open(filepath.Join(dir, "tile", "names", tile))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l namesLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			want = append(want, l)
		}
		f.Close()
	}
	if len(want) != 1024 {
		t.Fatalf("%d names lines", len(want))
	}
	precerts := 0
	for i, e := range entries {
		if e.Index != int64(i) {
			t.Fatalf("entry %d has index %d", i, e.Index)
		}
		if e.Timestamp.UnixMilli() != want[i].Timestamp {
			t.Errorf("entry %d: timestamp %d, names tile %d", i, e.Timestamp.UnixMilli(), want[i].Timestamp)
		}
		c, err := certs.Parse(&e)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if exp := certs.DNSNames(want[i].DNS, want[i].Subject.CommonName); !slices.Equal(c.DNSNames, exp) {
			t.Errorf("entry %d: names %q, names tile %q", i, c.DNSNames, exp)
		}
		if e.Type == certs.Precert {
			precerts++
		}
	}
	t.Logf("%d of 1,024 entries are precerts", precerts)
}

// A scan reads exactly [from, to), partial tiles at once, under faults.
func TestScanRange(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			wants := addEntries(t, log, 300)
			log.SetFaults(ctlogtest.Faults{BatchCap: 64, UnavailableEvery: 4, TruncatedTiles: 1})
			opts := fastOptions("")
			opts.PartialTileAge = 0 // the default; a scan reads partial tiles regardless
			entries, _, progress, err := scan(t, log.Info(), 37, 290, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 253 || progress != [2]int64{253, 253} {
				t.Fatalf("%d entries, progress %v", len(entries), progress)
			}
			checkEntries(t, entries, 37, wants, log.Info())
			entries, _, _, err = scan(t, log.Info(), 250, -1, opts)
			if err != nil || len(entries) != 50 {
				t.Fatalf("scan to the end: %d entries, %v", len(entries), err)
			}
			checkEntries(t, entries, 250, wants, log.Info())
			if _, _, _, err := scan(t, log.Info(), 10, 5, opts); err == nil {
				t.Error("to before from accepted")
			}
			if _, _, _, err := scan(t, log.Info(), 10, 301, opts); err == nil || !strings.Contains(err.Error(), "beyond the tree size 300") {
				t.Errorf("range beyond the tree: %v", err)
			}
		})
	}
}

func TestScanUnreachableLog(t *testing.T) {
	log := newLog(t, ctlog.TypeStatic)
	info := log.Info()
	log.Close()
	if _, _, _, err := scan(t, info, 0, -1, fastOptions("")); err == nil || !strings.Contains(err.Error(), info.URL) {
		t.Errorf("scan of a closed log: %v", err)
	}
}

// BenchmarkScanLoopback measures reading a loopback log end to end (HTTP, JSON or tiles,
// decoding, content verification or not) with the default parallelism; the lead combines
// it with parsing. Issue 12: verification may cost at most 15%.
func BenchmarkScanLoopback(b *testing.B) {
	ca, err := testcert.Default()
	if err != nil {
		b.Fatal(err)
	}
	pair, err := ca.Pair([]string{"bench.example"}, testcert.Options{})
	if err != nil {
		b.Fatal(err)
	}
	const n = 20000
	for _, bench := range []struct {
		typ         string
		skip, parse bool
	}{
		{ctlog.TypeRFC6962, false, false}, {ctlog.TypeRFC6962, true, false},
		{ctlog.TypeStatic, false, false}, {ctlog.TypeStatic, true, false},
		// With parsing, as the pipeline does: what verification costs a real scan.
		{ctlog.TypeStatic, false, true}, {ctlog.TypeStatic, true, true},
	} {
		typ, name := bench.typ, bench.typ
		if bench.parse {
			name += "+parse"
		}
		if bench.skip {
			name += "/noverify"
		} else {
			name += "/verify"
		}
		b.Run(name, func(b *testing.B) {
			newFn := ctlogtest.NewRFC6962
			if typ == ctlog.TypeStatic {
				newFn = ctlogtest.NewStatic
			}
			log, err := newFn()
			if err != nil {
				b.Fatal(err)
			}
			defer log.Close()
			entries := make([]ctlogtest.Entry, n)
			for i := range entries {
				if i%2 == 0 {
					entries[i] = ctlogtest.Entry{Precert: pair.Precert, Chain: ca.Chain()}
				} else {
					entries[i] = ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()}
				}
			}
			if _, err := log.Add(entries...); err != nil {
				b.Fatal(err)
			}
			if err := log.Publish(); err != nil {
				b.Fatal(err)
			}
			opts := ctlog.FollowerOptions{BatchSize: 1024, SkipVerification: bench.skip}
			total := 0
			cpu := cpuTime()
			for b.Loop() {
				out := make(chan source.Batch, 16)
				done := make(chan int)
				go func() {
					got := 0
					for batch := range out {
						got += len(batch.Entries)
						if bench.parse {
							for i := range batch.Entries {
								certs.Parse(&batch.Entries[i])
							}
						}
					}
					done <- got
				}()
				if err := ctlog.ScanRange(context.Background(), log.Info(), 0, -1, opts, out, nil); err != nil {
					b.Fatal(err)
				}
				close(out)
				if got := <-done; got != n {
					b.Fatalf("read %d entries, want %d", got, n)
				}
				total += n
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "entries/s")
			reportCPU(b, cpu)
		})
	}
}

// A range ending inside a static log's last, partial tile is read from the tile the log
// has (the tree's width), not a narrower one the log never wrote.
func TestScanEndsInsidePartialTile(t *testing.T) {
	log := newLog(t, ctlog.TypeStatic)
	addEntries(t, log, 322)
	for _, r := range [][2]int64{{100, 300}, {256, 257}, {0, 321}} {
		entries, _, _, err := scan(t, log.Info(), r[0], r[1], fastOptions(""))
		if err != nil || int64(len(entries)) != r[1]-r[0] || entries[0].Index != r[0] {
			t.Errorf("scan %v: %d entries, %v", r, len(entries), err)
		}
	}
}
