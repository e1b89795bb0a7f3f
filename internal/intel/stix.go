package intel

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// stixObject holds the fields certhunt reads from STIX 2.1 objects: indicators (pattern and
// metadata) and the domain-name and url cyber-observable objects (value).
type stixObject struct {
	Type           string   `json:"type"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	IndicatorTypes []string `json:"indicator_types"`
	Labels         []string `json:"labels"` // STIX 2.0 indicators carry their type here
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     string   `json:"valid_until"`
	Created        string   `json:"created"`
	Revoked        bool     `json:"revoked"`
	Value          string   `json:"value"`
}

type stixBundle struct {
	Type    string       `json:"type"`
	Objects []stixObject `json:"objects"`
}

// parseSTIXBundle reads a STIX 2.1 bundle.
func parseSTIXBundle(r io.Reader, b *builder, now time.Time) error {
	var bundle stixBundle
	if err := decodeJSON(r, &bundle); err != nil {
		return fmt.Errorf("reading STIX bundle: %w", err)
	}
	if bundle.Type != "bundle" {
		return fmt.Errorf("reading STIX bundle: type is %q, want \"bundle\"", bundle.Type)
	}
	addSTIXObjects(b, bundle.Objects, now)
	return nil
}

// decodeJSON decodes exactly one JSON value; trailing garbage means a corrupt download.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the JSON document")
	}
	return nil
}

func addSTIXObjects(b *builder, objects []stixObject, now time.Time) {
	for i := range objects {
		o := &objects[i]
		switch o.Type {
		case "domain-name":
			b.addHost(o.Value, "", time.Time{})
		case "url":
			b.addURL(o.Value, "", time.Time{})
		case "indicator":
			addSTIXIndicator(b, o, now)
		}
	}
}

func addSTIXIndicator(b *builder, o *stixObject, now time.Time) {
	if o.PatternType != "" && o.PatternType != "stix" {
		return // sigma, snort, yara...: not name indicators
	}
	if o.Revoked {
		b.stats.Withdrawn++
		return
	}
	if until := parseTime(o.ValidUntil); !until.IsZero() && !until.After(now) {
		b.stats.Withdrawn++
		return
	}
	comparisons, err := parseSTIXPattern(o.Pattern)
	if err != nil {
		b.stats.Records++
		b.stats.Invalid++
		return
	}
	types := o.IndicatorTypes
	if len(types) == 0 {
		types = o.Labels
	}
	threat := strings.Join(types, ",")
	seen := parseTime(o.ValidFrom)
	if seen.IsZero() {
		seen = parseTime(o.Created)
	}
	for _, c := range comparisons {
		if c.negated || (c.op != "=" && c.op != "IN") {
			continue
		}
		for _, v := range c.values {
			switch c.path {
			case "domain-name:value":
				b.addHost(v, threat, seen)
			case "url:value":
				b.addURL(v, threat, seen)
			}
		}
	}
}

// comparison is one "object-path [NOT] operator value" term of a STIX pattern.
type comparison struct {
	path    string
	negated bool
	op      string
	values  []string // the string literals compared against
}

// parseSTIXPattern parses a STIX 2.1 pattern (STIX 2.1 part 9, "STIX Patterning") and returns
// its comparisons. The whole grammar is checked, observation operators and qualifiers
// included, so a malformed pattern is refused rather than half-read.
func parseSTIXPattern(pattern string) ([]comparison, error) {
	toks, err := tokenizePattern(pattern)
	if err != nil {
		return nil, err
	}
	p := &patternParser{toks: toks}
	if err := p.observationExpr(); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("pattern: unexpected %q at offset %d", t.text, t.pos)
	}
	return p.comparisons, nil
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokPunct
	tokWord  // keyword, boolean
	tokPath  // object path
	tokStr   // '...'
	tokTyped // t'...', b'...', h'...'
	tokNum
)

type token struct {
	kind tokenKind
	text string // punctuation, keyword (upper case), path, or unescaped string value
	pos  int
}

func tokenizePattern(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.IndexByte("[]()", c) >= 0 || c == ',':
			toks = append(toks, token{tokPunct, string(c), i})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, fmt.Errorf("pattern: bad operator at offset %d", i)
			}
			toks = append(toks, token{tokPunct, op, i})
			i = j
		case c == '\'':
			v, n, err := quoted(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokStr, v, i})
			i = n
		case (c == 't' || c == 'b' || c == 'h') && i+1 < len(s) && s[i+1] == '\'':
			v, n, err := quoted(s, i+1)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokTyped, v, i})
			i = n
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNum, s[i:j], i})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j < len(s) && s[j] == ':' {
				end, err := pathEnd(s, j+1)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{tokPath, s[i:end], i})
				i = end
				continue
			}
			toks = append(toks, token{tokWord, strings.ToUpper(s[i:j]), i})
			i = j
		default:
			return nil, fmt.Errorf("pattern: unexpected %q at offset %d", c, i)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' || c == '-' }

// pathEnd finds the end of an object path's property part: names joined by dots, quoted
// keys ('SHA-256') and list steps ([*], [0]).
func pathEnd(s string, i int) (int, error) {
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case isIdentChar(c) || c == '.':
			i++
		case c == '\'' && i > start && s[i-1] == '.':
			_, n, err := quoted(s, i)
			if err != nil {
				return 0, err
			}
			i = n
		case c == '[' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] >= '0' && s[i+1] <= '9'):
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return 0, fmt.Errorf("pattern: unclosed list index at offset %d", i)
			}
			i += j + 1
		default:
			if i == start {
				return 0, fmt.Errorf("pattern: empty object path property at offset %d", i)
			}
			return i, nil
		}
	}
	if i == start {
		return 0, fmt.Errorf("pattern: empty object path property at offset %d", i)
	}
	return i, nil
}

// quoted reads a single-quoted literal starting at s[i] == '\”, with \' and \\ escapes.
func quoted(s string, i int) (string, int, error) {
	var sb strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 >= len(s) || (s[j+1] != '\'' && s[j+1] != '\\') {
				return "", 0, fmt.Errorf("pattern: bad escape at offset %d", j)
			}
			j++
			sb.WriteByte(s[j])
		case '\'':
			return sb.String(), j + 1, nil
		default:
			sb.WriteByte(s[j])
		}
	}
	return "", 0, fmt.Errorf("pattern: unterminated string at offset %d", i)
}

type patternParser struct {
	toks        []token
	at          int
	comparisons []comparison
}

func (p *patternParser) peek() token { return p.toks[p.at] }
func (p *patternParser) next() token {
	t := p.toks[p.at]
	if t.kind != tokEOF {
		p.at++
	}
	return t
}

func (p *patternParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokWord && t.text == w
}
func (p *patternParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *patternParser) expect(kind tokenKind, text string) error {
	t := p.next()
	if t.kind != kind || (text != "" && t.text != text) {
		want := text
		if want == "" {
			want = map[tokenKind]string{tokNum: "a number", tokTyped: "a timestamp"}[kind]
		}
		return fmt.Errorf("pattern: want %s at offset %d, found %q", want, t.pos, t.text)
	}
	return nil
}

// observationExpr: observations joined by OR, AND and FOLLOWEDBY, each with optional
// qualifiers. Precedence does not change which comparisons exist, so one loop serves.
func (p *patternParser) observationExpr() error {
	for {
		switch {
		case p.isPunct("["):
			p.next()
			if err := p.comparisonExpr(); err != nil {
				return err
			}
			if err := p.expect(tokPunct, "]"); err != nil {
				return err
			}
		case p.isPunct("("):
			p.next()
			if err := p.observationExpr(); err != nil {
				return err
			}
			if err := p.expect(tokPunct, ")"); err != nil {
				return err
			}
		default:
			t := p.peek()
			return fmt.Errorf("pattern: want '[' or '(' at offset %d, found %q", t.pos, t.text)
		}
		if err := p.qualifiers(); err != nil {
			return err
		}
		if p.isWord("OR") || p.isWord("AND") || p.isWord("FOLLOWEDBY") {
			p.next()
			continue
		}
		return nil
	}
}

func (p *patternParser) qualifiers() error {
	for {
		var err error
		switch {
		case p.isWord("WITHIN"):
			p.next()
			if err = p.expect(tokNum, ""); err == nil {
				err = p.expect(tokWord, "SECONDS")
			}
		case p.isWord("REPEATS"):
			p.next()
			if err = p.expect(tokNum, ""); err == nil {
				err = p.expect(tokWord, "TIMES")
			}
		case p.isWord("START"):
			p.next()
			if err = p.expect(tokTyped, ""); err == nil {
				if err = p.expect(tokWord, "STOP"); err == nil {
					err = p.expect(tokTyped, "")
				}
			}
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// comparisonExpr: comparisons joined by AND and OR, with parentheses.
func (p *patternParser) comparisonExpr() error {
	for {
		if p.isPunct("(") {
			p.next()
			if err := p.comparisonExpr(); err != nil {
				return err
			}
			if err := p.expect(tokPunct, ")"); err != nil {
				return err
			}
		} else if err := p.comparisonTerm(); err != nil {
			return err
		}
		if p.isWord("OR") || p.isWord("AND") {
			p.next()
			continue
		}
		return nil
	}
}

var patternOperators = map[string]bool{
	"=": true, "==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"IN": true, "LIKE": true, "MATCHES": true, "ISSUBSET": true, "ISSUPERSET": true,
}

func (p *patternParser) comparisonTerm() error {
	if p.isWord("EXISTS") {
		p.next()
		return p.expect(tokPath, "")
	}
	t := p.next()
	if t.kind != tokPath {
		return fmt.Errorf("pattern: want an object path at offset %d, found %q", t.pos, t.text)
	}
	c := comparison{path: strings.ToLower(t.text)}
	if p.isWord("NOT") {
		p.next()
		c.negated = true
	}
	op := p.next()
	if (op.kind != tokPunct && op.kind != tokWord) || !patternOperators[op.text] {
		return fmt.Errorf("pattern: want a comparison operator at offset %d, found %q", op.pos, op.text)
	}
	c.op = op.text
	if c.op == "==" {
		c.op = "="
	}
	if c.op == "IN" {
		if err := p.expect(tokPunct, "("); err != nil {
			return err
		}
		for {
			v := p.next()
			if !isLiteral(v) {
				return fmt.Errorf("pattern: want a value at offset %d, found %q", v.pos, v.text)
			}
			if v.kind == tokStr {
				c.values = append(c.values, v.text)
			}
			if p.isPunct(",") {
				p.next()
				continue
			}
			if err := p.expect(tokPunct, ")"); err != nil {
				return err
			}
			break
		}
	} else {
		v := p.next()
		if !isLiteral(v) {
			return fmt.Errorf("pattern: want a value at offset %d, found %q", v.pos, v.text)
		}
		if v.kind == tokStr {
			c.values = []string{v.text}
		}
	}
	p.comparisons = append(p.comparisons, c)
	return nil
}

func isLiteral(t token) bool {
	switch t.kind {
	case tokStr, tokTyped, tokNum:
		return true
	case tokWord:
		return t.text == "TRUE" || t.text == "FALSE"
	}
	return false
}
