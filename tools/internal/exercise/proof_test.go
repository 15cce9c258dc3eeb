package exercise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// solutionsDir holds, for some exercises, a solution written with other
// internal names than the reference's: solutions/<ID>/<file of the step>,
// whole files that replace the finished step's.
const solutionsDir = "testdata/solutions"

// proofTimeout bounds the proof of one copy.
const proofTimeout = 10 * time.Minute

// repoRoot returns the repository's root, from this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work")); err != nil {
		t.Fatalf("the repository's root is not %s: %v", dir, err)
	}
	return dir
}

// TestEveryExercise proves every exercise of every step that has them, as
// CI must:
//
//   - on the copy that start writes, which compiles, every check fails;
//   - on a copy with only that exercise cut out, its check fails, and the
//     checks of the step's earlier exercises pass: each check tests its own
//     exercise, and may rely on the earlier exercises of its step (in the
//     order they are done, the core ones first: 3.2 reads the /metrics that
//     3.1 serves) but never on later ones;
//   - on a copy with only the extras cut out, every core check passes: the
//     core track, which skips the extras, can be done;
//   - on the copy that catchup writes, every check passes;
//   - the solutions in testdata/solutions, written with other internal names
//     and another shape than the reference's, pass their checks, and at
//     least one exercise of each step has one.
//
// It builds each copy with go build and runs its services, so it takes a
// while; the steps and their copies are proved side by side.
func TestEveryExercise(t *testing.T) {
	root := repoRoot(t)
	steps, err := LoadSteps(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 {
		t.Fatal("no step has exercises")
	}
	registry := check.Registry()
	var ids []string
	for _, st := range steps {
		for _, e := range st.Exercises {
			ids = append(ids, e.ID)
			if len(registry[e.ID]) == 0 {
				t.Errorf("exercise %s has no check in check.Registry", e.ID)
			}
		}
	}
	for id := range registry {
		if !slices.Contains(ids, id) {
			t.Errorf("check.Registry has checks for %s, which is no exercise", id)
		}
	}
	solutions, err := os.ReadDir(solutionsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range solutions {
		if !slices.Contains(ids, s.Name()) {
			t.Errorf("%s/%s is the solution of no exercise", solutionsDir, s.Name())
		}
	}

	// One build at a time: on a cold cache the first compiles what the
	// others reuse, and the checks that run meanwhile have the CPU.
	builds := make(chan struct{}, 1)
	for _, st := range steps {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			all := func(string) bool { return true }
			none := func(string) bool { return false }

			t.Run("start: every check fails", func(t *testing.T) {
				t.Parallel()
				results := checkCopy(t, builds, root, st, all, "")
				for _, e := range st.Exercises {
					if r := results[e.ID]; r.Passed() == len(r) {
						t.Errorf("exercise %s: its check passes on the copy that start writes, where its code is cut out", e.ID)
					}
				}
			})
			order := st.Order()
			for i, e := range order {
				t.Run("only "+e.ID+" cut: its check fails, the earlier ones pass", func(t *testing.T) {
					t.Parallel()
					results := checkCopy(t, builds, root, st, func(id string) bool { return id == e.ID }, "")
					for _, other := range order[:i] {
						if r := results[other.ID]; !r.OK() {
							t.Errorf("exercise %s: its check fails on a copy where only exercise %s is cut out: %s", other.ID, e.ID, describe(r))
						}
					}
					if results[e.ID].OK() {
						t.Errorf("exercise %s: its check passes on a copy where its code is cut out", e.ID)
					}
				})
			}
			t.Run("only the extras cut: every core check passes", func(t *testing.T) {
				t.Parallel()
				results := checkCopy(t, builds, root, st, func(id string) bool { return !st.Exercise(id).Core() }, "")
				for _, e := range st.Core() {
					if r := results[e.ID]; !r.OK() {
						t.Errorf("core exercise %s: its check fails on a copy where only the extras are cut out (the core track skips them): %s", e.ID, describe(r))
					}
				}
			})
			t.Run("catchup: every check passes", func(t *testing.T) {
				t.Parallel()
				results := checkCopy(t, builds, root, st, none, "")
				for _, e := range st.Exercises {
					if r := results[e.ID]; !r.OK() {
						t.Errorf("exercise %s: its check fails on the finished step: %s", e.ID, describe(r))
					}
				}
			})
			solved := 0
			for _, e := range st.Exercises {
				dir := filepath.Join(solutionsDir, e.ID)
				if ok, err := exists(dir); err != nil || !ok {
					continue
				}
				solved++
				t.Run("solution of "+e.ID+" with other names passes", func(t *testing.T) {
					t.Parallel()
					results := checkCopy(t, builds, root, st, none, dir)
					if r := results[e.ID]; !r.OK() {
						t.Errorf("exercise %s: its check fails on the solution in %s: %s", e.ID, dir, describe(r))
					}
				})
			}
			if solved == 0 {
				t.Errorf("no exercise of step %d has a solution with other names in %s/<ID>/", st.Num, solutionsDir)
			}
		})
	}
}

