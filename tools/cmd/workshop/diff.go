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
	"regexp"
	"strings"
	"syscall"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func diffCommand() command {
	return command{
		name:    "diff",
		args:    "[-all] A B",
		summary: "what step B changes in step A (-all: with READMEs, generated code)",
		run:     runDiff,
	}
}

// runDiff shows what step B changes in step A: the list of changed files,
// then the changes, coloured on a terminal and plain in a pipe. Step A's
// module path is rewritten to step B's, so that import lines don't show up
// as changes; go.sum is left out, and so are the READMEs and the generated
// gRPC code unless -all is given or ALL=1 is set. Moved files show as
// renames with their changes, down to a third of their lines kept (git's
// default is a half, which step 4's moves out of addsvc/ fall below).
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
	tree, aside := filepath.Join(tmp, "tree"), filepath.Join(tmp, "moved")
	var files [2][]string
	for i, s := range []repo.Step{a, b} {
		if files[i], err = w.copyForDiff(ctx, s, filepath.Join(tree, s.Dir), "/"+a.Dir, "/"+b.Dir, *all); err != nil {
			return err
		}
	}
	// Files moved to another folder and changed so much that git's rename
	// detection does not pair them are compared on their own, after the rest.
	moves, err := w.unseenMoves(ctx, tree, a.Dir, b.Dir, sameNameMoves(files[0], files[1]))
	if err != nil {
		return err
	}
	for _, m := range moves {
		for _, p := range []string{filepath.Join(a.Dir, m.from), filepath.Join(b.Dir, m.to)} {
			if err := moveFile(filepath.Join(tree, p), filepath.Join(aside, p)); err != nil {
				return err
			}
		}
	}

	if !*all {
		fmt.Fprintf(w.stdout, "(go.sum is left out, and so are the READMEs, generated *.pb.go, exercises/, fuzz seed corpora and the exercises' markers: %s shows those)\n\n",
			suggest(fmt.Sprintf("make diff %s %s ALL=1", fset.Arg(0), fset.Arg(1)), fmt.Sprintf("diff -all %s %s", fset.Arg(0), fset.Arg(1))))
	}
	if quit, err := w.gitDiff(ctx, tree, a.Dir, b.Dir); quit || err != nil {
		return err
	}
	for _, m := range moves {
		fmt.Fprintf(w.stdout, "\n(%s moved to %s, with the changes below)\n\n", m.from, m.to)
		if quit, err := w.gitDiff(ctx, aside, a.Dir+"/"+m.from, b.Dir+"/"+m.to); quit || err != nil {
			return err
		}
	}
	return nil
}

// gitDiff shows the differences between the files or directories a and b
// in dir, with their list first, coloured on a terminal. quit says that
// the reader went away (a pager such as less quit early): nothing more
// needs to be shown, and that is no failure.
func (w *workshop) gitDiff(ctx context.Context, dir, a, b string) (quit bool, err error) {
	color := "never"
	if isTerminal(w.stdout) && os.Getenv("NO_COLOR") == "" {
		color = "always"
	}
	cmd := w.command(ctx, dir, "git", "--no-pager", "diff", "--no-index", "--find-renames=30%", "--color="+color, "--stat", "--patch", a, b)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil, errors.As(err, &exit) && exit.ExitCode() == 1:
		return false, nil // 1: they differ, which is the point
	case errors.As(err, &exit) && brokenPipe(exit):
		return true, nil
	default:
		return false, fmt.Errorf("git diff: %w", err)
	}
}

// move is a file that a step moved to another folder, keeping its name:
// from is its path in step A, to in step B, both relative to the step.
type move struct{ from, to string }

// sameNameMoves returns the files of a that are not in b but whose name
// one file of b has, and no other file of a or b: files moved to another
// folder, such as addsvc/service.go to addservice/service.go.
func sameNameMoves(a, b []string) []move {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, f := range a {
		inA[f] = true
	}
	for _, f := range b {
		inB[f] = true
	}
	gone, added := map[string][]string{}, map[string][]string{}
	for _, f := range a {
		if !inB[f] {
			gone[path.Base(f)] = append(gone[path.Base(f)], f)
		}
	}
	for _, f := range b {
		if !inA[f] {
			added[path.Base(f)] = append(added[path.Base(f)], f)
		}
	}
	var moves []move
	for _, f := range a {
		name := path.Base(f)
		if len(gone[name]) == 1 && len(added[name]) == 1 && gone[name][0] == f {
			moves = append(moves, move{from: f, to: added[name][0]})
		}
	}
	return moves
}

// unseenMoves returns the moves that git's rename detection does not see
// when it compares the directories a and b in dir.
func (w *workshop) unseenMoves(ctx context.Context, dir, a, b string, moves []move) ([]move, error) {
	if len(moves) == 0 {
		return nil, nil
	}
	cmd := w.command(ctx, dir, "git", "--no-pager", "diff", "--no-index", "--find-renames=30%", "--name-status", "-z", a, b)
	cmd.Stdout = nil
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("git diff --name-status: %w", err)
	}
	seen := map[move]bool{}
	fields := strings.Split(string(out), "\x00")
	for i := 0; i < len(fields); i++ {
		status := fields[i]
		if strings.HasPrefix(status, "R") && i+2 < len(fields) {
			from := strings.TrimPrefix(fields[i+1], a+"/")
			to := strings.TrimPrefix(fields[i+2], b+"/")
			seen[move{from, to}] = true
			i += 2
		} else if status != "" {
			i++
		}
	}
	var unseen []move
	for _, m := range moves {
		if !seen[m] {
			unseen = append(unseen, m)
		}
	}
	return unseen, nil
}

// moveFile moves the file from to to, making to's directory.
func moveFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	return nil
}

// copyForDiff copies the files of step s that diff compares into dst,
// with from replaced by to in every file, and returns their paths,
// slash-separated and relative to dst.
func (w *workshop) copyForDiff(ctx context.Context, s repo.Step, dst, from, to string, all bool) ([]string, error) {
	src := filepath.Join(w.root, s.Dir)
	files, err := w.stepFiles(ctx, src)
	if err != nil {
		return nil, err
	}
	var copied []string
	for _, f := range files {
		if leftOut(f, all) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, still in git's index
		}
		if err != nil {
			return nil, fmt.Errorf("diff: %w", err)
		}
		target := filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, fmt.Errorf("diff: %w", err)
		}
		data = bytes.ReplaceAll(data, []byte(from), []byte(to))
		if !all && path.Ext(f) == ".go" {
			data = exerciseMarker.ReplaceAll(data, nil)
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return nil, fmt.Errorf("diff: %w", err)
		}
		copied = append(copied, f)
	}
	return copied, nil
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
// READMEs, the generated gRPC code, the exercises' files and the fuzzers'
// seed corpora unless all.
func leftOut(f string, all bool) bool {
	switch base := path.Base(f); {
	case base == "go.sum":
		return true
	case base == "README.md", strings.HasSuffix(base, ".pb.go"), strings.HasPrefix(f, "exercises/"),
		strings.Contains("/"+f, "/testdata/fuzz/"):
		return !all
	}
	return false
}

// exerciseMarker matches the line of a marker of an exercise's region
// ("// exercise 4.2 begin"): each step marks only its own exercises, so
// without all, diff leaves the markers out rather than show them as changes.
var exerciseMarker = regexp.MustCompile(`(?m)^[ \t]*// exercise [0-9]+\.[0-9]+ (?:begin|end)\r?\n`)

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
