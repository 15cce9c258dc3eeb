package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func testCommand() command {
	return command{
		name:    "test",
		args:    "[N...]",
		summary: "gofmt, go vet and go test -race in every step and the tools, or in steps N...",
		run:     runTest,
	}
}

// runTest checks every step that args name (all by default, and then the
// workshop's own tools too, whose tests prove every exercise) and prints one
// line per step; it fails if any step failed.
func runTest(ctx context.Context, w *workshop, args []string) error {
	steps, err := w.findSteps(args)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Join(w.root, "tools")); len(args) == 0 && err == nil && fi.IsDir() {
		steps = append(steps, repo.Step{Dir: "tools"})
	}
	race, err := w.raceFlag(ctx)
	if err != nil {
		return err
	}
	gofmt, err := w.gofmt(ctx)
	if err != nil {
		return err
	}
	results := make([]string, len(steps))
	failed := false
	for i, s := range steps {
		fmt.Fprintf(w.stderr, "=== %s\n", s.Dir)
		ok, err := w.testStep(ctx, s, gofmt, race)
		if err != nil {
			return err
		}
		results[i] = "passed"
		if !ok {
			results[i] = "FAILED"
			failed = true
		}
	}
	fmt.Fprintln(w.stdout)
	for i, s := range steps {
		fmt.Fprintf(w.stdout, "%-24s %s\n", s.Dir, results[i])
	}
	if failed {
		return exitStatus{exitFailed}
	}
	return nil
}

// testStep runs gofmt -l, go vet and go test in step s and reports whether
// all three passed. It returns an error only when ctx is done.
func (w *workshop) testStep(ctx context.Context, s repo.Step, gofmt string, race []string) (bool, error) {
	dir := filepath.Join(w.root, s.Dir)
	ok := true

	var out bytes.Buffer
	fmtCmd := w.command(ctx, dir, gofmt, "-l", ".")
	fmtCmd.Stdout = &out
	if err := fmtCmd.Run(); err != nil {
		ok = false
	}
	if unformatted := strings.Fields(out.String()); len(unformatted) > 0 {
		fmt.Fprintln(w.stderr, "gofmt would change (run gofmt -w):")
		for _, f := range unformatted {
			fmt.Fprintf(w.stderr, "    %s\n", f)
		}
		ok = false
	}
	if err := w.command(ctx, dir, "go", "vet", "./...").Run(); err != nil {
		ok = false
	}
	args := append(append([]string{"test"}, race...), "-count=1", "./...")
	if err := w.command(ctx, dir, "go", args...).Run(); err != nil {
		ok = false
	}
	return ok, ctx.Err()
}

// gofmt returns the path of the gofmt that comes with the go command on
// PATH, or "gofmt" if it has none.
func (w *workshop) gofmt(ctx context.Context) (string, error) {
	goroot, err := w.goOutput(ctx, w.root, "env", "GOROOT")
	if err != nil {
		return "", err
	}
	path := filepath.Join(goroot, "bin", exe("gofmt"))
	if _, err := os.Stat(path); err != nil {
		return "gofmt", nil
	}
	return path, nil
}

// raceFlag returns -race where the race detector works: it needs cgo, and
// so a C compiler. Without one it says so and returns no flag, except in CI
// (CI set in the environment), where the race detector must run.
func (w *workshop) raceFlag(ctx context.Context) ([]string, error) {
	why, err := w.noRace(ctx)
	if err != nil {
		return nil, err
	}
	if why == "" {
		return []string{"-race"}, nil
	}
	if os.Getenv("CI") != "" {
		return nil, fmt.Errorf("go test -race can't run here (%s), and CI must run it", why)
	}
	fmt.Fprintf(w.stderr, "note: go test runs without -race: %s. %s\n", why, cHint())
	return nil, nil
}

// noRace returns why the race detector can't run here, or "".
func (w *workshop) noRace(ctx context.Context) (string, error) {
	out, err := w.goOutput(ctx, w.root, "env", "CGO_ENABLED", "CC")
	if err != nil {
		return "", err
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 2 {
		return "", fmt.Errorf("go env CGO_ENABLED CC printed %q", out)
	}
	cgo, cc := strings.TrimSpace(lines[0]), strings.Fields(lines[1])
	if cgo != "1" {
		// The go command turns cgo off where it finds no C compiler.
		return "cgo is off (go env CGO_ENABLED is " + cgo + "), often for want of a C compiler", nil
	}
	if len(cc) == 0 {
		return "go env CC names no C compiler", nil
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		return fmt.Sprintf("there is no C compiler (%s) for cgo", cc[0]), nil
	}
	return "", nil
}

// cHint says how to get a C compiler on this system.
func cHint() string {
	switch runtime.GOOS {
	case "darwin":
		return "To get one: xcode-select --install"
	case "windows":
		return "To get one: install MinGW-w64's gcc and put it on PATH"
	default:
		return "To get one: install gcc (Debian and Ubuntu: apt install gcc)"
	}
}
