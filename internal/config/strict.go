package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/notify/notifyconf"
)

// The YAML document is checked against the Config type before it is decoded, so that every
// mistake is reported at once, with its line and key path and in words (yaml.v3's own errors
// name Go types: "cannot unmarshal !!int `10` into time.Duration"). Decoding then cannot fail.

// variant is a list item whose keys depend on one of its values (a notifier's type).
type variant struct {
	key   string
	types map[string]reflect.Type
}

var variants = map[reflect.Type]variant{
	reflect.TypeFor[Notify](): {key: "type", types: map[string]reflect.Type{
		notifyconf.TypeWebhook: reflect.TypeFor[WebhookNotify](), notifyconf.TypeXSOAR: reflect.TypeFor[XSOARNotify](),
		notifyconf.TypeSlack: reflect.TypeFor[SlackNotify](), notifyconf.TypeSyslog: reflect.TypeFor[SyslogNotify](),
		notifyconf.TypeFile: reflect.TypeFor[FileNotify](),
	}},
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

// walker records the problems of one document and the line of every key it saw.
type walker struct {
	problems []Problem
	lines    map[string]int
	// spoilt are the keys whose value could not be read: what Validate says under them is a
	// consequence, not news.
	spoilt []string
}

// bad reports a value that cannot be read as its type.
func (w *walker) bad(line int, key, format string, args ...any) {
	w.problems = append(w.problems, Problem{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
	w.spoilt = append(w.spoilt, key)
}

// walk checks node against type t at key path.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) > 0 {
			w.walk(n.Content[0], t, path)
		}
		return
	}
	if n.Kind == 0 {
		return // an empty document
	}
	if n.Kind == yaml.AliasNode {
		w.walk(n.Alias, t, path)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value keeps the default
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v, ok := variants[t]; ok {
		w.walkVariant(n, v, path)
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// The type reads its own forms (auth.Token: a string or a mapping): a mapping is
		// checked key by key, anything else is tried on the type itself.
		if n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct {
			before := len(w.problems)
			w.walkStruct(n, t, path, "")
			if len(w.problems) > before {
				w.spoilt = append(w.spoilt, path) // the type refuses the whole value then
			}
		} else if err := n.Decode(reflect.New(t).Interface()); err != nil {
			w.bad(n.Line, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			w.bad(n.Line, path, "is a %s, want a duration such as 30s, 10m or 1h", kindName(n))
			return
		}
		if _, err := parseDuration(n.Value); err != nil {
			w.bad(n.Line, path, "%v", err)
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.bad(n.Line, path, "is a %s, want a mapping of keys (%s)", kindName(n), strings.Join(keysOf(t), ", "))
			return
		}
		w.walkStruct(n, t, path, "")
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.bad(n.Line, path, "is a %s, want a list", kindName(n))
			return
		}
		for i, item := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			w.lines[key] = item.Line
			w.walk(item, t.Elem(), key)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.bad(n.Line, path, "is a %s, want a mapping", kindName(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			w.lines[join(path, k)] = n.Content[i].Line
			w.walk(n.Content[i+1], t.Elem(), join(path, k))
		}
	default:
		w.walkScalar(n, t, path)
	}
}

// walkVariant checks a list item whose keys depend on its v.key value. An unknown or missing
// value is left to Validate, which names the choices.
func (w *walker) walkVariant(n *yaml.Node, v variant, path string) {
	if n.Kind != yaml.MappingNode {
		w.bad(n.Line, path, "is a %s, want a mapping of keys", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == v.key {
			if t, ok := v.types[n.Content[i+1].Value]; ok {
				w.walkStruct(n, t, path, fmt.Sprintf(" for %s %s", v.key, n.Content[i+1].Value))
				return
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		w.lines[join(path, n.Content[i].Value)] = n.Content[i].Line
	}
	if _, ok := w.lines[join(path, v.key)]; !ok {
		w.lines[join(path, v.key)] = n.Line
	}
}

// walkStruct checks a mapping's keys against struct t; context, when set, explains in an
// unknown-key message why the key is unknown here (" for type webhook").
func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path, context string) {
	fields := fieldsOf(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		w.lines[key] = k.Line
		f, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			msg += context
			if s := suggest(k.Value, keysOf(t)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else if elsewhere := whereIs(k.Value, path); elsewhere != "" && context == "" {
				msg += fmt.Sprintf(" (%s is a key of %s)", k.Value, elsewhere)
			}
			w.problems = append(w.problems, Problem{Line: k.Line, Key: path, Msg: msg})
			continue
		}
		w.walk(val, f, key)
	}
}

func (w *walker) walkScalar(n *yaml.Node, t reflect.Type, path string) {
	want := map[reflect.Kind]string{reflect.String: "a string", reflect.Bool: "true or false",
		reflect.Int: "a whole number", reflect.Int64: "a whole number", reflect.Float64: "a number"}[t.Kind()]
	if want == "" {
		want = "a " + t.String()
	}
	if n.Kind != yaml.ScalarNode {
		w.bad(n.Line, path, "is a %s, want %s", kindName(n), want)
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		w.bad(n.Line, path, "%q is not %s", n.Value, want)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "single value"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldsOf maps a struct's YAML keys to their types, inline structs included.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if opts == "inline" {
			for k, v := range fieldsOf(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func keysOf(t reflect.Type) []string {
	var keys []string
	for k := range fieldsOf(t) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// whereIs names another place of the Config where key is a key (for a key put at the wrong
// level), or "".
func whereIs(key, notHere string) string {
	var found string
	var visit func(t reflect.Type, path string, depth int)
	visit = func(t reflect.Type, path string, depth int) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if found != "" || depth > 4 || t.Kind() != reflect.Struct || t == durationType {
			return
		}
		fields := fieldsOf(t)
		if _, ok := fields[key]; ok && path != notHere && path != "" {
			found = path
			return
		}
		for _, k := range keysOf(t) {
			visit(fields[k], join(path, k), depth+1)
		}
	}
	visit(reflect.TypeFor[Config](), "", 0)
	return found
}

// suggest returns the known key nearest to key when it is near enough to be a typo.
func suggest(key string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := detect.EditDistance(key, k, 3); d < bestD {
			best, bestD = k, d
		}
	}
	// optimal string alignment: "strat" is one edit from "start"
	if bestD <= max(1, min(3, len(key)/3)) {
		return best
	}
	return ""
}
