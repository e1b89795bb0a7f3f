package config

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration, at a key and, when it came from a file, a line.
type Problem struct {
	Line int    // 0 when unknown (the key came from a flag, the environment or the defaults)
	Key  string // the key path: sources.ct.logs[0].url; empty for the document itself
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem of a configuration, each on a line of its own.
type Error struct {
	File     string // the file's name, empty for flags and defaults alone
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
		if e.File != "" {
			lines[i] = e.File + ": " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems, finding each key's line in the document it came from.
type problems struct {
	lines map[string]int
	list  []Problem
}

func (ps *problems) add(key, format string, args ...any) {
	ps.list = append(ps.list, Problem{Line: ps.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// line is the line of key, or of its nearest parent written in the document.
func (ps *problems) line(key string) int {
	for k := key; k != ""; {
		if l, ok := ps.lines[k]; ok {
			return l
		}
		i := max(strings.LastIndexByte(k, '.'), strings.LastIndexByte(k, '['))
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

// addErr adds a component's validation errors, each "field: message", under prefix
// ("notify" + "[0].url" or "intel." + "feeds[0].url").
func (ps *problems) addErr(prefix string, err error) {
	if err == nil {
		return
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		key, msg, ok := strings.Cut(e.Error(), ": ")
		if !ok || strings.ContainsAny(key, " \"") {
			key, msg = "", e.Error()
		}
		full := prefix + key
		if key == "" {
			full = strings.TrimRight(prefix, ".")
		}
		ps.add(full, "%s", msg)
	}
}

func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	return &Error{File: file, Problems: ps.list}
}

// asError returns err's Problems when it is an *Error.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
