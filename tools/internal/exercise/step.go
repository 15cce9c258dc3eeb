package exercise

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Step is one step of the workshop, with its exercises and the regions of
// its code that they cut out.
type Step struct {
	Num       int         // 2
	Name      string      // the step's directory name, "step02-logging"
	Dir       string      // the step's directory
	Exercises []*Exercise // in order: 2.1, 2.2…
	Regions   []Region    // every region of every file, by file and line
}

// exercisesDir is the directory, in a step, that holds its exercise files.
const exercisesDir = "exercises"

var stepDirRE = regexp.MustCompile(`^step([0-9]{2})-[a-z0-9-]+$`)

// StepNames returns the directory name of every step of the repository at
// root, by step number.
func StepNames(root string) (map[int]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list the steps: %w", err)
	}
	names := map[int]string{}
	for _, e := range entries {
		if m := stepDirRE.FindStringSubmatch(e.Name()); m != nil && e.IsDir() {
			n, _ := strconv.Atoi(m[1])
			names[n] = e.Name()
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s holds no step (stepNN-name directory)", root)
	}
	return names, nil
}

// LoadSteps loads every step of the repository at root that has exercises,
// in order.
func LoadSteps(root string) ([]*Step, error) {
	names, err := StepNames(root)
	if err != nil {
		return nil, err
	}
	nums := make([]int, 0, len(names))
	for n := range names {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var steps []*Step
	for _, n := range nums {
		st, err := LoadStep(root, n)
		if errors.Is(err, ErrNoExercises) {
			continue
		}
		if err != nil {
			return nil, err
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// ErrNoExercises is the error of LoadStep for a step that has no exercises.
var ErrNoExercises = errors.New("no exercises")

// LoadStep loads step n of the repository at root: its exercise files and
// the regions marked in its Go files, checked against each other. Every
// region must belong to an exercise of the step, and every exercise must have
// a region. A step without an exercises directory gives an error that wraps
// ErrNoExercises.
func LoadStep(root string, n int) (*Step, error) {
	names, err := StepNames(root)
	if err != nil {
		return nil, err
	}
	name, ok := names[n]
	if !ok {
		return nil, fmt.Errorf("there is no step %d", n)
	}
	st := &Step{Num: n, Name: name, Dir: filepath.Join(root, name)}

	entries, err := os.ReadDir(filepath.Join(st.Dir, exercisesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("step %d: %w", n, ErrNoExercises)
	}
	if err != nil {
		return nil, fmt.Errorf("step %d: %w", n, err)
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".md")
		if !ok || e.IsDir() {
			return nil, fmt.Errorf("%s/%s/%s: only exercise files N.M.md belong there", name, exercisesDir, e.Name())
		}
		file := filepath.Join(st.Dir, exercisesDir, e.Name())
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		ex, err := ParseExercise(filepath.ToSlash(filepath.Join(name, exercisesDir, e.Name())), id, src)
		if err != nil {
			return nil, err
		}
		if ex.Step != n {
			return nil, fmt.Errorf("%s: exercise %s belongs to step %d, not step %d", file, id, ex.Step, n)
		}
		if err := checkRead(st.Dir, ex); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		st.Exercises = append(st.Exercises, ex)
	}
	if len(st.Exercises) == 0 {
		return nil, fmt.Errorf("step %d: %w (its %s directory is empty)", n, ErrNoExercises, exercisesDir)
	}
	slices.SortFunc(st.Exercises, func(a, b *Exercise) int { return a.Num - b.Num })

	files, err := st.files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(st.Dir, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		regions, err := ParseRegions(f, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, r := range regions {
			if st.Exercise(r.ID) == nil {
				return nil, fmt.Errorf("%s: %s: %s/%s/%s.md does not exist", name, r, name, exercisesDir, r.ID)
			}
		}
		st.Regions = append(st.Regions, regions...)
	}
	if cores := len(st.Core()); cores < 1 || cores > MaxCorePerStep {
		return nil, fmt.Errorf("%s: %d of its exercises are on the core track (track: core); give it one or %d", name, cores, MaxCorePerStep)
	}
	for _, ex := range st.Exercises {
		n := len(st.RegionsOf(ex.ID))
		if n == 0 {
			return nil, fmt.Errorf("%s: exercise %s marks no code (// exercise %s begin … // exercise %s end)", name, ex.ID, ex.ID, ex.ID)
		}
		if len(ex.Stubs) > 1 && len(ex.Stubs) != n {
			return nil, fmt.Errorf("%s: exercise %s has %d stubs for its %d regions: give one for all, or one for each", name, ex.ID, len(ex.Stubs), n)
		}
	}
	return st, nil
}

// Core returns the step's core exercises, in order.
func (st *Step) Core() []*Exercise {
	var core []*Exercise
	for _, e := range st.Exercises {
		if e.Core() {
			core = append(core, e)
		}
	}
	return core
}

// Order returns the step's exercises in the order they are done: the core
// ones first, then the extras, each in the order of their IDs. A check may
// rely on the exercises before its own in this order, never on later ones.
func (st *Step) Order() []*Exercise {
	order := st.Core()
	for _, e := range st.Exercises {
		if !e.Core() {
			order = append(order, e)
		}
	}
	return order
}

// Exercise returns the step's exercise id, or nil.
func (st *Step) Exercise(id string) *Exercise {
	for _, e := range st.Exercises {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// RegionsOf returns the regions of exercise id.
func (st *Step) RegionsOf(id string) []Region {
	var rs []Region
	for _, r := range st.Regions {
		if r.ID == id {
			rs = append(rs, r)
		}
	}
	return rs
}

// regionsInFile returns the regions of file f (relative, with slashes).
func (st *Step) regionsInFile(f string) []Region {
	var rs []Region
	for _, r := range st.Regions {
		if r.File == f {
			rs = append(rs, r)
		}
	}
	return rs
}

// filesOf returns the files that hold exercise id's regions, in order.
func (st *Step) filesOf(id string) []string {
	var files []string
	for _, r := range st.RegionsOf(id) {
		if !slices.Contains(files, r.File) {
			files = append(files, r.File)
		}
	}
	return files
}

// files lists the step's files that belong in an attendee's copy, relative
// to its directory and with slashes: every file but its exercise files,
// hidden files and binaries (built by hand in the step).
func (st *Step) files() ([]string, error) {
	var files []string
	err := filepath.WalkDir(st.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(st.Dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || rel == exercisesDir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		binary, err := isBinary(p)
		if err != nil || binary {
			return err
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the files of %s: %w", st.Name, err)
	}
	return files, nil
}

// isBinary reports whether the file at p looks like a binary: a NUL byte in
// its first 8000 bytes, as git decides.
func isBinary(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, 8000)
	n, _ := f.Read(buf)
	return bytes.IndexByte(buf[:n], 0) >= 0, nil
}

// checkRead checks that what an exercise says to read exists: the file, and
// a heading of it whose anchor is the one given.
func checkRead(dir string, ex *Exercise) error {
	file, anchor, _ := strings.Cut(ex.Read, "#")
	src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if !slices.Contains(headingAnchors(src), anchor) {
		return fmt.Errorf("read: %s has no section with the anchor #%s", file, anchor)
	}
	return nil
}

// headingAnchors returns the anchors that GitHub gives the headings of a
// Markdown document: lower case, with spaces as hyphens, and without
// punctuation other than hyphens and underscores.
func headingAnchors(md []byte) []string {
	var anchors []string
	inFence := false
	for _, l := range strings.Split(strings.ReplaceAll(string(md), "\r\n", "\n"), "\n") {
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(l, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(l, "#"))
		anchors = append(anchors, Anchor(text))
	}
	return anchors
}

// Anchor returns the anchor that GitHub gives a heading.
func Anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
