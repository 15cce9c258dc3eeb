package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

// stopGrace is how long a program that the workshop runs has to exit after
// it is interrupted, before it is killed.
const stopGrace = 10 * time.Second

// steps returns the repository's steps, in order.
func (w *workshop) steps() ([]repo.Step, error) {
	return repo.Steps(w.root)
}

// findStep returns the step that arg names (1, 01, step01), or a usage
// error that lists the steps.
func (w *workshop) findStep(arg string) (repo.Step, error) {
	steps, err := w.steps()
	if err != nil {
		return repo.Step{}, err
	}
	s, err := repo.Find(steps, arg)
	if err != nil {
		return repo.Step{}, usageError{err.Error()}
	}
	return s, nil
}

// findSteps returns the steps that args name, or every step if there are no
// args.
func (w *workshop) findSteps(args []string) ([]repo.Step, error) {
	if len(args) == 0 {
		return w.steps()
	}
	var steps []repo.Step
	for _, a := range args {
		s, err := w.findStep(a)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// command returns a command that runs name with args in dir, with its
// output on the workshop's. When ctx is done the program is interrupted,
// and killed stopGrace later.
func (w *workshop) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = w.stdout
	cmd.Stderr = w.stderr
	cmd.Cancel = func() error {
		if runtime.GOOS == "windows" { // no interrupt to send there
			return cmd.Process.Kill()
		}
		return cmd.Process.Signal(os.Interrupt)
	}
	cmd.WaitDelay = stopGrace
	return cmd
}

// goOutput runs go with args in dir and returns its standard output,
// trimmed.
func (w *workshop) goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := w.command(ctx, dir, "go", args...)
	cmd.Stdout = nil
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// exe returns name as an executable's file name on this system.
func exe(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// buildService builds step s's ./cmd/addsvc into bin/ and returns the
// binary's path.
func (w *workshop) buildService(ctx context.Context, s repo.Step) (string, error) {
	bin := filepath.Join(w.root, "bin", exe(s.Dir+"-addsvc"))
	cmd := w.command(ctx, filepath.Join(w.root, s.Dir), "go", "build", "-o", bin, "./cmd/addsvc")
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s/cmd/addsvc: %w", s.Dir, err)
	}
	return bin, nil
}
