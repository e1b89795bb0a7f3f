package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/homograph"
)

const homographsUsage = `usage:
  certhunt homographs generate [-o FILE] [-fuzzers LIST] [-format json|csv|list]
                               [-dictionary FILE] [-tld FILE] DOMAIN...
  certhunt homographs validate FILE    (FILE "-" reads standard input)
`

// runHomographs implements "certhunt homographs generate|validate". Exit status: 0 ok, 1 the
// list is invalid or cannot be written, 2 bad usage.
func runHomographs(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, homographsUsage)
		return 2
	}
	switch args[0] {
	case "generate":
		return runHomographsGenerate(args[1:], stdout, stderr)
	case "validate":
		return runHomographsValidate(args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, homographsUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "certhunt homographs: unknown command %q\n%s", args[0], homographsUsage)
		return 2
	}
}

func runHomographsGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("homographs generate", flag.ContinueOnError)
	out := fs.String("o", "", "write to FILE instead of standard output")
	fuzzerList := fs.String("fuzzers", "", "comma-separated fuzzers to run (default all: "+strings.Join(homograph.Fuzzers(), ",")+")")
	format := fs.String("format", "json", "output format: json (the homograph list), csv (with the fuzzer of each name) or list (one name per line)")
	dictFile := fs.String("dictionary", "", "FILE of extra words for the dictionary fuzzer, one per line")
	tldFile := fs.String("tld", "", "FILE of extra TLDs for the tld-swap fuzzer, one per line")
	if _, code := parseFlags(fs, args, stderr, "DOMAIN..."); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "certhunt homographs generate: no DOMAIN given\n%s", homographsUsage)
		return 2
	}
	if !slices.Contains([]string{"json", "csv", "list"}, *format) {
		fmt.Fprintf(stderr, "certhunt homographs generate: -format %q: want json, csv or list\n", *format)
		return 2
	}
	var opts homograph.GenerateOptions
	var err error
	if *dictFile != "" {
		if opts.Dictionary, err = homograph.LoadWords(*dictFile); err != nil {
			fmt.Fprintf(stderr, "certhunt homographs generate: -dictionary: %v\n", err)
			return 2
		}
	}
	if *tldFile != "" {
		if opts.TLDs, err = homograph.LoadTLDs(*tldFile); err != nil {
			fmt.Fprintf(stderr, "certhunt homographs generate: -tld: %v\n", err)
			return 2
		}
	}
	var fuzzers []string
	for f := range strings.SplitSeq(*fuzzerList, ",") {
		if f = strings.TrimSpace(f); f != "" {
			fuzzers = append(fuzzers, f)
		}
	}
	cands, err := homograph.Candidates(fs.Args(), fuzzers, opts)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt homographs generate: %v\n", err)
		return 2
	}
	data, err := formatCandidates(*format, fs.Args(), cands)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt homographs generate: %v\n", err)
		return 1
	}
	if *out == "" {
		_, err = stdout.Write(data)
	} else {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "certhunt homographs generate: %v\n", err)
		return 1
	}
	return 0
}

// formatCandidates renders generated candidates: json is the homograph list itself (IDNs in both
// forms), csv has a row per candidate with its fuzzer, list every name once, one per line.
func formatCandidates(format string, domains []string, cands []homograph.Candidate) ([]byte, error) {
	switch format {
	case "csv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"asset", "fuzzer", "domain", "domain_ascii"})
		for _, c := range cands {
			w.Write([]string{c.Asset, c.Fuzzer, c.Domain, c.ASCII})
		}
		w.Flush()
		return buf.Bytes(), w.Error()
	case "list":
		var all []string
		for _, vs := range homograph.CandidateList(domains, cands) {
			all = append(all, vs...)
		}
		slices.Sort(all)
		var buf bytes.Buffer
		for _, v := range slices.Compact(all) {
			buf.WriteString(v)
			buf.WriteByte('\n')
		}
		return buf.Bytes(), nil
	default:
		return homograph.Marshal(homograph.CandidateList(domains, cands))
	}
}

// runHomographsValidate checks one list file; "-" reads the list from stdin.
func runHomographsValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("homographs validate", flag.ContinueOnError)
	if _, code := parseFlags(fs, args, stderr, "FILE"); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "certhunt homographs validate: want exactly one FILE\n%s", homographsUsage)
		return 2
	}
	path := fs.Arg(0)
	var data []byte
	var err error
	if path == "-" {
		path = "stdin"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "certhunt homographs validate: %v\n", err)
		return 1
	}
	list, err := homograph.ParseList(data)
	if err != nil {
		var lerr *homograph.ListError
		if !errors.As(err, &lerr) {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return 1
		}
		for _, p := range lerr.Problems {
			fmt.Fprintf(stderr, "%s: %s\n", path, p)
		}
		fmt.Fprintf(stderr, "%s: invalid: %d problem(s)\n", path, len(lerr.Problems))
		return 1
	}
	values := 0
	for _, vs := range list {
		values += len(vs)
	}
	fmt.Fprintf(stdout, "%s: valid: %d protected domains, %d lookalikes\n", path, len(list), values)
	return 0
}
