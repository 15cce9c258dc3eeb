package exercise

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

// Region is one marked region of a Go file: the lines between a begin marker
// and its end marker.
type Region struct {
	ID        string // the exercise, e.g. "2.1"
	File      string // the file, relative to the step's directory, with slashes
	BeginLine int    // the line of the begin marker, counted from 1
	EndLine   int    // the line of the end marker
	Indent    string // the begin marker's indentation, given to the stub's lines
}

func (r Region) String() string {
	return fmt.Sprintf("exercise %s at %s:%d-%d", r.ID, r.File, r.BeginLine, r.EndLine)
}

var (
	// markerRE matches a well-formed marker comment.
	markerRE = regexp.MustCompile(`^// exercise ([1-9][0-9]*\.[1-9][0-9]*) (begin|end)$`)
	// nearMarkerRE matches what was probably meant to be a marker.
	nearMarkerRE = regexp.MustCompile(`(?i)^//\s*exercise\s*[0-9]`)
)

// marker is one begin or end comment.
type marker struct {
	id    string
	begin bool
	pos   token.Pos
	line  int
}

// ParseRegions finds the marked regions of one Go file. name is the file's
// path relative to the step's directory (used in the regions and in errors),
// and src its content. It reports an error for a malformed marker, a marker
// that shares its line with code, markers that do not pair up, nested
// regions, empty regions, and regions that are not whole statements of one
// function body.
func ParseRegions(name string, src []byte) ([]Region, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	lines := strings.Split(string(src), "\n")

	var markers []marker
	for _, group := range f.Comments {
		for _, c := range group.List {
			if !nearMarkerRE.MatchString(c.Text) {
				continue
			}
			line := fset.Position(c.Pos()).Line
			m := markerRE.FindStringSubmatch(strings.TrimSpace(c.Text))
			if m == nil {
				return nil, fmt.Errorf("%s:%d: malformed exercise marker %q: write // exercise N.M begin or // exercise N.M end", name, line, c.Text)
			}
			if strings.TrimSpace(lines[line-1]) != c.Text {
				return nil, fmt.Errorf("%s:%d: the marker %q must be alone on its line", name, line, c.Text)
			}
			markers = append(markers, marker{id: m[1], begin: m[2] == "begin", pos: c.Pos(), line: line})
		}
	}

	var regions []Region
	var open *marker
	for i := range markers {
		m := &markers[i]
		switch {
		case m.begin && open != nil:
			return nil, fmt.Errorf("%s:%d: exercise %s begins inside exercise %s (begun at line %d): regions cannot nest", name, m.line, m.id, open.id, open.line)
		case m.begin:
			open = m
		case open == nil:
			return nil, fmt.Errorf("%s:%d: exercise %s ends but never began", name, m.line, m.id)
		case open.id != m.id:
			return nil, fmt.Errorf("%s:%d: exercise %s ends inside exercise %s (begun at line %d)", name, m.line, m.id, open.id, open.line)
		default:
			if m.line == open.line+1 {
				return nil, fmt.Errorf("%s:%d: exercise %s's region is empty", name, open.line, m.id)
			}
			if err := checkPlacement(fset, f, name, *open, *m); err != nil {
				return nil, err
			}
			beginText := lines[open.line-1]
			regions = append(regions, Region{
				ID:        m.id,
				File:      name,
				BeginLine: open.line,
				EndLine:   m.line,
				Indent:    beginText[:len(beginText)-len(strings.TrimLeft(beginText, " \t"))],
			})
			open = nil
		}
	}
	if open != nil {
		return nil, fmt.Errorf("%s:%d: exercise %s begins but never ends", name, open.line, open.id)
	}
	return regions, nil
}

// stmtList is a list of statements of a function body: a block, or the body
// of a case or select clause, with the positions between which a comment is
// inside it.
type stmtList struct {
	from, to token.Pos
	stmts    []ast.Stmt
}

// checkPlacement checks that a region's markers sit between the statements
// of one statement list, so that the lines between them are whole statements
// and replacing them keeps the file valid Go.
func checkPlacement(fset *token.FileSet, f *ast.File, name string, begin, end marker) error {
	var lists []stmtList
	clauseBodies := map[*ast.BlockStmt]bool{} // the bodies of switch and select statements
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SwitchStmt:
			clauseBodies[n.Body] = true
		case *ast.TypeSwitchStmt:
			clauseBodies[n.Body] = true
		case *ast.SelectStmt:
			clauseBodies[n.Body] = true
		case *ast.BlockStmt:
			if !clauseBodies[n] {
				lists = append(lists, stmtList{n.Lbrace + 1, n.Rbrace, n.List})
				break
			}
			// A clause's statements run from its colon to the next
			// clause, so that a marker after its last statement is in it.
			for i, c := range n.List {
				to := n.Rbrace
				if i+1 < len(n.List) {
					to = n.List[i+1].Pos()
				}
				switch c := c.(type) {
				case *ast.CaseClause:
					lists = append(lists, stmtList{c.Colon + 1, to, c.Body})
				case *ast.CommClause:
					lists = append(lists, stmtList{c.Colon + 1, to, c.Body})
				}
			}
		}
		return true
	})
	// innermost returns the smallest statement list that holds pos.
	innermost := func(pos token.Pos) (stmtList, bool) {
		var best stmtList
		found := false
		for _, l := range lists {
			if l.from <= pos && pos < l.to && (!found || l.to-l.from < best.to-best.from) {
				best, found = l, true
			}
		}
		return best, found
	}
	for _, m := range []marker{begin, end} {
		l, ok := innermost(m.pos)
		if !ok {
			return fmt.Errorf("%s:%d: exercise %s's marker is not inside a function body", name, m.line, m.id)
		}
		for _, s := range l.stmts {
			if s.Pos() < m.pos && m.pos < s.End() {
				return fmt.Errorf("%s:%d: exercise %s's marker is inside the statement of lines %d-%d: put it between statements",
					name, m.line, m.id, fset.Position(s.Pos()).Line, fset.Position(s.End()).Line)
			}
		}
	}
	lb, _ := innermost(begin.pos)
	le, _ := innermost(end.pos)
	if lb.from != le.from {
		return fmt.Errorf("%s:%d: exercise %s begins and ends (line %d) in different blocks", name, begin.line, begin.id, end.line)
	}
	return nil
}

// parseID splits an exercise ID "N.M" into its step N and number M.
func parseID(id string) (step, num int, err error) {
	a, b, ok := strings.Cut(id, ".")
	if ok {
		step, err = strconv.Atoi(a)
	}
	if ok && err == nil {
		num, err = strconv.Atoi(b)
	}
	if !ok || err != nil || step < 1 || num < 1 {
		return 0, 0, fmt.Errorf("%q is not an exercise: exercises are named N.M, such as 2.1", id)
	}
	return step, num, nil
}
