package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gokit-workshop/workshop/tools/internal/docscheck"
	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func docsCheckCommand() command {
	return command{
		name:    "docs-check",
		args:    "[N...]",
		summary: "run the READMEs' commands and compare their output (Linux, macOS)",
		run:     runDocsCheck,
	}
}

// runDocsCheck checks the READMEs of the steps that args name, or of every
// step and the top README (whose quick start runs step 1): each against a
// fresh service of its step, on free ports.
func runDocsCheck(ctx context.Context, w *workshop, args []string) error {
	steps, err := w.findSteps(args)
	if err != nil {
		return err
	}
	if err := docscheck.Supported(); err != nil {
		return err
	}
	type readme struct {
		name string // in the summary
		path string // relative to the root
		step repo.Step
	}
	var readmes []readme
	for _, s := range steps {
		readmes = append(readmes, readme{s.Dir, filepath.Join(s.Dir, "README.md"), s})
	}
	if len(args) == 0 {
		all, err := w.steps()
		if err != nil {
			return err
		}
		readmes = append(readmes, readme{"README.md", "README.md", all[0]})
	}

	var summary []string
	failed := false
	for _, r := range readmes {
		fmt.Fprintf(w.stderr, "=== %s\n", r.name)
		result, ok := w.checkReadme(ctx, r.path, r.step)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		summary = append(summary, fmt.Sprintf("%-24s %s", r.name, result))
		failed = failed || !ok
	}
	fmt.Fprintln(w.stdout)
	for _, line := range summary {
		fmt.Fprintln(w.stdout, line)
	}
	if failed {
		return exitStatus{exitFailed}
	}
	return nil
}

// checkReadme checks the README at path (relative to the root) against
// step s's service and returns its summary and whether it passed.
func (w *workshop) checkReadme(ctx context.Context, path string, s repo.Step) (string, bool) {
	full := filepath.Join(w.root, path)
	if _, err := os.Stat(full); err != nil {
		fmt.Fprintf(w.stderr, "%s: %v\n", path, err)
		return "skipped (no README.md)", true
	}
	cases, err := docscheck.ParseFile(full)
	if err != nil {
		fmt.Fprintf(w.stderr, "%v\n", err)
		return "FAILED (README.md could not be parsed)", false
	}
	if docscheck.Commands(cases) == 0 {
		fmt.Fprintf(w.stderr, "%s has no commands in ```console blocks\n", path)
		return "skipped (no console blocks in README.md)", true
	}
	bin, err := w.buildService(ctx, s)
	if err != nil {
		fmt.Fprintf(w.stderr, "%v\n", err)
		return "FAILED (go build ./cmd/addsvc)", false
	}
	res := docscheck.Run(ctx, docscheck.Config{
		Name:    filepath.ToSlash(path),
		Dir:     filepath.Join(w.root, s.Dir),
		Service: bin,
		Log:     w.stderr,
	}, cases)
	return res.String(), res.OK()
}
