package exercise

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// An edit outside the markers is an attendee's change to the code that
// start wrote and no exercise asks to change: a 400 made 422 in the
// transport, while the exercise is in the service. A check that then fails
// would blame the exercise's code, so check names those edits first, as
// warnings: the attendee may mean them.

// maxEditsShown is how many edits outside the markers a warning names.
const maxEditsShown = 5

// outsideEdits compares the attendee's copy of st with the copy that start
// writes, leaving out what lies between any two markers and the imports, and
// returns one line per file that differs elsewhere: its path in the copy
// (relative to the repository, as the attendee opens it), and the first line
// that differs, or that the file was added or removed.
func (w *Workshop) outsideEdits(st *Step) ([]string, error) {
	fresh, err := w.newCopy(st, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(filepath.Dir(fresh))
	dst := w.copyDir(st)
	want, err := codeFiles(fresh)
	if err != nil {
		return nil, err
	}
	got, err := codeFiles(dst)
	if err != nil {
		return nil, err
	}
	var edits []string
	for _, f := range got {
		shown := w.rel(filepath.Join(dst, filepath.FromSlash(f)))
		if !slices.Contains(want, f) {
			edits = append(edits, fmt.Sprintf("%s: a file that start did not write", shown))
			continue
		}
		a, err := os.ReadFile(filepath.Join(fresh, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		if line, differs := firstOutsideChange(f, a, b); differs {
			edits = append(edits, fmt.Sprintf("%s:%d", shown, line))
		}
	}
	for _, f := range want {
		if !slices.Contains(got, f) {
			edits = append(edits, fmt.Sprintf("%s: removed", w.rel(filepath.Join(dst, filepath.FromSlash(f)))))
		}
	}
	return edits, nil
}

// codeFiles lists the Go files and go.mod under dir, relative and with
// slashes, leaving out hidden directories.
func codeFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(d.Name(), ".go") || d.Name() == "go.mod") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the files of your copy: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

// firstOutsideChange compares a file as start wrote it (a) with the
// attendee's (b), without the lines between markers and the import
// declarations, and without blank lines and trailing spaces. It returns the
// line of b where they first differ (or the line after b's last one when b
// lacks lines at its end), and whether they differ. A file whose markers
// can't be read is compared whole.
func firstOutsideChange(name string, a, b []byte) (int, bool) {
	la, _ := outsideLines(name, a)
	lb, nums := outsideLines(name, b)
	n := min(len(la), len(lb))
	for i := range n {
		if la[i] != lb[i] {
			return nums[i], true
		}
	}
	switch {
	case len(la) == len(lb):
		return 0, false
	case len(lb) > n:
		return nums[n], true
	case n > 0:
		return nums[n-1] + 1, true
	}
	return 1, true
}

// outsideLines returns the lines of a file that lie outside its exercise
// regions and its imports, trimmed, without the blank ones, and the number
// of each in the file.
func outsideLines(name string, src []byte) ([]string, []int) {
	src = []byte(strings.ReplaceAll(string(src), "\r\n", "\n"))
	skip := map[int]bool{} // line numbers, from 1
	if strings.HasSuffix(name, ".go") {
		if regions, err := ParseRegions(name, src); err == nil {
			for _, r := range regions {
				for l := r.BeginLine + 1; l < r.EndLine; l++ {
					skip[l] = true
				}
			}
		} else {
			skipBetweenMarkers(src, skip)
		}
		fset := token.NewFileSet()
		if f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly); err == nil {
			for _, d := range f.Decls {
				for l := fset.Position(d.Pos()).Line; l <= fset.Position(d.End()).Line; l++ {
					skip[l] = true
				}
			}
		}
	}
	var lines []string
	var nums []int
	for i, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if skip[i+1] || l == "" {
			continue
		}
		lines = append(lines, l)
		nums = append(nums, i+1)
	}
	return lines, nums
}

// skipBetweenMarkers marks the lines between begin and end markers, for a
// file that does not parse: markers are read as lines.
func skipBetweenMarkers(src []byte, skip map[int]bool) {
	in := false
	for i, l := range strings.Split(string(src), "\n") {
		m := markerRE.FindStringSubmatch(strings.TrimSpace(l))
		switch {
		case m != nil && m[2] == "begin":
			in = true
		case m != nil:
			in = false
		case in:
			skip[i+1] = true
		}
	}
}

// copySum sums up the code of the copy at dir (its Go files, go.mod and
// go.sum): it changes whenever the attendee changes the code.
func copySum(dir string) (string, error) {
	files, err := codeFiles(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err == nil {
		files = append(files, "go.sum")
	}
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return "", fmt.Errorf("read your copy: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
