package exercise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// Workshop runs the exercise commands for one attendee.
type Workshop struct {
	Root string    // the repository's root directory
	Dir  string    // the attendee's directory: Root/work
	Out  io.Writer // where the commands write what the attendee reads
	// Make says how to name commands in what the commands print: "make
	// check" if true, "go run ./tools/cmd/workshop check" if false.
	Make bool
	// GoRun is how the attendee runs the workshop command without make,
	// from where they are: "go run ./tools/cmd/workshop" if empty (from the
	// repository's root), "go run ../../tools/cmd/workshop" from inside a
	// copy.
	GoRun string
	// Now returns the time; time.Now if nil.
	Now func() time.Time
	// Checks returns the checks of the exercises; check.Registry if nil.
	Checks func() map[string][]check.Case
}

// New returns the workshop of the repository at root, with the attendee's
// directory in it.
func New(root string, out io.Writer, viaMake bool) *Workshop {
	return &Workshop{Root: root, Dir: filepath.Join(root, WorkDir), Out: out, Make: viaMake}
}

// ErrNotPassing is the error of check when a check fails or the copy does
// not compile: what failed is printed already.
var ErrNotPassing = errors.New("not passing yet")

// cmd returns how the attendee runs the workshop command with args.
func (w *Workshop) cmd(args string) string {
	if w.Make {
		return "make " + args
	}
	return w.goRun() + " " + args
}

// goRun returns how the attendee runs the workshop command without make.
func (w *Workshop) goRun() string {
	if w.GoRun != "" {
		return w.GoRun
	}
	return "go run ./tools/cmd/workshop"
}

// forceCmd returns how the attendee forces start n.
func (w *Workshop) forceCmd(n int) string {
	if w.Make {
		return fmt.Sprintf("make start %d FORCE=1", n)
	}
	return fmt.Sprintf("%s start -force %d", w.goRun(), n)
}

func (w *Workshop) printf(format string, args ...any) {
	fmt.Fprintf(w.Out, format, args...)
}

func (w *Workshop) checks() map[string][]check.Case {
	if w.Checks != nil {
		return w.Checks()
	}
	return check.Registry()
}

// rel returns p relative to the repository, with slashes, as the attendee
// types it from there.
func (w *Workshop) rel(p string) string {
	return slash(w.Root, p)
}

// loadStep loads step n, with an explanation for a step without exercises,
// or a list of the steps for a step that does not exist.
func (w *Workshop) loadStep(n int) (*Step, error) {
	if names, err := StepNames(w.Root); err == nil && names[n] == "" {
		var list []string
		if steps, err := LoadSteps(w.Root); err == nil {
			for _, s := range steps {
				list = append(list, fmt.Sprintf("%d (%s)", s.Num, s.Name))
			}
		}
		return nil, fmt.Errorf("there is no step %d; the steps with exercises are %s: %s",
			n, strings.Join(list, ", "), w.cmd("start "+firstNum(list)))
	}
	st, err := LoadStep(w.Root, n)
	if errors.Is(err, ErrNoExercises) {
		next := ""
		if steps, _ := LoadSteps(w.Root); len(steps) > 0 {
			for _, s := range steps {
				if s.Num > n {
					next = fmt.Sprintf("; the next step with exercises is step %d: %s", s.Num, w.cmd(fmt.Sprintf("start %d", s.Num)))
					break
				}
			}
		}
		names, _ := StepNames(w.Root)
		return nil, fmt.Errorf("step %d has no exercises to check: read %s/README.md and try its \"going further\" exercises in %s itself%s",
			n, names[n], names[n], next)
	}
	return st, err
}

// firstNum returns the number that begins the first of list ("2 (step02-…)"),
// or 2.
func firstNum(list []string) string {
	if len(list) == 0 {
		return "2"
	}
	n, _, _ := strings.Cut(list[0], " ")
	return n
}

