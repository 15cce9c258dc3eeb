package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gokit-workshop/workshop/tools/internal/exercise"
)

// exerciseCommands returns the commands of the exercises. Each one parses
// its arguments and calls package exercise, which does the work.
func exerciseCommands() []command {
	return []command{
		{name: "start", args: "N [-force]", summary: "make your copy of step N (work/stepNN-…) with its exercises cut out (FORCE=1 replaces work in progress, with a backup)", run: runStart},
		{name: "check", args: "[ID]", summary: "check the current exercise, or exercise ID (2.1): how many checks pass, and what to do next", run: runCheck},
		{name: "watch", args: "", summary: "check again each time you save a file of your copy (Ctrl-C stops)", run: runWatch},
		{name: "hint", args: "[ID]", summary: "the next hint of the current exercise, one more each time", run: runHint},
		{name: "solution", args: "[ID]", summary: "the reference code of the current exercise, as a diff against your copy", run: runSolution},
		{name: "catchup", args: "N", summary: "replace your copy of step N with the finished step (your copy is kept in a backup)", run: runCatchup},
		{name: "status", args: "", summary: "every exercise, done or not, and the current one", run: runStatus},
		{name: "run", args: "[FLAGS...]", summary: "run your copy's service in the foreground, as the step command runs a reference step", run: runRun},
	}
}

// newExercises returns the exercise workshop of w. Through make (which sets
// MAKELEVEL), the commands it suggests are make targets.
func newExercises(w *workshop) *exercise.Workshop {
	ex := exercise.New(w.root, w.stdout, os.Getenv("MAKELEVEL") != "")
	// Without make, name the command as it is typed from here: from inside
	// a copy, go run ../../tools/cmd/workshop.
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, w.root); err == nil && rel != "." && strings.HasPrefix(rel, "..") {
			ex.GoRun = "go run " + filepath.ToSlash(filepath.Join(rel, "tools", "cmd", "workshop"))
		}
	}
	return ex
}

func runStart(ctx context.Context, w *workshop, args []string) error {
	force := os.Getenv("FORCE") == "1"
	var rest []string
	for _, a := range args {
		switch a {
		case "-force", "--force":
			force = true
		default:
			rest = append(rest, a)
		}
	}
	n, err := stepNumber(rest)
	if err != nil {
		return err
	}
	return newExercises(w).Start(ctx, n, force)
}

func runCatchup(ctx context.Context, w *workshop, args []string) error {
	n, err := stepNumber(args)
	if err != nil {
		return err
	}
	return newExercises(w).Catchup(ctx, n)
}

func runCheck(ctx context.Context, w *workshop, args []string) error {
	id, err := exerciseID(args)
	if err != nil {
		return err
	}
	return notPassing(newExercises(w).Check(ctx, id))
}

func runWatch(ctx context.Context, w *workshop, args []string) error {
	if len(args) > 0 {
		return usageError{"watch takes no arguments: it checks the current exercise"}
	}
	return newExercises(w).Watch(ctx)
}

func runHint(ctx context.Context, w *workshop, args []string) error {
	id, err := exerciseID(args)
	if err != nil {
		return err
	}
	return newExercises(w).Hint(id)
}

func runSolution(ctx context.Context, w *workshop, args []string) error {
	id, err := exerciseID(args)
	if err != nil {
		return err
	}
	return newExercises(w).Solution(id)
}

func runStatus(ctx context.Context, w *workshop, args []string) error {
	if len(args) > 0 {
		return usageError{"status takes no arguments"}
	}
	return newExercises(w).Status(ctx)
}

func runRun(ctx context.Context, w *workshop, args []string) error {
	return newExercises(w).Run(ctx, args, w.stdout, w.stderr)
}

// notPassing turns the "not passing" of a check, whose details are printed
// already, into a short error for the exit status.
func notPassing(err error) error {
	if errors.Is(err, exercise.ErrNotPassing) {
		return fmt.Errorf("the exercise does not pass yet")
	}
	return err
}

// stepNumber reads the one step number of args: 2, 02 or step02.
func stepNumber(args []string) (int, error) {
	if len(args) != 1 {
		return 0, usageError{"which step? give its number, such as 2"}
	}
	n, err := strconv.Atoi(strings.TrimPrefix(args[0], "step"))
	if err != nil || n < 1 {
		return 0, usageError{fmt.Sprintf("%q is not a step number: give one such as 2", args[0])}
	}
	return n, nil
}

// exerciseID reads the optional exercise ID of args, such as 2.1.
func exerciseID(args []string) (string, error) {
	switch {
	case len(args) == 0:
		return "", nil
	case len(args) > 1:
		return "", usageError{"give one exercise at most, such as 2.1"}
	}
	if _, _, ok := strings.Cut(args[0], "."); !ok {
		return "", usageError{fmt.Sprintf("%q is not an exercise: exercises are named N.M, such as 2.1", args[0])}
	}
	return args[0], nil
}
