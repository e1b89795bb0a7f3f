package homograph

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/dnstwist holds the output of Debian's dnstwist 20221213 (apt install dnstwist):
//
//	default/DOMAIN.txt:       dnstwist -f list DOMAIN   (its default fuzzers, no dictionary or TLD file)
//	dictionary/DOMAIN.out:    dnstwist -f list --fuzzers dictionary,tld-swap \
//	                              -d dictionary/words.txt --tld dictionary/tlds.txt DOMAIN
//
// For the same domain and fuzzers, certhunt must generate every name dnstwist does, and more.

func TestSupersetOfDnstwistDefaults(t *testing.T) {
	files, err := filepath.Glob("testdata/dnstwist/default/*.txt")
	if err != nil || len(files) < 5 {
		t.Fatalf("dnstwist outputs missing: %v %v", files, err)
	}
	for _, file := range files {
		domain := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(domain, func(t *testing.T) {
			checkSuperset(t, domain, file, DnstwistFuzzers, GenerateOptions{})
		})
	}
}

func TestSupersetOfDnstwistDictionary(t *testing.T) {
	words, err := LoadWords("testdata/dnstwist/dictionary/words.txt")
	if err != nil {
		t.Fatal(err)
	}
	tlds, err := LoadTLDs("testdata/dnstwist/dictionary/tlds.txt")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/dnstwist/dictionary/*.out")
	if err != nil || len(files) < 2 {
		t.Fatalf("dnstwist outputs missing: %v %v", files, err)
	}
	for _, file := range files {
		domain := strings.TrimSuffix(filepath.Base(file), ".out")
		t.Run(domain, func(t *testing.T) {
			checkSuperset(t, domain, file, []string{"dictionary", "tld-swap"}, GenerateOptions{Dictionary: words, TLDs: tlds})
		})
	}
}

func checkSuperset(t *testing.T, domain, file string, fuzzers []string, opts GenerateOptions) {
	list, err := Generate([]string{domain}, fuzzers, opts)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, v := range list[domain] {
		ours[v] = true
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	theirs, missing := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		d := sc.Text()
		if d == domain {
			continue // dnstwist lists the original; certhunt never does
		}
		theirs++
		if !ours[d] {
			missing++
			if missing <= 20 {
				t.Errorf("dnstwist generates %q, certhunt does not", d)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Errorf("%d of dnstwist's %d names missing", missing, theirs)
	}
	if len(ours) <= theirs {
		t.Errorf("certhunt made %d names, dnstwist %d: want strictly more", len(ours), theirs)
	}
}
