// Command seedgen builds seed.txt, the label statistics a fresh install starts from: for each
// label left of a registered label in the given real CT names (JSON lines with a "DNS" list, as
// in names tiles), how many distinct registered domains use it. Labels used by a single domain
// are left out: they say nothing about commonness and would only grow the table.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"

	"github.com/certhunt/certhunt/internal/names"
)

func main() {
	out := flag.String("o", "seed.txt", "output file")
	flag.Parse()
	domains := map[string]map[string]bool{}
	for _, dir := range flag.Args() {
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			log.Fatal(err)
		}
		for _, file := range files {
			if err := read(file, domains); err != nil {
				log.Fatalf("%s: %v", file, err)
			}
		}
	}
	var labels []string
	for l, ds := range domains {
		if len(ds) > 1 {
			labels = append(labels, l)
		}
	}
	slices.Sort(labels)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range labels {
		fmt.Fprintf(w, "%s\t%d\n", l, len(domains[l]))
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d labels -> %s", len(labels), *out)
}

func read(file string, domains map[string]map[string]bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct{ DNS []string }
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		for _, name := range e.DNS {
			n, err := names.Parse(name)
			if err != nil {
				continue
			}
			reg := len(n.Labels) - n.SuffixLabels() - 1
			for _, l := range n.Labels[:max(reg, 0)] {
				if domains[l] == nil {
					domains[l] = map[string]bool{}
				}
				domains[l][n.RegisteredDomain] = true
			}
		}
	}
	return sc.Err()
}
