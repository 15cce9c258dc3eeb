package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/gokit-workshop/workshop/tools/internal/components"
)

func prepCommand() command {
	return command{
		name:    "prep",
		summary: "download and build everything once: the workshop then works offline",
		run:     runPrep,
	}
}

// runPrep downloads every module, builds and vets every step and its tests,
// and the tools, so that afterwards the workshop needs no network
// (GOPROXY=off make test passes); then it gets what the demo needs.
func runPrep(ctx context.Context, w *workshop, args []string) error {
	if len(args) > 0 {
		return usageError{"usage: " + suggest("make prep", "prep") + " (it takes no arguments)"}
	}
	steps, err := w.steps()
	if err != nil {
		return err
	}
	race, err := w.raceFlag(ctx)
	if err != nil {
		return err
	}
	dirs := []string{}
	for _, s := range steps {
		dirs = append(dirs, s.Dir)
	}
	for _, dir := range append(dirs, "tools") {
		fmt.Fprintf(w.stderr, "=== %s\n", dir)
		if err := w.prepModule(ctx, filepath.Join(w.root, dir), race); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	fmt.Fprintln(w.stderr, "prep: every step is downloaded and built; the steps now work offline.")

	return w.prepDemo(ctx)
}

// prepModule downloads the module in dir and builds and vets its packages
// and their tests, with race (the flag, if any) as go test will.
func (w *workshop) prepModule(ctx context.Context, dir string, race []string) error {
	testArgs := append(append([]string{"test"}, race...), "-count=1", "-run", "^$", "./...")
	for _, args := range [][]string{
		{"mod", "download"},
		{"build", "./..."}, // several packages: it writes no binary
		{"vet", "./..."},
		testArgs,
	} {
		cmd := w.command(ctx, dir, "go", args...)
		if args[0] == "test" {
			cmd.Stdout = io.Discard // "ok … [no tests to run]" for every package
		}
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w", args[0], err)
		}
	}
	return nil
}

// prepDemo gets the demo's parts: Jaeger, built once from source, and
// Prometheus, installed where it can be. A missing Prometheus is said and
// is no failure.
//
// prepDemo gets the demo's parts: it builds Jaeger into .tools/ and
// installs Prometheus where it can. A missing Prometheus is said and
// skipped: the steps don't need it.
func (w *workshop) prepDemo(ctx context.Context) error {
	if runtime.GOOS == "windows" {
		fmt.Fprintln(w.stderr, "prep: the demo's parts (Jaeger, Prometheus) are not prepared on Windows; see the README's facilitators' section.")
		return nil
	}
	if _, err := components.BuildJaeger(ctx, w.root, w.stderr); err != nil {
		return fmt.Errorf("build Jaeger: %w", err)
	}
	if _, err := components.InstallPrometheus(ctx, w.stderr); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(w.stderr, "prep: %v\nprep: no Prometheus here; make prometheus and make demo need it\n", err)
		return nil
	}
	fmt.Fprintln(w.stderr, "prep: the demo's parts are ready too (make demo).")
	return nil
}
