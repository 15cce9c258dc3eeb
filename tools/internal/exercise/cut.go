package exercise

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// replaceRegions returns src with the lines between the markers of each
// region in regions replaced by the lines that body returns for it. The
// markers themselves are kept. regions must be regions of src, in order.
func replaceRegions(src []byte, regions []Region, body func(Region) []string) []byte {
	lines := strings.SplitAfter(string(src), "\n")
	var b strings.Builder
	next := 0 // the index of the next line of src to write
	for _, r := range regions {
		for ; next < r.BeginLine; next++ { // up to and with the begin marker
			b.WriteString(lines[next])
		}
		for _, l := range body(r) {
			b.WriteString(l)
			b.WriteString("\n")
		}
		next = r.EndLine - 1 // the end marker is written next
	}
	for ; next < len(lines); next++ {
		b.WriteString(lines[next])
	}
	return []byte(b.String())
}

// regionBodies returns the lines between the markers of each region, without
// their line endings, keyed by the region's index in regions.
func regionBodies(src []byte, regions []Region) [][]string {
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	bodies := make([][]string, len(regions))
	for i, r := range regions {
		bodies[i] = slices.Clone(lines[r.BeginLine : r.EndLine-1])
	}
	return bodies
}

// cutFile returns src with the regions in regions cut out: each one's lines
// are replaced by stub's lines, indented as the region's begin marker. Then
// the imports that only the cut code used are removed, and the result is
// gofmt'ed. name is the file's name, for errors.
func cutFile(name string, src []byte, regions []Region, stub func(Region) []string) ([]byte, error) {
	cut := replaceRegions(src, regions, func(r Region) []string {
		var out []string
		for _, l := range stub(r) {
			if l == "" {
				out = append(out, "")
				continue
			}
			out = append(out, r.Indent+l)
		}
		return out
	})
	pruned, err := pruneImports(name, src, cut)
	if err != nil {
		return nil, err
	}
	formatted, err := format.Source(pruned)
	if err != nil {
		return nil, fmt.Errorf("%s: the code left once its exercises are cut out is not valid Go: %w", name, err)
	}
	return formatted, nil
}

// pruneImports removes from cut, a version of orig with some code removed,
// the imports that orig uses and cut no longer does, so that cut compiles.
//
// It works on the syntax alone: a package is used where its name is the left
// side of a selector (log.Printf). The name of an import without an explicit
// one is guessed from its path as goimports guesses it (the last element,
// without a version suffix, a "go-" prefix or what follows a character that
// can't be in a name: zipkin-go → zipkin, yaml.v3 → yaml). Since orig
// compiles, each of its imports is used there; if the guessed name is not,
// the guess is wrong, and pruneImports says so rather than leave an unused
// import or remove a used one. Blank and dot imports are kept.
func pruneImports(name string, orig, cut []byte) ([]byte, error) {
	fset := token.NewFileSet()
	of, err := parser.ParseFile(fset, name, orig, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	full, err := parser.ParseFile(fset, name, orig, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	usedBefore := selectorBases(full)

	cfset := token.NewFileSet()
	cf, err := parser.ParseFile(cfset, name, cut, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("%s: the code left once its exercises are cut out is not valid Go: %w", name, err)
	}
	usedAfter := selectorBases(cf)

	unused := map[string]bool{} // import paths to remove
	for _, spec := range of.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		local := importName(spec)
		if local == "_" || local == "." {
			continue
		}
		if !usedBefore[local] {
			return nil, fmt.Errorf("%s: cannot tell the name of the package %q (guessed %q, which the file does not use): give its import an explicit name", name, p, local)
		}
		if !usedAfter[local] {
			unused[p] = true
		}
	}
	if len(unused) == 0 {
		return cut, nil
	}

	drop := map[int]bool{} // lines of cut to drop, counted from 1
	dropNode := func(from, to token.Pos, doc *ast.CommentGroup) {
		if doc != nil {
			from = doc.Pos()
		}
		for l := cfset.Position(from).Line; l <= cfset.Position(to).Line; l++ {
			drop[l] = true
		}
	}
	for _, d := range cf.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		kept := 0
		for _, s := range gd.Specs {
			spec := s.(*ast.ImportSpec)
			p, _ := strconv.Unquote(spec.Path.Value)
			if !unused[p] {
				kept++
			}
		}
		if kept == 0 {
			dropNode(gd.Pos(), gd.End(), gd.Doc)
			continue
		}
		for _, s := range gd.Specs {
			spec := s.(*ast.ImportSpec)
			if p, _ := strconv.Unquote(spec.Path.Value); unused[p] {
				dropNode(spec.Pos(), spec.End(), spec.Doc)
			}
		}
		// A blank line left just before the closing parenthesis.
		closing := cfset.Position(gd.Rparen).Line
		for l := closing - 1; l > cfset.Position(gd.Lparen).Line; l-- {
			if !drop[l] {
				break
			}
			if l-1 > 0 && strings.TrimSpace(lineOf(cut, l-1)) == "" {
				drop[l-1] = true
			}
		}
	}
	lines := strings.SplitAfter(string(cut), "\n")
	var b strings.Builder
	for i, l := range lines {
		if !drop[i+1] {
			b.WriteString(l)
		}
	}
	return []byte(b.String()), nil
}

// lineOf returns line n (counted from 1) of src.
func lineOf(src []byte, n int) string {
	lines := strings.Split(string(src), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

// selectorBases returns the names used on the left of a selector in f:
// log and s in log.Printf(s.x).
func selectorBases(f *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// importName returns the name under which spec's package is used in its
// file: its explicit name, or the name guessed from its path.
func importName(spec *ast.ImportSpec) string {
	if spec.Name != nil {
		return spec.Name.Name
	}
	p, _ := strconv.Unquote(spec.Path.Value)
	return assumedName(p)
}

// assumedName guesses a package's name from its import path, the way
// goimports does: the last element, or the one before it if the last is a
// major version (v2); without a "go-" prefix; cut at the first character that
// can't be in a Go name.
func assumedName(importPath string) string {
	base := path.Base(importPath)
	if len(base) > 1 && base[0] == 'v' {
		if _, err := strconv.Atoi(base[1:]); err == nil {
			if dir := path.Dir(importPath); dir != "." {
				base = path.Base(dir)
			}
		}
	}
	base = strings.TrimPrefix(base, "go-")
	if i := strings.IndexFunc(base, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}); i >= 0 {
		base = base[:i]
	}
	return base
}
