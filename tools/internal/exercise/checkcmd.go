package exercise

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// Check runs the checks of exercise id (the current exercise if id is "",
// or every exercise of the step once all are done) against the attendee's
// copy, and says how many pass, what failed first, and what to do next. An
// exercise whose checks pass is marked done. The error is ErrNotPassing
// when a check fails or the copy does not compile.
func (w *Workshop) Check(ctx context.Context, id string) error {
	p, st, e, err := w.exercise(id)
	if err != nil {
		return err
	}
	exercises := []*Exercise{e}
	if e == nil {
		exercises = st.Exercises
		w.printf("Every exercise of step %d is done; checking them all again.\n", st.Num)
	}
	dst := w.copyDir(st)
	if ok, err := exists(dst); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("there is no copy of step %d in %s: run %s", st.Num, w.rel(w.Dir), w.cmd(fmt.Sprintf("start %d", st.Num)))
	}

	b, cleanup, err := w.build(ctx, st)
	if err != nil {
		return err
	}
	defer cleanup()

	all := true
	for _, e := range exercises {
		if !w.runChecks(ctx, b, e) {
			all = false
			continue
		}
		if !p.isDone(e.ID) || p.Done[e.ID].By != byCheck {
			p.Done[e.ID] = Done{At: w.now(), By: byCheck}
		}
	}
	if err := p.save(w.Dir); err != nil {
		return err
	}
	if !all {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.printf("Next: change your code, then run %s again (or %s, which re-checks on each save). Stuck? %s gives a hint.\n",
			w.cmd("check"), w.cmd("watch"), w.cmd("hint"))
		return ErrNotPassing
	}
	if len(exercises) == 1 {
		w.printf("Exercise %s is done.\n", exercises[0].ID)
	}
	if p.Step != st.Num {
		return nil // an exercise of another step, checked by name
	}
	if next := p.current(st); next != nil {
		w.printf("\n")
		w.introduce(st, next, "Next")
		return nil
	}
	w.printf("Step %d is done: every one of its exercises passes.\n", st.Num)
	w.nextStep(st)
	return nil
}

// build builds the attendee's copy of st, and says so. A compile error is
// printed as the compiler wrote it, and returned as ErrNotPassing.
func (w *Workshop) build(ctx context.Context, st *Step) (*check.Build, func(), error) {
	dst := w.copyDir(st)
	bin, err := os.MkdirTemp("", "workshop-bin-")
	if err != nil {
		return nil, nil, fmt.Errorf("make a directory for the binaries: %w", err)
	}
	cleanup := func() { os.RemoveAll(bin) }
	w.printf("Building %s…\n", w.rel(dst))
	b, err := check.NewBuild(ctx, dst, bin, w.goEnv())
	var be *check.BuildError
	if errors.As(err, &be) {
		cleanup()
		w.printf("It does not compile. The Go compiler says (paths are in %s):\n\n%s\n\n", w.rel(dst), be.Output)
		w.printf("Next: fix what the compiler points to, then run %s again.\n", w.cmd("check"))
		return nil, nil, ErrNotPassing
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return b, cleanup, nil
}

// runChecks runs the checks of e against b, prints how each went and
// explains the first failure. It reports whether all passed.
func (w *Workshop) runChecks(ctx context.Context, b *check.Build, e *Exercise) bool {
	cases := w.checks()[e.ID]
	w.printf("\nExercise %s, %s:\n", e.ID, e.Title)
	if len(cases) == 0 {
		w.printf("  it has no checks: a bug in the workshop; please report it.\n")
		return false
	}
	r := check.Run(ctx, b, cases)
	for _, o := range r {
		mark := "ok  "
		if o.Err != nil {
			mark = "FAIL"
		}
		w.printf("  %s %s\n", mark, o.Case)
	}
	w.printf("%d of %d checks pass.\n", r.Passed(), len(r))
	if f := r.FirstFailure(); f != nil {
		w.printf("\nThe first that fails: %s\n%s\n\n", f.Case, indent(f.Err.Error(), "  "))
	}
	return r.OK()
}

// watchEvery is how often watch looks for saved files.
const watchEvery = 500 * time.Millisecond

// Watch runs check, then again each time a file of the attendee's copy is
// saved, until the step is done or ctx is (Ctrl-C). It polls the files'
// times and sizes: no file-watching library, the same on every system.
func (w *Workshop) Watch(ctx context.Context) error {
	_, st, _, err := w.current()
	if err != nil {
		return err
	}
	dst := w.copyDir(st)
	w.printf("Watching %s: the check runs again each time you save a file there. Ctrl-C stops.\n", w.rel(dst))
	last, err := snapshot(dst)
	if err != nil {
		return err
	}
	for {
		err := w.Check(ctx, "")
		if err != nil && !errors.Is(err, ErrNotPassing) {
			return err
		}
		if err == nil {
			if _, _, e, cerr := w.current(); cerr == nil && e == nil {
				return nil // the step is done; Check said what comes next
			}
		}
		w.printf("\nWaiting for you to save a file (Ctrl-C stops)…\n")
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(watchEvery):
			}
			now, err := snapshot(dst)
			if err != nil {
				return err
			}
			if now != last {
				last = now
				break
			}
		}
		w.printf("\n%s\n", strings.Repeat("-", 72))
	}
}

// snapshot sums up the names, sizes and times of the Go files, go.mod and
// go.sum under dir: it changes when one of them is saved.
func snapshot(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || !(strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("look at your copy: %w", err)
	}
	return b.String(), nil
}
