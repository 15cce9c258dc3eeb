package exercise

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/diff"
)

// Solution shows the reference code of exercise id (the current one if id
// is "") as a unified diff against the attendee's copy: what to change in
// their files to get the reference's. Where the attendee's file still has
// the exercise's markers, only the code between them changes (and the
// imports it needs), whatever the attendee did elsewhere; where the markers
// are gone, the diff compares the whole file with the reference.
func (w *Workshop) Solution(id string) error {
	_, st, e, err := w.exercise(id)
	if err != nil {
		return err
	}
	if e == nil {
		w.printf("Every exercise of step %d is done: there is no solution left to show.\n", st.Num)
		w.nextStep(st, nil)
		return nil
	}
	dst := w.copyDir(st)
	if ok, err := exists(dst); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("there is no copy of step %d in %s: run %s", st.Num, w.rel(w.Dir), w.cmd(fmt.Sprintf("start %d", st.Num)))
	}
	w.printf("The reference code of exercise %s, %s, as changes to your copy (- your lines, + the reference's):\n\n", e.ID, e.Title)
	same := true
	for _, f := range st.filesOf(e.ID) {
		d, whole, err := solutionDiff(st, e.ID, f, filepath.Join(dst, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		if whole {
			w.printf("(The markers of exercise %s are no longer all in %s, so this compares the whole file with the reference.)\n",
				e.ID, w.rel(filepath.Join(dst, filepath.FromSlash(f))))
		}
		if len(d) > 0 {
			same = false
			w.printf("%s\n", d)
		}
	}
	if same {
		w.printf("Your code of exercise %s is the reference's already.\n", e.ID)
	}
	w.printf("Next: make the changes in %s (by hand: typing them is half the lesson), then run %s.\n", w.rel(dst), w.cmd("check"))
	return nil
}

// solutionDiff returns the diff, for file f of the step, between the
// attendee's file at mine and that file with exercise id's regions as the
// reference has them. whole is true when the attendee's markers are gone,
// and the diff is with the whole reference file.
func solutionDiff(st *Step, id, f, mine string) (d []byte, whole bool, err error) {
	ref, err := os.ReadFile(filepath.Join(st.Dir, filepath.FromSlash(f)))
	if err != nil {
		return nil, false, err
	}
	ref = bytes.ReplaceAll(ref, []byte("\r\n"), []byte("\n"))
	yours, err := os.ReadFile(mine)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	yours = bytes.ReplaceAll(yours, []byte("\r\n"), []byte("\n"))

	var refRegions []Region
	for _, r := range st.regionsInFile(f) {
		if r.ID == id {
			refRegions = append(refRegions, r)
		}
	}
	want := ref
	whole = true
	if myAll, err := ParseRegions(f, yours); err == nil {
		var my []Region
		for _, r := range myAll {
			if r.ID == id {
				my = append(my, r)
			}
		}
		if len(my) == len(refRegions) {
			whole = false
			want = restoreRegions(yours, my, ref, refRegions)
			if w, err := addImports(want, ref); err == nil {
				want = w
			}
			if formatted, err := format.Source(yours); err == nil && bytes.Equal(formatted, yours) {
				if w, err := format.Source(want); err == nil {
					want = w
				}
			}
		}
	}
	return diff.Diff("a/"+f, yours, "b/"+f, want), whole, nil
}

// restoreRegions returns src with its regions mine filled with the code of
// the reference's regions (ref, refRegions), one for one, re-indented as
// mine's markers.
func restoreRegions(src []byte, mine []Region, ref []byte, refRegions []Region) []byte {
	bodies := regionBodies(ref, refRegions)
	i := 0
	return replaceRegions(src, mine, func(r Region) []string {
		var out []string
		for _, l := range bodies[i] {
			if l == "" {
				out = append(out, l)
				continue
			}
			out = append(out, r.Indent+strings.TrimPrefix(l, refRegions[i].Indent))
		}
		i++
		return out
	})
}

// addImports adds to src the imports of ref that src uses but does not
// import, as pruneImports removed them: restored code may need them. Each
// goes after the import that precedes it in ref, if src has that one, so
// that it lands in the same group.
func addImports(src, ref []byte) ([]byte, error) {
	fset := token.NewFileSet()
	sf, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	rf, err := parser.ParseFile(token.NewFileSet(), "", ref, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, spec := range sf.Imports {
		have[importName(spec)] = true
	}
	used := selectorBases(sf)

	// The one parenthesized import declaration of src, if it has one: the
	// missing imports go into it.
	var group *ast.GenDecl
	for _, decl := range sf.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			if group != nil || !gd.Lparen.IsValid() {
				group = nil
				break
			}
			group = gd
		}
	}
	lineOfPath := map[string]int{} // the line of each import of the group
	if group != nil {
		for _, s := range group.Specs {
			spec := s.(*ast.ImportSpec)
			lineOfPath[spec.Path.Value] = fset.Position(spec.End()).Line
		}
	}

	inserts := map[int][]string{} // lines to insert after line n (from 1)
	for i, spec := range rf.Imports {
		name := importName(spec)
		if !used[name] || have[name] {
			continue
		}
		text := spec.Path.Value
		if spec.Name != nil {
			text = spec.Name.Name + " " + text
		}
		if group == nil {
			after := fset.Position(sf.Name.End()).Line
			inserts[after] = append(inserts[after], "import "+text)
			continue
		}
		after := fset.Position(group.Lparen).Line
		for j := i - 1; j >= 0; j-- {
			if l, ok := lineOfPath[rf.Imports[j].Path.Value]; ok {
				after = l
				break
			}
		}
		inserts[after] = append(inserts[after], "\t"+text)
	}
	if len(inserts) == 0 {
		return src, nil
	}
	var b strings.Builder
	for i, l := range strings.SplitAfter(string(src), "\n") {
		b.WriteString(l)
		for _, text := range inserts[i+1] {
			b.WriteString(text + "\n")
		}
	}
	return []byte(b.String()), nil
}
