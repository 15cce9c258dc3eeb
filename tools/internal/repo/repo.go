// Package repo finds the workshop repository and its steps: the root
// directory, which holds go.work, and the step directories stepNN-NAME
// beside it.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// marker is a directory that only the workshop's root holds, beside go.work.
const marker = "step01-naive"

// Root returns the repository's root directory: dir or the nearest of its
// parents that holds both go.work and the first step.
func Root(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find the workshop's root from %s: %w", dir, err)
	}
	for d := abs; ; {
		if isFile(filepath.Join(d, "go.work")) && isDir(filepath.Join(d, marker)) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s is not inside the workshop's repository (no parent directory holds go.work and %s/): run this from the repository", abs, marker)
		}
		d = parent
	}
}

// Step is one step of the workshop.
type Step struct {
	Number int    // 1 for step01-naive
	Dir    string // the directory's name, e.g. "step01-naive"
}

// String returns the step's directory name.
func (s Step) String() string { return s.Dir }

// Steps returns the steps in root, in order.
func Steps(root string) ([]Step, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list the steps: %w", err)
	}
	var steps []Step
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if n, ok := stepNumber(e.Name()); ok {
			steps = append(steps, Step{Number: n, Dir: e.Name()})
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no step directories (stepNN-NAME) in %s", root)
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Number < steps[j].Number })
	return steps, nil
}

// stepNumber returns N for a directory named stepNN-NAME, with two digits.
func stepNumber(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "step")
	if !ok || len(rest) < 4 || rest[2] != '-' {
		return 0, false
	}
	n, err := strconv.Atoi(rest[:2])
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// NoStepError is Find's error for an argument that names no step; its text
// says which steps there are.
type NoStepError struct {
	Arg   string // what was given
	Steps []Step // the steps there are
}

func (e *NoStepError) Error() string {
	if _, err := strconv.Atoi(strings.TrimPrefix(e.Arg, "step")); err != nil || strings.ContainsAny(e.Arg, "+-") {
		return fmt.Sprintf("%q is not a step number; give one, e.g. 1 (steps: %s)", e.Arg, List(e.Steps))
	}
	return fmt.Sprintf("there is no step %s; the steps are: %s", e.Arg, List(e.Steps))
}

// Find returns the step that arg names: its number ("1", "01"), its prefix
// ("step01") or its directory ("step01-naive", with or without a trailing
// slash).
func Find(steps []Step, arg string) (Step, error) {
	name := strings.TrimRight(filepath.ToSlash(arg), "/")
	for _, s := range steps {
		if name == s.Dir {
			return s, nil
		}
	}
	digits := strings.TrimPrefix(name, "step")
	n, err := strconv.Atoi(digits)
	if err == nil && !strings.ContainsAny(digits, "+-") {
		for _, s := range steps {
			if s.Number == n {
				return s, nil
			}
		}
	}
	return Step{}, &NoStepError{Arg: arg, Steps: steps}
}

// List returns the steps as one line: "1 (step01-naive), 2 (…), …".
func List(steps []Step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%d (%s)", s.Number, s.Dir)
	}
	return strings.Join(parts, ", ")
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
