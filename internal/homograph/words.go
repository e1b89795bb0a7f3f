package homograph

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/net/idna"
)

// LoadWords reads a dictionary file for GenerateOptions.Dictionary: one word per line, blank
// lines and lines starting with "#" or "//" ignored. Each word must be usable inside a label
// (letters, digits, hyphens, Unicode allowed); the error names the file and line of the first
// that is not.
func LoadWords(path string) ([]string, error) {
	return readLines(path, func(w string) error {
		if strings.ContainsAny(w, ". ") {
			return fmt.Errorf("%q is not a word: it may not contain dots or spaces", w)
		}
		if _, err := idna.Registration.ToASCII("x" + w + "x"); err != nil {
			return fmt.Errorf("%q cannot be part of a domain label: %v", w, err)
		}
		return nil
	})
}

// LoadTLDs reads a TLD file for GenerateOptions.TLDs: one TLD or two-label suffix ("co.uk") per
// line, with the same comment rules as LoadWords. A leading dot is dropped.
func LoadTLDs(path string) ([]string, error) {
	tlds, err := readLines(path, func(s string) error {
		t := strings.TrimPrefix(s, ".")
		if _, err := idna.Registration.ToASCII("x." + t); err != nil {
			return fmt.Errorf("%q is not a valid TLD: %v", s, err)
		}
		return nil
	})
	for i, t := range tlds {
		tlds[i] = strings.TrimPrefix(t, ".")
	}
	return tlds, err
}

func readLines(path string, check func(string) error) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.ToLower(strings.TrimSpace(sc.Text()))
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		if err := check(line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
