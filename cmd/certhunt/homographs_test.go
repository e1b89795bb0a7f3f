package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runH runs "certhunt homographs ARGS..." and returns the exit status, stdout and stderr.
func runH(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runHStdin(t, "", args...)
}

func runHStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runHomographs(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHomographsGenerateFormats(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "-fuzzers", "omission", "ups.com", "x.io"}, `{
  "ups.com": [
    "ps.com",
    "up.com",
    "us.com"
  ],
  "x.io": []
}
`},
		{[]string{"generate", "-fuzzers", "cyrillic,omission", "-format", "csv", "apple.com"}, "asset,fuzzer,domain,domain_ascii\n" +
			"apple.com,omission,aple.com,aple.com\n" +
			"apple.com,omission,appe.com,appe.com\n" +
			"apple.com,omission,appl.com,appl.com\n" +
			"apple.com,omission,pple.com,pple.com\n" +
			"apple.com,cyrillic,аррӏе.com,xn--80ak6aa92e.com\n"},
		{[]string{"generate", "-fuzzers", "cyrillic", "-format", "list", "apple.com"}, "xn--80ak6aa92e.com\nаррӏе.com\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runH(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if out != tc.want {
				t.Errorf("output\n%s\nwant\n%s", out, tc.want)
			}
		})
	}
}

func TestHomographsGenerateToFileThenValidate(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "homographs.json")
	dict := filepath.Join(dir, "words.txt")
	tlds := filepath.Join(dir, "tlds.txt")
	os.WriteFile(dict, []byte("# parcel words\nparcel\n\ntracking\n"), 0o644)
	os.WriteFile(tlds, []byte("// extra\n.delivery\nco.uk\n"), 0o644)
	code, out, errOut := runH(t, "generate", "-o", list, "-dictionary", dict, "-tld", tlds, "ups.com", "bücher.de")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	data, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"ups-parcel.com"`, `"trackingups.com"`, `"ups.delivery"`, `"ups.co.uk"`, `"up5.com"`,
		`"büchers.de"`, `"xn--bchers-3ya.de"`, `"bücher.com"`} {
		if !bytes.Contains(data, []byte(w)) {
			t.Errorf("generated list lacks %s", w)
		}
	}
	code, out, errOut = runH(t, "validate", list)
	if code != 0 || !strings.HasPrefix(out, list+": valid: 2 protected domains, ") {
		t.Errorf("validate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestHomographsValidateInvalid(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"paypal.com\": [\"paypa1.com\", 7],\n  \"not a domain\": []\n}\n"), 0o644)
	code, out, errOut := runH(t, "validate", bad)
	want := bad + `: line 2, column 32: key "paypal.com" index 1 (7): not a string but a number` + "\n" +
		bad + `: line 3, column 3: key "not a domain": not a valid domain: domain "not a domain": label "not a domain" is not valid IDNA2008: idna: disallowed rune U+0020` + "\n" +
		bad + ": invalid: 2 problem(s)\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr\n%s\nwant\n%s", code, out, errOut, want)
	}
	syntax := filepath.Join(dir, "syntax.json")
	os.WriteFile(syntax, []byte("{\"a.com\": [\n\"b.com\"\n"), 0o644)
	code, _, errOut = runH(t, "validate", syntax)
	if want := syntax + ": line 3, column 1: invalid JSON: unexpected end of input\n"; code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, stderr %q, want prefix %q", code, errOut, want)
	}
	code, out, errOut = runHStdin(t, `{"a.com": ["b.com", 1]}`, "validate", "-")
	if want := "stdin: line 1, column 21: key \"a.com\" index 1 (1): not a string but a number\n"; code != 1 || out != "" || !strings.HasPrefix(errOut, want) {
		t.Errorf("stdin: exit %d, stderr %q, want prefix %q", code, errOut, want)
	}
	code, out, _ = runHStdin(t, `{"a.com": ["b.com"]}`, "validate", "-")
	if want := "stdin: valid: 1 protected domains, 1 lookalikes\n"; code != 0 || out != want {
		t.Errorf("stdin: exit %d, stdout %q, want %q", code, out, want)
	}
	code, _, errOut = runH(t, "validate", filepath.Join(dir, "missing.json"))
	if code != 1 || !strings.Contains(errOut, "missing.json: no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestHomographsBadUsage(t *testing.T) {
	dir := t.TempDir()
	badDict := filepath.Join(dir, "words.txt")
	os.WriteFile(badDict, []byte("login\nnot a word\n"), 0o644)
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{nil, "usage:"},
		{[]string{"frobnicate"}, `certhunt homographs: unknown command "frobnicate"`},
		{[]string{"generate"}, "certhunt homographs generate: no DOMAIN given"},
		{[]string{"generate", "-format", "xml", "ups.com"}, `certhunt homographs generate: -format "xml": want json, csv or list`},
		{[]string{"generate", "-fuzzers", "typo", "ups.com"}, `certhunt homographs generate: unknown fuzzer "typo"`},
		{[]string{"generate", "bad domain.com"}, `certhunt homographs generate: domain "bad domain.com"`},
		{[]string{"generate", "-dictionary", badDict, "ups.com"}, "certhunt homographs generate: -dictionary: " + badDict + `:2: "not a word" is not a word`},
		{[]string{"generate", "-nosuchflag", "ups.com"}, "flag provided but not defined: -nosuchflag"},
		{[]string{"validate"}, "certhunt homographs validate: want exactly one FILE"},
		{[]string{"validate", "a.json", "b.json"}, "certhunt homographs validate: want exactly one FILE"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runH(t, tc.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tc.wantErr)
			}
		})
	}
}
