package exercise

import "fmt"

// Hint shows the next hint of exercise id (the current one if id is ""):
// one more each time, from a nudge to nearly the answer, then the last one
// again.
func (w *Workshop) Hint(id string) error {
	p, st, e, err := w.exercise(id)
	if err != nil {
		return err
	}
	if e == nil {
		w.printf("Every exercise of step %d is done: no hint needed.\n", st.Num)
		w.nextStep(st)
		return nil
	}
	shown := p.Hints[e.ID]
	if shown < len(e.Hints) {
		shown++
		p.Hints[e.ID] = shown
		if err := p.save(w.Dir); err != nil {
			return err
		}
	}
	w.printf("Hint %d of %d for exercise %s, %s:\n\n%s\n\n", shown, len(e.Hints), e.ID, e.Title, indent(e.Hints[shown-1], "  "))
	if shown < len(e.Hints) {
		w.printf("Next: try it, and run %s. %s again gives the next hint.\n", w.cmd("check"), w.cmd("hint"))
	} else {
		w.printf("That was the last hint. Next: try it, and run %s; %s shows the reference code.\n", w.cmd("check"), w.cmd("solution"))
	}
	return nil
}

// Status shows every exercise of every step, done or not, and the current
// one.
func (w *Workshop) Status() error {
	steps, err := LoadSteps(w.Root)
	if err != nil {
		return err
	}
	p, err := loadProgress(w.Dir)
	if err != nil {
		return err
	}
	var current *Exercise
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
		for _, e := range st.Exercises {
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
			hints := ""
			if n := p.Hints[e.ID]; n > 0 {
				hints = fmt.Sprintf(", %d of %d hints seen", n, len(e.Hints))
			}
			w.printf("  %-10s %s %s (about %d minutes%s)\n", mark, e.ID, e.Title, e.Minutes, hints)
		}
	}
	switch {
	case p.Step == 0 && len(steps) > 0:
		w.printf("Next: %s.\n", w.cmd(fmt.Sprintf("start %d", steps[0].Num)))
	case current != nil:
		w.printf("Next: exercise %s; %s checks it, %s gives a hint.\n", current.ID, w.cmd("check"), w.cmd("hint"))
	default:
		for _, st := range steps {
			if st.Num == p.Step {
				w.nextStep(st)
			}
		}
	}
	return nil
}