// Start writes the attendee's copy of step n with its exercises cut out,
// and says what to do first. It refuses to replace a copy that holds work,
// unless force is true; then that copy is kept in a backup.
func (w *Workshop) Start(ctx context.Context, n int, force bool) error {
	st, err := w.loadStep(n)
	if err != nil {
		return err
	}
	fresh, err := w.newCopy(st, func(string) bool { return true })
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(fresh))
	dst := w.copyDir(st)
	work, err := w.holdsWork(st, dst, fresh)
	if err != nil {
		return err
	}
	if work && !force {
		// Refuse to replace it, but make it the current step: the
		// attendee may be coming back to it.
		if p, err := loadProgress(w.Dir); err == nil && p.Step != n {
			p.Step = n
			if err := p.save(w.Dir); err != nil {
				return err
			}
		}
		return fmt.Errorf("%s holds your work on step %d, which start would replace; it is left as it is.\n"+
			"To go on with it: %s (step %d is your current step). To start step %d again from scratch: %s (your work is then kept in %s/%s/).",
			w.rel(dst), n, w.cmd("check"), n, n, w.forceCmd(n), w.rel(w.Dir), backupDir)
	}
	backup, err := w.install(st, fresh, work)
	if err != nil {
		return err
	}
	p, err := loadProgress(w.Dir)
	if err != nil {
		return err
	}
	p.Step = n
	for _, e := range st.Exercises {
		delete(p.Done, e.ID)
	}
	if err := p.save(w.Dir); err != nil {
		return err
	}

	if backup != "" {
		w.printf("Your previous copy is kept in %s.\n", w.rel(backup))
	}
	w.printf("%s is your copy of step %d, with its %d exercises cut out:\n", w.rel(dst), n, len(st.Exercises))
	for _, e := range st.Order() {
		w.printf("  %-5s %s %s (about %d minutes, slides %s)\n", e.Track, e.ID, e.Title, e.Minutes, e.Slides)
	}
	w.printf("The core exercises make the three-hour workshop; the extras are for later, at your pace.\n")
	if w.Make {
		w.printf("Run the commands below (make check, make hint…) from the repository's root or from inside %s.\n\n", w.rel(dst))
	} else {
		w.printf("Run the commands below from the repository's root; from inside %s, the same with go run ../../tools/cmd/workshop (or make).\n\n", w.rel(dst))
	}
	w.introduce(st, st.Order()[0], "First")
	return nil
}

// holdsWork reports whether the copy at dst holds work that replacing it
// would lose: it is there, and is neither what start writes (fresh) nor the
// finished step that catchup writes.
func (w *Workshop) holdsWork(st *Step, dst, fresh string) (bool, error) {
	there, err := exists(dst)
	if err != nil || !there {
		return false, err
	}
	if same, err := sameFiles(dst, fresh); err != nil || same {
		return false, err
	}
	finished, err := w.newCopy(st, func(string) bool { return false })
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(filepath.Dir(finished))
	same, err := sameFiles(dst, finished)
	return !same, err
}

// introduce says what exercise e asks, what to read and where its code is.
func (w *Workshop) introduce(st *Step, e *Exercise, which string) {
	file, anchor, _ := strings.Cut(e.Read, "#")
	w.printf("%s: exercise %s, %s (about %d minutes, slides %s).\n", which, e.ID, e.Title, e.Minutes, e.Slides)
	w.printf("Read first: %s/%s#%s\n\n", st.Name, file, anchor)
	w.printf("%s\n\n", indent(e.Text, "  "))
	var files []string
	for _, f := range st.filesOf(e.ID) {
		files = append(files, w.rel(filepath.Join(w.copyDir(st), filepath.FromSlash(f))))
	}
	w.printf("Its code goes between the markers \"// exercise %s begin\" and \"// exercise %s end\" in %s.\n",
		e.ID, e.ID, strings.Join(files, " and "))
	if missing := w.missingImportsOf(st, e.ID); len(missing) > 0 {
		w.printf("It needs imports that your copy leaves out, so that it compiles meanwhile (an editor with gopls adds them on save):\n")
		for _, m := range missing {
			w.printf("  %s\n", m)
		}
	}
	w.printf("Then run %s (%s re-checks on each save; %s when you are stuck).\n",
		w.cmd("check"), w.cmd("watch"), w.cmd("hint"))
}

