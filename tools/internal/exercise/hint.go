package exercise

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// Hint shows the next hint of exercise id (the current one if id is ""):
// one more each time, from a nudge to nearly the answer, then the last one
// again. A hint counts as seen only while the exercise is being worked on:
// not before its step is started, nor once it is done.
func (w *Workshop) Hint(id string) error {
	p, st, e, err := w.exercise(id)
	if err != nil {
		return err
	}
	if e == nil {
		w.printf("Every exercise of step %d is done: no hint needed.\n", st.Num)
		w.nextStep(st, p)
		return nil
	}
	started, err := exists(w.copyDir(st))
	if err != nil {
		return err
	}
	shown := p.Hints[e.ID]
	counted := started && !p.isDone(e.ID)
	if shown < len(e.Hints) {
		shown++
		if counted {
			p.Hints[e.ID] = shown
			if err := p.save(w.Dir); err != nil {
				return err
			}
		}
	}
	w.printf("Hint %d of %d for exercise %s, %s:\n\n%s\n\n", shown, len(e.Hints), e.ID, e.Title, indent(e.Hints[shown-1], "  "))
	switch {
	case !started:
		w.printf("(Not counted as seen: you have not started step %d. %s does.)\n", st.Num, w.cmd(fmt.Sprintf("start %d", st.Num)))
	case !counted:
		w.printf("(Not counted as seen: exercise %s is done already.)\n", e.ID)
	case shown < len(e.Hints):
		w.printf("Next: try it, and run %s. %s again gives the next hint.\n", w.cmd("check"), w.cmd("hint"))
	default:
		w.printf("That was the last hint. Next: try it, and run %s; %s shows the reference code.\n", w.cmd("check"), w.cmd("solution"))
	}
	return nil
}

// Status shows every exercise of every step, done or not, on which track,
// and the current one. An exercise is shown done only while its check
// passes: one done on code that has changed since is checked again first.
func (w *Workshop) Status(ctx context.Context) error {
	steps, err := LoadSteps(w.Root)
	if err != nil {
		return err
	}
	p, err := loadProgress(w.Dir)
	if err != nil {
		return err
	}
	if err := w.recheck(ctx, steps, p); err != nil {
		return err
	}
	var current *Exercise
	coreMinutes, coreDone := 0, 0
	for _, st := range steps {
		there, err := exists(w.copyDir(st))
		if err != nil {
			return err
		}
		switch {
		case st.Num == p.Step:
			current = p.current(st)
			w.printf("Step %d, in %s (current):\n", st.Num, w.rel(w.copyDir(st)))
		case there:
			w.printf("Step %d, in %s:\n", st.Num, w.rel(w.copyDir(st)))
		default:
			w.printf("Step %d (not started; %s):\n", st.Num, w.cmd(fmt.Sprintf("start %d", st.Num)))
		}
		for _, e := range st.Order() {
			mark := "     "
			if d, ok := p.Done[e.ID]; ok {
				mark = "done "
				if d.By == byCatchup {
					mark = "caught up "
				}
			}
			if e == current {
				mark = "now ->"
			}
			if e.Core() {
				coreMinutes += e.Minutes
				if p.isDone(e.ID) {
					coreDone++
				}
			}
			hints := ""
			if n := p.Hints[e.ID]; n > 0 {
				hints = fmt.Sprintf(", %d of %d hints seen", n, len(e.Hints))
			}
			w.printf("  %-10s %-5s %s %s (about %d minutes%s)\n", mark, e.Track, e.ID, e.Title, e.Minutes, hints)
		}
	}
	cores := 0
	for _, st := range steps {
		cores += len(st.Core())
	}
	w.printf("The core track, the three-hour workshop's: %d of %d exercises done (about %d minutes in all); the extras are for later.\n",
		coreDone, cores, coreMinutes)
	switch {
	case p.Step == 0 && len(steps) > 0:
		w.printf("Next: %s.\n", w.cmd(fmt.Sprintf("start %d", steps[0].Num)))
	case current != nil && !current.Core():
		w.printf("Next: exercise %s (extra); %s checks it, %s gives a hint. On the core track: ", current.ID, w.cmd("check"), w.cmd("hint"))
		for _, st := range steps {
			if st.Num == p.Step {
				w.nextStep(st, p)
			}
		}
	case current != nil:
		w.printf("Next: exercise %s; %s checks it, %s gives a hint.\n", current.ID, w.cmd("check"), w.cmd("hint"))
	default:
		for _, st := range steps {
			if st.Num == p.Step {
				w.nextStep(st, p)
			}
		}
	}
	return nil
}

// recheck checks again, quietly, the exercises marked done whose copy's
// code has changed since they passed, and keeps them done only if they still
// pass; it says which it checks, and which no longer pass.
func (w *Workshop) recheck(ctx context.Context, steps []*Step, p *Progress) error {
	changed := false
	for _, st := range steps {
		dst := w.copyDir(st)
		if ok, err := exists(dst); err != nil || !ok {
			continue
		}
		sum, err := copySum(dst)
		if err != nil {
			return err
		}
		var stale []*Exercise
		for _, e := range st.Order() {
			if d, ok := p.Done[e.ID]; ok && d.Sum != sum {
				stale = append(stale, e)
			}
		}
		if len(stale) == 0 {
			continue
		}
		changed = true
		var ids []string
		for _, e := range stale {
			ids = append(ids, e.ID)
		}
		w.printf("Your copy of step %d changed since %s passed: checking again…\n", st.Num, strings.Join(ids, ", "))
		quiet := *w
		quiet.Out = discard{}
		b, err := quiet.build(ctx, st, quiet.commandsOf(stale))
		var failed []string
		for _, e := range stale {
			if err == nil {
				if r := check.Run(ctx, b, w.checks()[e.ID]); r.OK() {
					d := p.Done[e.ID]
					d.Sum = sum
					p.Done[e.ID] = d
					continue
				}
			} else if !errors.Is(err, ErrNotPassing) {
				return err
			}
			delete(p.Done, e.ID)
			failed = append(failed, e.ID)
		}
		if len(failed) > 0 {
			w.printf("  no longer passing: %s (%s %s says why)\n", strings.Join(failed, ", "), w.cmd("check"), failed[0])
		}
	}
	if !changed {
		return nil
	}
	return p.save(w.Dir)
}

// discard is an io.Writer that writes nowhere.
type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