// checkCopy writes a copy of st in a directory of its own, with the
// exercises for which cut is true cut out, and the files under overlay (if
// not "") copied over it; builds it (one build at a time: builds), and runs
// the checks of every exercise of the step on it. The copy must compile.
func checkCopy(t *testing.T, builds chan struct{}, root string, st *Step, cut func(string) bool, overlay string) map[string]check.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), proofTimeout)
	defer cancel()
	w := &Workshop{Root: root, Dir: t.TempDir(), Out: io.Discard}
	fresh, err := w.newCopy(st, cut)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.install(st, fresh, false); err != nil {
		t.Fatal(err)
	}
	if overlay != "" {
		if err := copyTree(overlay, w.copyDir(st)); err != nil {
			t.Fatal(err)
		}
	}
	builds <- struct{}{}
	b, err := check.NewBuild(ctx, w.copyDir(st), t.TempDir(), w.goEnv())
	<-builds
	var be *check.BuildError
	if errors.As(err, &be) {
		t.Fatalf("the copy does not compile:\n%s", be.Output)
	}
	if err != nil {
		t.Fatal(err)
	}
	registry := check.Registry()
	results := map[string]check.Result{}
	for _, e := range st.Exercises {
		results[e.ID] = check.Run(ctx, b, registry[e.ID])
	}
	return results
}

// TestCoreTrack checks the plan of the three-hour workshop: every step with
// exercises has one or two core ones, and they add up to MaxCoreMinutes at
// most, with room left for each step still to come (stepsToCome, at
// minutesToCome each).
func TestCoreTrack(t *testing.T) {
	steps, err := LoadSteps(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	last := 0
	for _, st := range steps {
		for _, e := range st.Core() {
			total += e.Minutes
		}
		last = st.Num
	}
	const lastStep, minutesToCome = 9, 15 // steps 8 and 9 get one core exercise each, of about this
	room := (lastStep - last) * minutesToCome
	if total+room > MaxCoreMinutes {
		t.Errorf("the core exercises of steps up to %d take %d minutes, and steps %d to %d need about %d more: over the %d of the plan",
			last, total, last+1, lastStep, room, MaxCoreMinutes)
	}
	t.Logf("core track: %d minutes for steps up to %d, %d kept for the steps to come", total, last, room)
}

// describe says how a result went, for a test's message.
func describe(r check.Result) string {
	f := r.FirstFailure()
	if f == nil {
		return fmt.Sprintf("%d of %d checks pass", r.Passed(), len(r))
	}
	return fmt.Sprintf("%d of %d checks pass; the first that fails, %s:\n%s", r.Passed(), len(r), f.Case, f.Err)
}

// copyTree copies the files under src into dst, replacing what is there.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if strings.HasSuffix(out, string(filepath.Separator)) {
			return nil
		}
		return os.WriteFile(out, b, 0o644)
	})
}