// Catchup replaces the attendee's copy of step n with the finished step, so
// that every check of step n passes, keeping the old copy in a backup if it
// holds work.
func (w *Workshop) Catchup(ctx context.Context, n int) error {
	st, err := w.loadStep(n)
	if err != nil {
		return err
	}
	finished, err := w.newCopy(st, func(string) bool { return false })
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(finished))
	dst := w.copyDir(st)
	keep := false
	if there, err := exists(dst); err != nil {
		return err
	} else if there {
		same, err := sameFiles(dst, finished)
		if err != nil {
			return err
		}
		keep = !same
	}
	backup, err := w.install(st, finished, keep)
	if err != nil {
		return err
	}
	p, err := loadProgress(w.Dir)
	if err != nil {
		return err
	}
	p.Step = n
	sum, err := copySum(dst)
	if err != nil {
		return err
	}
	for _, e := range st.Exercises {
		if d, ok := p.Done[e.ID]; ok {
			d.Sum = sum
			p.Done[e.ID] = d
		} else {
			p.Done[e.ID] = Done{At: w.now(), By: byCatchup, Sum: sum}
		}
	}
	if err := p.save(w.Dir); err != nil {
		return err
	}
	if backup != "" {
		w.printf("Your copy is kept in %s.\n", w.rel(backup))
	}
	w.printf("%s is now the finished step %d: every check of its exercises passes (%s shows it).\n", w.rel(dst), n, w.cmd("check"))
	w.nextStep(st, p)
	return nil
}

// nextStep says what comes after step st (or its core) is done: the next
// step with an exercise not done; after the last, the exercises still to
// do, if any. p is the progress, or nil to read it.
func (w *Workshop) nextStep(st *Step, p *Progress) {
	steps, err := LoadSteps(w.Root)
	if p == nil {
		var perr error
		if p, perr = loadProgress(w.Dir); perr != nil {
			err = perr
		}
	}
	if err == nil {
		for _, s := range steps {
			if s.Num > st.Num && p.current(s) != nil {
				w.printf("Next: step %d, %s.\n", s.Num, w.cmd(fmt.Sprintf("start %d", s.Num)))
				return
			}
		}
		var undone []string
		first := 0
		for _, s := range steps {
			for _, e := range s.Order() {
				if !p.isDone(e.ID) {
					undone = append(undone, fmt.Sprintf("%s (%s)", e.ID, e.Track))
					if first == 0 {
						first = s.Num
					}
				}
			}
		}
		if len(undone) > 0 {
			w.printf("That was the last step with exercises. Still to do: %s; %s, then %s names them.\n",
				strings.Join(undone, ", "), w.cmd(fmt.Sprintf("start %d", first)), w.cmd("status"))
			return
		}
	}
	w.printf("That was the last step with exercises, and every exercise is done: read the READMEs of the steps after it, and try their \"going further\" exercises.\n")
}

// current returns the progress, the step being worked on and its current
// exercise (nil when every one is done).
func (w *Workshop) current() (*Progress, *Step, *Exercise, error) {
	p, err := loadProgress(w.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	if p.Step == 0 {
		first := "2"
		if steps, err := LoadSteps(w.Root); err == nil && len(steps) > 0 {
			first = fmt.Sprint(steps[0].Num)
		}
		return nil, nil, nil, fmt.Errorf("you have not started an exercise yet: run %s", w.cmd("start "+first))
	}
	st, err := w.loadStep(p.Step)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, st, p.current(st), nil
}

// exercise returns exercise id, or the current one if id is "". It returns
// a nil exercise when id is "" and every exercise of the step is done.
func (w *Workshop) exercise(id string) (*Progress, *Step, *Exercise, error) {
	if id == "" {
		return w.current()
	}
	n, _, err := parseID(id)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := w.loadStep(n)
	if err != nil {
		return nil, nil, nil, err
	}
	e := st.Exercise(id)
	if e == nil {
		var ids []string
		for _, e := range st.Exercises {
			ids = append(ids, e.ID)
		}
		return nil, nil, nil, fmt.Errorf("step %d has no exercise %s; its exercises are %s", n, id, strings.Join(ids, ", "))
	}
	p, err := loadProgress(w.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, st, e, nil
}

// indent indents every non-empty line of s.
func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
