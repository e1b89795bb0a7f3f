package config

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the Config comments")

// referencePath is the configuration reference, generated from the Config types' doc comments
// (they are the reference; this file is their rendering for people who do not read Go).
const referencePath = "../../docs/configuration.md"

const modulePath = "github.com/certhunt/certhunt/"

// TestConfigReferenceUpToDate fails when docs/configuration.md differs from what the Config
// comments and Default() say; `go test ./internal/config -run Reference -update` rewrites it.
func TestConfigReferenceUpToDate(t *testing.T) {
	got := renderReference(t)
	if *update {
		if err := os.WriteFile(referencePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/config -run Reference -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s is stale: run go test ./internal/config -run Reference -update", referencePath)
	}
}

// fieldDocs maps "pkgpath.Type.Field" to the field's doc comment, for the packages Config uses.
func fieldDocs(t *testing.T) map[string]string {
	docs := map[string]string{}
	for _, dir := range []string{".", "../auth", "../notify/notifyconf"} {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join(mustAbs(t, "../.."), ""), abs)
		pkg := modulePath + filepath.ToSlash(rel)
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				for _, fld := range st.Fields.List {
					text := strings.Join(strings.Fields(fld.Doc.Text()), " ")
					if text == "" {
						text = strings.Join(strings.Fields(fld.Comment.Text()), " ")
					}
					for _, name := range fld.Names {
						docs[pkg+"."+ts.Name.Name+"."+name.Name] = text
					}
				}
				return true
			})
		}
	}
	return docs
}

func mustAbs(t *testing.T, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func renderReference(t *testing.T) string {
	docs := fieldDocs(t)
	var b strings.Builder
	b.WriteString("# certhunt configuration reference\n\n")
	b.WriteString("Generated from the doc comments of `internal/config` (`go test ./internal/config -run Reference -update`);\n")
	b.WriteString("do not edit by hand. YAML keys are shown as paths; `[]` marks a list of such objects. Every\n")
	b.WriteString("scalar key is also a flag and a `CERTHUNT_*` environment variable (`certhunt help config`).\n")
	b.WriteString("`certhunt config default` prints a commented file with the defaults.\n\n")
	b.WriteString("| key | type | default | meaning |\n|---|---|---|---|\n")
	var walk func(prefix string, typ reflect.Type, val reflect.Value)
	walk = func(prefix string, typ reflect.Type, val reflect.Value) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("yaml")
			name, _, _ := strings.Cut(tag, ",")
			var fv reflect.Value
			if val.IsValid() {
				fv = val.Field(i)
			}
			if strings.Contains(tag, "inline") {
				walk(prefix, f.Type, fv)
				continue
			}
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			key := prefix + name
			doc := docs[typ.PkgPath()+"."+typ.Name()+"."+f.Name]
			ft := f.Type
			switch {
			case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]():
				if doc != "" {
					fmt.Fprintf(&b, "| `%s` | section | | %s |\n", key, cell(doc))
				}
				walk(key+".", ft, fv)
				continue
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				fmt.Fprintf(&b, "| `%s` | list | | %s |\n", key, cell(doc))
				walk(key+"[].", ft.Elem(), reflect.Value{})
				continue
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", key, typeName(ft), defaultOf(fv), cell(doc))
		}
	}
	walk("", reflect.TypeFor[Config](), reflect.ValueOf(*Default()))
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	case t.Kind() == reflect.Slice:
		return "list of " + typeName(t.Elem())
	case t.Kind() == reflect.Map:
		return "map of " + typeName(t.Elem())
	case t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Int:
		return "integer"
	}
	return t.Kind().String()
}

func defaultOf(v reflect.Value) string {
	if !v.IsValid() || v.IsZero() {
		return ""
	}
	if d, ok := v.Interface().(time.Duration); ok {
		return "`" + d.String() + "`"
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Map {
		return fmt.Sprintf("`%v`", v.Interface())
	}
	return fmt.Sprintf("`%v`", v.Interface())
}
