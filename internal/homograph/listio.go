package homograph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/certhunt/certhunt/internal/names"
)

// Problem is one thing wrong in a homograph list, precise enough for an analyst to fix it by hand.
type Problem struct {
	Line, Column int    // 1-based position in the file; 0 when the list did not come from text
	Key          string // the asset the problem belongs to; empty for problems with the whole file
	Index        int    // position of the bad value in the key's array; -1 when the key itself is bad
	Value        string // the offending value as written (JSON text for values that are not strings)
	Why          string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", p.Line, p.Column)
	}
	switch {
	case p.Key == "" && p.Index < 0 && p.Value == "":
	case p.Index < 0:
		fmt.Fprintf(&b, "key %q: ", p.Key)
	default:
		fmt.Fprintf(&b, "key %q index %d (%s): ", p.Key, p.Index, p.Value)
	}
	b.WriteString(p.Why)
	return b.String()
}

// ListError lists every problem found in a homograph list, in file order.
type ListError struct {
	Problems []Problem
}

func (e *ListError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// LoadFile reads and validates the homograph list at path; errors start with the path.
func LoadFile(path string) (List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l, err := ParseList(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// ParseList decodes and validates a homograph list (SPEC.md). Unlike json.Unmarshal it reports
// every bad key and value with its line and column, and rejects duplicate keys, which
// json.Unmarshal would silently merge. The error, when not nil, is a *ListError.
func ParseList(data []byte) (List, error) {
	p := &listParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	l, err := p.parse()
	if err != nil {
		var lerr *ListError
		if errors.As(err, &lerr) {
			return nil, err
		}
		return nil, &ListError{Problems: []Problem{p.syntaxProblem(err)}}
	}
	if len(p.problems) > 0 {
		return nil, &ListError{Problems: p.problems}
	}
	return l, nil
}

type listParser struct {
	data     []byte
	dec      *json.Decoder
	problems []Problem
}

// next reads one token and returns it with the offset at which it starts.
func (p *listParser) next() (json.Token, int, error) {
	start := p.skipSpace(int(p.dec.InputOffset()))
	tok, err := p.dec.Token()
	return tok, start, err
}

// skipSpace moves past whitespace and the separators the decoder consumes with the next token.
func (p *listParser) skipSpace(off int) int {
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (p *listParser) add(off int, key string, index int, value, why string) {
	line, col := p.position(off)
	p.problems = append(p.problems, Problem{Line: line, Column: col, Key: key, Index: index, Value: value, Why: why})
}

// position turns a byte offset into a 1-based line and a 1-based column counted in characters.
func (p *listParser) position(off int) (line, col int) {
	off = min(max(off, 0), len(p.data))
	before := p.data[:off]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte{'\n'}) + 1, utf8.RuneCount(before[lineStart:]) + 1
}

func (p *listParser) parse() (List, error) {
	tok, start, err := p.next()
	if err == io.EOF {
		p.add(0, "", -1, "", "the list is empty; it must be a JSON object such as {\"example.com\": []}")
		return nil, &ListError{Problems: p.problems}
	}
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		p.add(start, "", -1, "", fmt.Sprintf("the list must be a JSON object mapping each protected domain to an array of lookalikes, not %s", kindOf(tok)))
		return nil, &ListError{Problems: p.problems}
	}
	list := List{}
	keyLine := map[string]int{}
	for p.dec.More() {
		tok, keyOff, err := p.next()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // the decoder guarantees object keys are strings
		keyOK := true
		if line, dup := keyLine[key]; dup {
			p.add(keyOff, key, -1, "", fmt.Sprintf("duplicate key (first on line %d)", line))
			keyOK = false
		} else {
			keyLine[key], _ = p.position(keyOff)
			if err := names.ValidDomain(key); err != nil {
				p.add(keyOff, key, -1, "", "not a valid domain: "+err.Error())
				keyOK = false
			}
		}
		values, err := p.values(key)
		if err != nil {
			return nil, err
		}
		if keyOK {
			list[key] = values
		}
	}
	if _, _, err := p.next(); err != nil { // the closing brace
		return nil, err
	}
	if off := p.skipSpace(int(p.dec.InputOffset())); off < len(p.data) {
		p.add(off, "", -1, "", "unexpected data after the end of the list")
	}
	return list, nil
}

// values reads the array of one key, recording each element that is not a valid domain or label.
func (p *listParser) values(key string) ([]string, error) {
	tok, start, err := p.next()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		p.add(start, key, -1, "", fmt.Sprintf("the value must be an array of strings, not %s", kindOf(tok)))
		return nil, p.skipRest(tok)
	}
	values := []string{}
	for i := 0; p.dec.More(); i++ {
		tok, off, err := p.next()
		if err != nil {
			return nil, err
		}
		s, ok := tok.(string)
		if !ok {
			if err := p.skipRest(tok); err != nil {
				return nil, err
			}
			end := int(p.dec.InputOffset())
			p.add(off, key, i, string(p.data[off:end]), fmt.Sprintf("not a string but %s", kindOf(tok)))
			continue
		}
		if err := checkValue(s); err != nil {
			p.add(off, key, i, fmt.Sprintf("%q", s), err.Error())
			continue
		}
		values = append(values, s)
	}
	_, _, err = p.next() // the closing bracket
	return values, err
}

// skipRest consumes the remainder of a value whose first token was tok.
func (p *listParser) skipRest(tok json.Token) error {
	depth := 0
	for {
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = p.dec.Token(); err != nil {
			return err
		}
	}
}

// syntaxProblem turns a decoder error into a problem that points at the offending character.
func (p *listParser) syntaxProblem(err error) Problem {
	off := int(p.dec.InputOffset())
	var serr *json.SyntaxError
	if errors.As(err, &serr) {
		off = int(serr.Offset) - 1
	}
	why := "invalid JSON: " + err.Error()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		off, why = len(p.data), "invalid JSON: unexpected end of input"
	}
	line, col := p.position(off)
	return Problem{Line: line, Column: col, Index: -1, Why: why}
}

