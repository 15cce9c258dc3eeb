package module_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layers are the step's packages from the inside of the onion out (slide
// 53: source code dependencies point only inwards). A package may import
// only the packages listed before it. word is what the package's name
// already says, so its exported names need not say it again.
var layers = []struct {
	dir, word string
}{
	{"limits", ""},   // step 8's limits know no layer: any may use them, and main wires them
	{"svckit", ""},   // what both services' main build the same way (step 9)
	{"contract", ""}, // step 9: what addsvc expects of stringsvc, as data
	{"addservice", "Service"},
	{"addendpoint", "Endpoint"},
	{"stringservice", "Service"},     // step 9's second service: its onion, the same layout...
	{"stringendpoint", "Endpoint"},   // ...with addendpoint's middlewares...
	{"stringtransport", "Transport"}, // ...and its client, which addsvc's main wires
	{"pb", ""},                       // the gRPC code generated from addsvc.proto: the wire's types
	{"addtransport", "Transport"},
	{"cmd/addsvc", ""},
	{"cmd/addcli", ""},
	{"cmd/stringsvc", ""},
	{"cmd/loadgen", ""},
}

// goPackage is what go list tells of one package of the step.
type goPackage struct {
	Dir, ImportPath                    string
	Module                             struct{ Path string }
	GoFiles                            []string
	Imports, TestImports, XTestImports []string
}

// listPackages lists the step's packages with go list.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	// -e lists packages that do not build too: an import cycle is the
	// mistake this test is for.
	cmd := exec.Command("go", "list", "-e", "-json=Dir,ImportPath,Module,GoFiles,Imports,TestImports,XTestImports", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// rankOf returns the index in layers of the step's package with import path
// path, or -1 for a package outside the step (the standard library, a
// dependency) or for the step's root.
func rankOf(module, path string) int {
	rel, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return -1
	}
	return slices.IndexFunc(layers, func(l struct{ dir, word string }) bool { return l.dir == rel })
}

func TestDependenciesPointInwards(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, p.Module.Path), "/")
		if rel == "" {
			continue // this test's own package
		}
		rank := rankOf(p.Module.Path, p.ImportPath)
		if rank < 0 {
			t.Errorf("package %s is in no layer: add it to layers in layers_test.go, at its place in the onion", rel)
			continue
		}
		imports := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		for _, imp := range imports {
			if imp == p.ImportPath {
				continue // an external test package imports its own package
			}
			if r := rankOf(p.Module.Path, imp); r >= rank {
				t.Errorf("%s imports %s: a layer may import only layers inside it (slide 53)", rel, layers[r].dir)
			}
		}
	}
}

func TestNamesDoNotRepeatTheirPackage(t *testing.T) {
	for _, p := range listPackages(t) {
		rank := rankOf(p.Module.Path, p.ImportPath)
		if rank < 0 || layers[rank].word == "" {
			continue
		}
		word := layers[rank].word
		for _, name := range exportedNames(t, p.Dir, p.GoFiles) {
			if (name != word && strings.HasPrefix(name, word)) || strings.Contains(name, word+"Middleware") {
				t.Errorf("%s.%s repeats what the package name says (%s)", filepath.Base(p.Dir), name, word)
			}
		}
	}
}

// exportedNames returns the exported names that the files declare at the
// top level.
func exportedNames(t *testing.T, dir string, files []string) []string {
	t.Helper()
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						names = append(names, s.Name.Name)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return slices.DeleteFunc(names, func(n string) bool { return !ast.IsExported(n) })
}
