package load

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// step is one step directory of the workshop.
type step struct {
	num     int
	name    string // the directory's name, such as step01-naive
	dir     string
	example bool // go-kit's addsvc example, not a step: num is 0
}

// label is the step's name without its "step" prefix, such as 01-naive, or
// "go-kit addsvc" for go-kit's example.
func (s step) label() string {
	if s.example {
		return exampleLabel
	}
	return s.name[len("step"):]
}

var stepDir = regexp.MustCompile(`^step(\d\d)-`)

// findSteps returns the step directories under root, in order, or only those
// numbered in want.
func findSteps(root string, want []int) ([]step, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list the steps: %w", err)
	}
	var steps []step
	for _, e := range entries {
		m := stepDir.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if len(want) > 0 && !slices.Contains(want, n) {
			continue
		}
		steps = append(steps, step{num: n, name: e.Name(), dir: filepath.Join(root, e.Name())})
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no step directories (stepNN-*) under %s match %v", root, want)
	}
	for _, n := range want {
		if !slices.ContainsFunc(steps, func(s step) bool { return s.num == n }) {
			return nil, fmt.Errorf("no step %d under %s", n, root)
		}
	}
	return steps, nil
}
