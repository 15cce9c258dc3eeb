package exercise

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// start removes the imports that only an exercise's code used, so that the
// copy compiles; the attendee's code needs them back. missingImportsOf
// names them, per file, from the reference and the attendee's copy.

// missingImportsOf returns, for each file of exercise id, the imports of
// the reference's file that the attendee's file lacks, as lines such as
// `work/step03-metrics/cmd/addsvc/main.go: "github.com/…/promhttp"`.
func (w *Workshop) missingImportsOf(st *Step, id string) []string {
	var lines []string
	for _, f := range st.filesOf(id) {
		lines = append(lines, w.missingIn(st, f)...)
	}
	return lines
}

// missingImports is missingImportsOf for every file with an exercise of st
// that the compiler's output names.
func (w *Workshop) missingImports(st *Step, compilerOutput string) []string {
	var files []string
	for _, r := range st.Regions {
		if !slices.Contains(files, r.File) && strings.Contains(compilerOutput, r.File+":") {
			files = append(files, r.File)
		}
	}
	var lines []string
	for _, f := range files {
		lines = append(lines, w.missingIn(st, f)...)
	}
	return lines
}

// missingIn returns the imports of the reference's file f that the
// attendee's f lacks.
func (w *Workshop) missingIn(st *Step, f string) []string {
	ref, err := importsOf(filepath.Join(st.Dir, filepath.FromSlash(f)))
	if err != nil {
		return nil
	}
	copyFile := filepath.Join(w.copyDir(st), filepath.FromSlash(f))
	have, err := importsOf(copyFile)
	if err != nil {
		return nil
	}
	var lines []string
	for _, imp := range ref {
		if !slices.Contains(have, imp) {
			lines = append(lines, fmt.Sprintf("%s: %s", w.rel(copyFile), imp))
		}
	}
	return lines
}

// importsOf returns the imports of the Go file at p, as written in an import
// declaration: "fmt", or kitzipkin "github.com/go-kit/kit/tracing/zipkin".
func importsOf(p string) ([]string, error) {
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	var imps []string
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		imp := strconv.Quote(path)
		if spec.Name != nil {
			imp = spec.Name.Name + " " + imp
		}
		imps = append(imps, imp)
	}
	return imps, nil
}
