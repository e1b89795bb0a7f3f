package homograph

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseListGood(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     List
	}{
		{"seed format", `{"paypal.com": ["paypa1.com", "pаypal.com", "xn--pypal-4ve.com"], "example.org": []}`,
			List{"paypal.com": {"paypa1.com", "pаypal.com", "xn--pypal-4ve.com"}, "example.org": {}}},
		{"labels without TLD", `{"paypal.com": ["paypa1", "pаypal"]}`, List{"paypal.com": {"paypa1", "pаypal"}}},
		{"IDN key", "{\n  \"bücher.de\": [\"bucher.de\"]\n}\n", List{"bücher.de": {"bucher.de"}}},
		{"empty object", " {} ", List{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseList([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseListBad(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"bad values and keys",
			"{\n  \"paypal.com\": [\"paypa1.com\", 42, \"-bad\", [1,2]],\n  \"bad domain\": [],\n  \"paypal.com\": []\n}\n",
			[]string{
				`line 2, column 32: key "paypal.com" index 1 (42): not a string but a number`,
				`line 2, column 36: key "paypal.com" index 2 ("-bad"): not a valid domain or label: domain "-bad": label "-bad" is not valid IDNA2008: idna: invalid label "-bad"`,
				`line 2, column 44: key "paypal.com" index 3 ([1,2]): not a string but an array`,
				`line 3, column 3: key "bad domain": not a valid domain: domain "bad domain": label "bad domain" is not valid IDNA2008: idna: disallowed rune U+0020`,
				`line 4, column 3: key "paypal.com": duplicate key (first on line 2)`,
			}},
		{"trailing comma", `{"a.com": ["x.com",]}`,
			[]string{`line 1, column 19: invalid JSON: invalid character ']' looking for beginning of value`}},
		{"truncated", `{"a.com": ["x.com"]`,
			[]string{`line 1, column 20: invalid JSON: unexpected end of input`}},
		{"not an object", `["a.com"]`,
			[]string{`line 1, column 1: the list must be a JSON object mapping each protected domain to an array of lookalikes, not an array`}},
		{"empty", "  \n", []string{`line 1, column 1: the list is empty; it must be a JSON object such as {"example.com": []}`}},
		{"value not an array", `{"a.com": "x.com"}`,
			[]string{`line 1, column 11: key "a.com": the value must be an array of strings, not a string`}},
		{"null value and object value", `{"a.com": {"x": 1}, "b.com": null}`,
			[]string{
				`line 1, column 11: key "a.com": the value must be an array of strings, not an object`,
				`line 1, column 30: key "b.com": the value must be an array of strings, not null`,
			}},
		{"data after the list", `{"a.com": []} {}`, []string{`line 1, column 15: unexpected data after the end of the list`}},
		{"empty and malformed values, columns in characters", "{\n\"é.com\": [\"ok\", \"\", \"a..b\", \"xn--zz\"]}",
			[]string{
				`line 2, column 17: key "é.com" index 1 (""): empty string`,
				`line 2, column 21: key "é.com" index 2 ("a..b"): not a valid domain or label: domain "a..b" has an empty label`,
				`line 2, column 29: key "é.com" index 3 ("xn--zz"): not a valid domain or label: domain "xn--zz": label "xn--zz" is not valid IDNA2008: idna: invalid label "zz"`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseList([]byte(tc.in))
			if err == nil {
				t.Fatalf("accepted: %v", l)
			}
			var lerr *ListError
			if !errors.As(err, &lerr) {
				t.Fatalf("error %T %v is not a *ListError", err, err)
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"paypal.com": ["paypa1.com"]}`), 0o644)
	os.WriteFile(bad, []byte(`{"paypal.com": [1]}`), 0o644)
	l, err := LoadFile(good)
	if err != nil || len(l["paypal.com"]) != 1 {
		t.Fatalf("LoadFile(good) = %v, %v", l, err)
	}
	_, err = LoadFile(bad)
	want := bad + `: line 1, column 17: key "paypal.com" index 0 (1): not a string but a number`
	if err == nil || err.Error() != want {
		t.Errorf("LoadFile(bad) error\n got %v\nwant %s", err, want)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v, want not exist", err)
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(List{"paypal.com": {"paypa1.com", "xn--pypal-4ve.com", "paypa1"}, "example.org": nil}); err != nil {
		t.Errorf("good list rejected: %v", err)
	}
	err := Validate(List{"zz.com": {"ok.com", "bad label.com"}, "not a domain": {}})
	want := `key "not a domain": not a valid domain: domain "not a domain": label "not a domain" is not valid IDNA2008: idna: disallowed rune U+0020` + "\n" +
		`key "zz.com" index 1 ("bad label.com"): not a valid domain or label: domain "bad label.com": label "bad label" is not valid IDNA2008: idna: disallowed rune U+0020`
	if err == nil || err.Error() != want {
		t.Errorf("Validate error\n got %v\nwant %s", err, want)
	}
}

func TestMerge(t *testing.T) {
	a := List{"paypal.com": {"paypa1.com", "paypal.co"}, "example.org": nil}
	b := List{"paypal.com": {"paypal.co", "aypal.com"}, "ups.com": {"up5.com"}}
	got := Merge(a, b)
	want := List{"paypal.com": {"aypal.com", "paypa1.com", "paypal.co"}, "example.org": {}, "ups.com": {"up5.com"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(List{"paypal.com": {"paypa1.com", "paypal.co"}, "example.org": nil}, a); diff != "" {
		t.Errorf("Merge modified its input (-want +got)\n%s", diff)
	}
}

func TestMarshalStableAndRoundTrips(t *testing.T) {
	l := List{"paypal.com": {"xn--pypal-4ve.com", "pаypal.com", "paypa1.com", "paypa1.com"}, "example.org": nil}
	got, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "example.org": [],
  "paypal.com": [
    "paypa1.com",
    "pаypal.com",
    "xn--pypal-4ve.com"
  ]
}
`
	if string(got) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", got, want)
	}
	again, _ := Marshal(l)
	if string(again) != string(got) {
		t.Error("Marshal is not stable")
	}
	back, err := ParseList(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Merge(l, nil), back); diff != "" {
		t.Errorf("round trip (-want +got)\n%s", diff)
	}
	if l["paypal.com"][0] != "xn--pypal-4ve.com" {
		t.Error("Marshal sorted its input in place")
	}
}
