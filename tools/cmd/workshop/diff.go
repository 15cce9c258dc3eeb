package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func diffCommand() command {
	return command{
		name:    "diff",
		args:    "[-all] A B",
		summary: "what step B changes in step A, code only (-all or ALL=1: with READMEs and generated code)",
		run:     runDiff,
	}
}

// runDiff shows what step B changes in step A: the list of changed files,
// then the changes, coloured on a terminal and plain in a pipe. Step A's
// module path is rewritten to step B's, so that import lines don't show up
// as changes; go.sum is left out, and so are the READMEs and the generated
// gRPC code unless -all is given or ALL=1 is set.
func runDiff(ctx context.Context, w *workshop, args []string) error {
	fset := flag.NewFlagSet("diff", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	all := fset.Bool("all", os.Getenv("ALL") == "1", "show the READMEs and the generated code too")
	usage := usageError{"usage: " + suggest("make diff A B   (for example: make diff 1 2; ALL=1 shows everything)", "diff [-all] A B   (for example: "+goRun+" diff 1 2)")}
	if err := fset.Parse(args); err != nil || fset.NArg() != 2 {
		return usage
	}
	a, err := w.findStep(fset.Arg(0))
	if err != nil {
		return err
	}
	b, err := w.findStep(fset.Arg(1))
	if err != nil {
		return err
	}
	if a == b {
		return w.sameStep(fset.Arg(0), fset.Arg(1), a)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return errors.New("git is not on PATH: diff uses git diff; install git")
	}

	tmp, err := os.MkdirTemp("", "workshop-diff-")
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, s := range []repo.Step{a, b} {
		if err := w.copyForDiff(ctx, s, filepath.Join(tmp, s.Dir), "/"+a.Dir, "/"+b.Dir, *all); err != nil {
			return err
		}
	}

	if !*all {
		fmt.Fprintf(w.stdout, "(go.sum is left out, and so are the READMEs and generated *.pb.go: %s shows those)\n\n",
			suggest(fmt.Sprintf("make diff %s %s ALL=1", fset.Arg(0), fset.Arg(1)), fmt.Sprintf("diff -all %s %s", fset.Arg(0), fset.Arg(1))))
	}
	color := "never"
	if isTerminal(w.stdout) && os.Getenv("NO_COLOR") == "" {
		color = "always"
	}
	cmd := w.command(ctx, tmp, "git", "--no-pager", "diff", "--no-index", "--find-renames", "--color="+color, "--stat", "--patch", a.Dir, b.Dir)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil, errors.As(err, &exit) && exit.ExitCode() == 1:
		return nil // 1: the trees differ, which is the point
	case errors.As(err, &exit) && brokenPipe(exit):
		return nil // a pager such as less quit early
	default:
		return fmt.Errorf("git diff: %w", err)
	}
}

// copyForDiff copies the files of step s that diff compares into dst,
// with from replaced by to in every file.
func (w *workshop) copyForDiff(ctx context.Context, s repo.Step, dst, from, to string, all bool) error {
	src := filepath.Join(w.root, s.Dir)
	files, err := w.stepFiles(ctx, src)
	if err != nil {
		return err
	}
	for _, f := range files {
		if leftOut(f, all) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, still in git's index
		}
		if err != nil {
			return fmt.Errorf("diff: %w", err)
		}
		target := filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("diff: %w", err)
		}
		if err := os.WriteFile(target, bytes.ReplaceAll(data, []byte(from), []byte(to)), 0o644); err != nil {
			return fmt.Errorf("diff: %w", err)
		}
	}
	return nil
}

// stepFiles returns the files of the step in dir, slash-separated and
// relative to it: what git knows or would add (git ignores binaries), or
// every file where git can't tell (a copy that is not a clone).
func (w *workshop) stepFiles(ctx context.Context, dir string) ([]string, error) {
	cmd := w.command(ctx, dir, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", ".")
	cmd.Stdout, cmd.Stderr = nil, nil
	if out, err := cmd.Output(); err == nil {
		var files []string
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
		return files, nil
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("diff: list %s: %w", dir, err)
	}
	return files, nil
}

// leftOut reports whether diff leaves the file f out: go.sum always, the
// READMEs and generated gRPC code unless all.
func leftOut(f string, all bool) bool {
	switch base := path.Base(f); {
	case base == "go.sum":
		return true
	case base == "README.md", strings.HasSuffix(base, ".pb.go"):
		return !all
	}
	return false
}

// isTerminal reports whether out is a terminal (a character device).
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// brokenPipe reports whether the program was killed by SIGPIPE, or exited
// with a shell's status for it (141), because its reader went away.
func brokenPipe(exit *exec.ExitError) bool {
	if exit.ExitCode() == 128+13 {
		return true
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGPIPE
}

// sameStep explains why diff of a step with itself shows nothing, and which
// diff shows that step's lesson.
func (w *workshop) sameStep(argA, argB string, s repo.Step) error {
	steps, err := w.steps()
	if err != nil {
		return err
	}
	prev, next := s, s
	for i := range steps {
		if steps[i] == s && i > 0 {
			prev = steps[i-1]
		}
		if steps[i] == s && i+1 < len(steps) {
			next = steps[i+1]
		}
	}
	fmt.Fprintf(w.stdout, "step %s and step %s are the same step (%s): there is no difference to show.\n", argA, argB, s.Dir)
	pair := func(a, b repo.Step) string {
		return suggest(fmt.Sprintf("make diff %d %d", a.Number, b.Number), fmt.Sprintf("diff %d %d", a.Number, b.Number))
	}
	if prev != s {
		fmt.Fprintf(w.stdout, "What step %d changes in step %d: %s\n", s.Number, prev.Number, pair(prev, s))
	}
	if next != s {
		fmt.Fprintf(w.stdout, "What step %d changes in step %d: %s\n", next.Number, s.Number, pair(s, next))
	}
	return nil
}
