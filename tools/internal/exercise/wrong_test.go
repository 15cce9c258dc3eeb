package exercise

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// wrongDir holds known wrong answers, one a file, <ID>-<name>.txtar: a
// comment that says what is wrong; a section "want" with the parts that the
// failure's message must hold, one a line; then pairs of sections "old
// FILE" and "new FILE", each an edit of the finished step's FILE (the first
// occurrence of old becomes new).
const wrongDir = "testdata/wrong"

// TestWrongAnswers feeds each known wrong answer to its exercise's check,
// as make check runs it, and asserts what the attendee reads: the check
// fails, its message holds every wanted part, and the message (from "The
// first that fails" on) is maxMessageLines lines at most. Every exercise
// has one wrong answer at least.
func TestWrongAnswers(t *testing.T) {
	root := repoRoot(t)
	steps, err := LoadSteps(root)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(wrongDir)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	builds := make(chan struct{}, 1)
	for _, entry := range entries {
		id, _, _ := strings.Cut(entry.Name(), "-")
		covered[id] = true
		t.Run(strings.TrimSuffix(entry.Name(), ".txtar"), func(t *testing.T) {
			t.Parallel()
			a, err := txtar.ParseFile(filepath.Join(wrongDir, entry.Name()))
			if err != nil {
				t.Fatal(err)
			}
			n, _, err := parseID(id)
			if err != nil {
				t.Fatal(err)
			}
			var st *Step
			for _, s := range steps {
				if s.Num == n {
					st = s
				}
			}
			if st == nil || st.Exercise(id) == nil {
				t.Fatalf("%s: no exercise %s", entry.Name(), id)
			}
			w := &Workshop{Root: root, Dir: t.TempDir(), Out: &bytes.Buffer{}}
			fresh, err := w.newCopy(st, func(string) bool { return false })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.install(st, fresh, false); err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := 0; i < len(a.Files); i++ {
				f := a.Files[i]
				switch {
				case f.Name == "want":
					want = strings.Split(strings.TrimSpace(string(f.Data)), "\n")
				case strings.HasPrefix(f.Name, "old ") && i+1 < len(a.Files) && a.Files[i+1].Name == "new "+strings.TrimPrefix(f.Name, "old "):
					file := filepath.Join(w.copyDir(st), filepath.FromSlash(strings.TrimPrefix(f.Name, "old ")))
					src, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					old := strings.TrimSuffix(string(f.Data), "\n")
					if !strings.Contains(string(src), old) {
						t.Fatalf("%s: %s does not hold %q", entry.Name(), f.Name, old)
					}
					src = []byte(strings.Replace(string(src), old, strings.TrimSuffix(string(a.Files[i+1].Data), "\n"), 1))
					if err := os.WriteFile(file, src, 0o644); err != nil {
						t.Fatal(err)
					}
					i++
				default:
					t.Fatalf("%s: unexpected section %q", entry.Name(), f.Name)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: no want section", entry.Name())
			}
			builds <- struct{}{}
			out := w.Out.(*bytes.Buffer)
			err = w.Check(context.Background(), id)
			<-builds
			if !errors.Is(err, ErrNotPassing) {
				t.Fatalf("check: %v, want it not to pass:\n%s", err, out)
			}
			msg, ok := strings.CutPrefix(out.String()[strings.Index(out.String(), "\nThe first that fails"):], "\n")
			if !ok || strings.Contains(out.String(), "does not compile") {
				t.Fatalf("no failure explained:\n%s", out)
			}
			msg, _, _ = strings.Cut(msg, "\nNext: ")
			for _, s := range want {
				if !strings.Contains(msg, s) {
					t.Errorf("the message has no %q:\n%s", s, msg)
				}
			}
			if lines := strings.Count(strings.TrimRight(msg, "\n"), "\n") + 1; lines > maxMessageLines {
				t.Errorf("the message has %d lines, more than %d:\n%s", lines, maxMessageLines, msg)
			}
			if strings.Contains(msg, "\nWarning:") || strings.Contains(out.String(), "Warning: your copy differs") {
				t.Errorf("an edit inside the markers was reported as outside them:\n%s", out)
			}
			t.Logf("%s", msg)
		})
	}
	for _, st := range steps {
		for _, e := range st.Exercises {
			if !covered[e.ID] {
				t.Errorf("exercise %s has no known wrong answer in %s", e.ID, wrongDir)
			}
		}
	}
}
