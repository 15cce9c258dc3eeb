package exercise

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// Check runs the checks of exercise id (the current exercise if id is "",
// or every exercise of the step once all are done) against the attendee's
// copy, and says how many pass, what failed first, and what to do next. It
// first warns of edits outside the markers. An exercise whose checks pass
// is marked done, with a sum of the copy's code; one whose checks fail is
// no longer done. The error is ErrNotPassing when a check fails or the copy
// does not compile.
func (w *Workshop) Check(ctx context.Context, id string) error {
	p, st, e, err := w.exercise(id)
	if err != nil {
		return err
	}
	exercises := []*Exercise{e}
	if e == nil {
		exercises = st.Order()
		w.printf("Every exercise of step %d is done; checking them all again.\n", st.Num)
	}
	dst := w.copyDir(st)
	if ok, err := exists(dst); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("there is no copy of step %d in %s: run %s", st.Num, w.rel(w.Dir), w.cmd(fmt.Sprintf("start %d", st.Num)))
	}
	w.warnOutsideEdits(st)

	b, err := w.build(ctx, st, w.commandsOf(exercises))
	if err != nil {
		if errors.Is(err, ErrNotPassing) {
			for _, e := range exercises {
				delete(p.Done, e.ID)
			}
			if serr := p.save(w.Dir); serr != nil {
				return serr
			}
		}
		return err
	}
	sum, err := copySum(dst)
	if err != nil {
		return err
	}

	results := make([]check.Result, len(exercises))
	var wg sync.WaitGroup
	for i, e := range exercises {
		wg.Go(func() { results[i] = check.Run(ctx, b, w.checks()[e.ID]) })
	}
	wg.Wait()
	all := true
	for i, e := range exercises {
		if !w.report(st, e, results[i]) {
			all = false
			delete(p.Done, e.ID)
			continue
		}
		p.Done[e.ID] = Done{At: w.now(), By: byCheck, Sum: sum}
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
		if next.Core() || !w.coreDone(p, st) {
			w.introduce(st, next, "Next")
			return nil
		}
		w.printf("The core of step %d is done.\n", st.Num)
		w.nextStep(st, p)
		w.printf("Or go on with its extras, for self-paced learners:\n\n")
		w.introduce(st, next, "Next extra")
		return nil
	}
	w.printf("Step %d is done: every one of its exercises passes.\n", st.Num)
	w.nextStep(st, p)
	return nil
}

// coreDone reports whether every core exercise of st is done.
func (w *Workshop) coreDone(p *Progress, st *Step) bool {
	for _, e := range st.Core() {
		if !p.isDone(e.ID) {
			return false
		}
	}
	return true
}

// commandsOf returns the commands that the checks of exercises run.
func (w *Workshop) commandsOf(exercises []*Exercise) []string {
	var cases []check.Case
	for _, e := range exercises {
		cases = append(cases, w.checks()[e.ID]...)
	}
	return check.Commands(cases)
}

// warnOutsideEdits warns of the attendee's edits outside the markers, if
// any: a failure may come from them rather than from the exercise's code.
func (w *Workshop) warnOutsideEdits(st *Step) {
	edits, err := w.outsideEdits(st)
	if err != nil || len(edits) == 0 {
		return
	}
	w.printf("Warning: your copy differs from what %s wrote outside the exercises' markers, where no exercise asks for a change:\n",
		w.cmd(fmt.Sprintf("start %d", st.Num)))
	for i, e := range edits {
		if i == maxEditsShown {
			w.printf("  … and %d more files\n", len(edits)-i)
			break
		}
		w.printf("  %s\n", e)
	}
	w.printf("If a check fails, look there too (%s shows the reference of the current exercise).\n\n", w.cmd("solution"))
}

// binDir is the directory, in the attendee's, that keeps the binaries built
// from each copy: one directory a step, kept from one check to the next, so
// that go build links again only what changed.
const binDir = ".bin"

// build builds the commands cmds of the attendee's copy of st into the
// step's binary directory, and says so. A compile error is printed as the
// compiler wrote it, and returned as ErrNotPassing.
func (w *Workshop) build(ctx context.Context, st *Step, cmds []string) (*check.Build, error) {
	dst := w.copyDir(st)
	bin := filepath.Join(w.Dir, binDir, st.Name)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, fmt.Errorf("make a directory for the binaries: %w", err)
	}
	w.printf("Building %s…\n", w.rel(dst))
	b, err := check.NewBuild(ctx, dst, bin, w.goEnv(), cmds...)
	var be *check.BuildError
	if errors.As(err, &be) {
		w.printf("It does not compile. The Go compiler says (paths are in %s):\n\n%s\n\n", w.rel(dst), be.Output)
		if missing := w.missingImports(st, be.Output); len(missing) > 0 {
			w.printf("The reference's code there uses imports that your files lack (an editor with gopls adds them on save):\n")
			for _, m := range missing {
				w.printf("  %s\n", m)
			}
			w.printf("\n")
		}
		w.printf("Next: fix what the compiler points to, then run %s again.\n", w.cmd("check"))
		return nil, ErrNotPassing
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// maxMessageLines bounds what the attendee reads of a failure.
const maxMessageLines = 30

// report prints how the checks of e went, and explains the first failure
// in maxMessageLines at most, with where e's code is. It reports whether
// all passed.
func (w *Workshop) report(st *Step, e *Exercise, r check.Result) bool {
	w.printf("\nExercise %s, %s:\n", e.ID, e.Title)
	if len(r) == 0 {
		w.printf("  it has no checks: a bug in the workshop; please report it.\n")
		return false
	}
	for _, o := range r {
		mark := "ok  "
		if o.Err != nil {
			mark = "FAIL"
		}
		w.printf("  %s %s\n", mark, o.Case)
	}
	w.printf("%d of %d checks pass.\n", r.Passed(), len(r))
	if f := r.FirstFailure(); f != nil {
		w.printf("\n%s\n", w.explain(st, e, f))
	}
	return r.OK()
}

// explain is the message of a failure: the case, what its error says, and
// where the exercise's code is, in maxMessageLines at most.
func (w *Workshop) explain(st *Step, e *Exercise, f *check.Outcome) string {
	var where []string
	for _, f := range st.filesOf(e.ID) {
		// The lines of the markers in the attendee's file, or else the
		// reference's.
		regions := st.RegionsOf(e.ID)
		copyFile := filepath.Join(w.copyDir(st), filepath.FromSlash(f))
		if src, err := os.ReadFile(copyFile); err == nil {
			if rs, err := ParseRegions(f, src); err == nil {
				regions = rs
			}
		}
		var lines []string
		for _, r := range regions {
			if r.File == f && r.ID == e.ID {
				lines = append(lines, fmt.Sprint(r.BeginLine))
			}
		}
		where = append(where, fmt.Sprintf("%s, line %s", w.rel(filepath.Join(w.copyDir(st), filepath.FromSlash(f))), strings.Join(lines, ", ")))
	}
	head := "The first that fails: " + f.Case
	tail := fmt.Sprintf("Exercise %s's code: %s.", e.ID, strings.Join(where, "; "))
	body := strings.Split(indent(strings.TrimRight(f.Err.Error(), "\n"), "  "), "\n")
	room := maxMessageLines - 3 // the head, the tail and a blank line
	if len(body) > room {
		cut := len(body) - room + 1
		body = append(body[:room-1], fmt.Sprintf("  … (%d more lines)", cut))
	}
	return head + "\n" + strings.Join(body, "\n") + "\n\n" + tail + "\n"
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