func kindOf(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "null"
	}
}

// checkValue accepts a lookalike written as a domain or a bare label, Unicode or punycode.
func checkValue(s string) error {
	if s == "" {
		return errors.New("empty string")
	}
	if err := names.ValidDomain(s); err != nil {
		return fmt.Errorf("not a valid domain or label: %w", err)
	}
	return nil
}

// Validate checks a list built in memory (an API body, a merge result): every key a valid domain,
// every value a valid domain or label. The error, when not nil, is a *ListError naming key and
// index of each problem, keys in sorted order.
func Validate(l List) error {
	var problems []Problem
	for _, key := range slices.Sorted(maps.Keys(l)) {
		if err := names.ValidDomain(key); err != nil {
			problems = append(problems, Problem{Key: key, Index: -1, Why: "not a valid domain: " + err.Error()})
		}
		for i, v := range l[key] {
			if err := checkValue(v); err != nil {
				problems = append(problems, Problem{Key: key, Index: i, Value: fmt.Sprintf("%q", v), Why: err.Error()})
			}
		}
	}
	if len(problems) > 0 {
		return &ListError{Problems: problems}
	}
	return nil
}

// Merge returns the union of a and b: every key of either, each with the sorted, de-duplicated
// union of its values. Neither input is modified.
func Merge(a, b List) List {
	out := make(List, len(a)+len(b))
	for _, l := range []List{a, b} {
		for k, vs := range l {
			out[k] = append(out[k], vs...)
		}
	}
	for k, vs := range out {
		out[k] = sortedUnique(vs)
	}
	return out
}

// Marshal writes l in the list format with keys and values sorted and de-duplicated, one value per
// line, so that the same list always gives the same bytes and diffs stay readable.
func Marshal(l List) ([]byte, error) {
	norm := make(map[string][]string, len(l))
	for k, vs := range l {
		norm[k] = sortedUnique(slices.Clone(vs))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(norm); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sortedUnique sorts vs in place and drops repeats; it never returns nil, so that an asset
// without lookalikes is written as [].
func sortedUnique(vs []string) []string {
	if vs == nil {
		return []string{}
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}
