package exercise

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// writeCopy writes a copy of the step into dst, a directory that must not
// exist yet, with the regions of the exercises for which cut is true
// replaced by their stubs (and the imports only they used removed). Markers
// are kept, so that the attendee sees where to write, and solution can find
// the regions again.
func (st *Step) writeCopy(dst string, cut func(id string) bool) error {
	files, err := st.files()
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return fmt.Errorf("make the copy of %s: %w", st.Name, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(st.Dir, filepath.FromSlash(f)))
		if err != nil {
			return fmt.Errorf("copy %s: %w", st.Name, err)
		}
		var toCut []Region
		for _, r := range st.regionsInFile(f) {
			if cut(r.ID) {
				toCut = append(toCut, r)
			}
		}
		if len(toCut) > 0 {
			src, err = cutFile(f, bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), toCut, st.stubFor)
			if err != nil {
				return fmt.Errorf("%s: %w", st.Name, err)
			}
		}
		out := filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return fmt.Errorf("copy %s: %w", st.Name, err)
		}
		if err := os.WriteFile(out, src, 0o644); err != nil {
			return fmt.Errorf("copy %s: %w", st.Name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "Makefile"), []byte(copyMakefile), 0o644); err != nil {
		return fmt.Errorf("copy %s: %w", st.Name, err)
	}
	return nil
}

// copyMakefile is the Makefile of a copy, in work/stepNN-name/: the
// repository's, so that make check, make hint and the rest work from inside
// the copy too.
const copyMakefile = `# Written by the workshop's start and catchup commands: the repository's
# Makefile, so that make check, make hint and the others work from here too.
include ../../Makefile
`

// stubFor returns the lines that replace region r in the attendee's copy.
func (st *Step) stubFor(r Region) []string {
	for i, other := range st.RegionsOf(r.ID) {
		if other.File == r.File && other.BeginLine == r.BeginLine {
			return st.Exercise(r.ID).StubLines(i)
		}
	}
	return st.Exercise(r.ID).StubLines(0)
}

// sameFiles reports whether the directories a and b hold the same text
// files with the same contents. Binaries (built by hand in a copy) are not
// compared: they are not work.
func sameFiles(a, b string) (bool, error) {
	list := func(dir string) (map[string]bool, error) {
		files := map[string]bool{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			if bin, err := isBinary(p); err != nil || bin {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			files[rel] = true
			return err
		})
		return files, err
	}
	fa, err := list(a)
	if err != nil {
		return false, err
	}
	fb, err := list(b)
	if err != nil {
		return false, err
	}
	if len(fa) != len(fb) {
		return false, nil
	}
	for f := range fa {
		if !fb[f] {
			return false, nil
		}
		ca, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			return false, err
		}
		cb, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			return false, err
		}
		if !bytes.Equal(ca, cb) {
			return false, nil
		}
	}
	return true, nil
}

// exists reports whether p exists.
func exists(p string) (bool, error) {
	_, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// slash returns p relative to base, with slashes, for messages: the
// attendee's paths look the same on every system.
func slash(base, p string) string {
	rel, err := filepath.Rel(base, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}
