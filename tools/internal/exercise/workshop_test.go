package exercise

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// demoRepo is a small workshop repository: step 1 without exercises, and
// step 2 with two, in a command of its own.
var demoRepo = map[string]string{
	"go.work":     "go 1.26.0\n\nuse ./step02-demo\n\n// A comment.\nreplace example.com/old v1.0.0 => example.com/old v1.1.0\n",
	"go.work.sum": "example.com/old v1.1.0 h1:x=\n",

	"step01-first/README.md": "# Step 1\n",

	"step02-demo/go.mod":    "module example.com/demo\n\ngo 1.26.0\n",
	"step02-demo/README.md": "# Step 2\n\n## The idea\n\nText.\n",
	"step02-demo/addsvc":    "\x00\x01 a binary built by hand",
	"step02-demo/cmd/demo/main.go": `package main

import (
	"fmt"
	"strings"
)

func main() {
	// exercise 2.1 begin
	fmt.Println("hello")
	// exercise 2.1 end
	s := strings.ToUpper("x")
	// exercise 2.2 begin
	s += "!"
	// exercise 2.2 end
	println(s)
}
`,
	"step02-demo/exercises/2.1.md": "# 2.1 Say hello\nminutes: 10\nslides: 44\nread: README.md#the-idea\ntrack: core\n\nSay hello.\n\n## Hint 1\n\nOne.\n\n## Hint 2\n\nTwo.\n\n## Hint 3\n\nThree.\n",
	"step02-demo/exercises/2.2.md": "# 2.2 Shout\nminutes: 10\nslides: 45\nread: README.md#the-idea\ntrack: extra\n\nShout.\n\n## Hint 1\n\nOne.\n\n## Hint 2\n\nTwo.\n\n## Hint 3\n\nThree.\n\n## Stub\n\n```go\n// TODO: shout.\n```\n",
}

// newRepo writes the files of a repository (demoRepo with changes: a file
// given "" is left out) into a temporary directory and returns it.
func newRepo(t *testing.T, changes map[string]string) string {
	t.Helper()
	files := maps.Clone(demoRepo)
	maps.Copy(files, changes)
	root := t.TempDir()
	for name, content := range files {
		if content == "" {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// newWorkshop returns a workshop of root that writes into out, with a
// clock that ticks a second a call.
func newWorkshop(root string, out *bytes.Buffer) *Workshop {
	w := New(root, out, true)
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	w.Now = func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}
	return w
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadStepErrors(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		wantErr string
	}{
		{"a region of an exercise without a file", map[string]string{"step02-demo/exercises/2.2.md": ""},
			"step02-demo: exercise 2.2 at cmd/demo/main.go:13-15: step02-demo/exercises/2.2.md does not exist"},
		{"an exercise without a region", map[string]string{"step02-demo/exercises/2.3.md": strings.ReplaceAll(demoRepo["step02-demo/exercises/2.1.md"], "2.1", "2.3")},
			"step02-demo: exercise 2.3 marks no code"},
		{"an exercise of another step", map[string]string{"step02-demo/exercises/3.1.md": strings.ReplaceAll(demoRepo["step02-demo/exercises/2.1.md"], "2.1", "3.1")},
			"exercise 3.1 belongs to step 3, not step 2"},
		{"something else in exercises", map[string]string{"step02-demo/exercises/notes.txt": "x"},
			"step02-demo/exercises/notes.txt: only exercise files N.M.md belong there"},
		{"a section to read that is not there", map[string]string{"step02-demo/README.md": "# Step 2\n\n## Idea\n"},
			"read: README.md has no section with the anchor #the-idea"},
		{"a file to read that is not there", map[string]string{"step02-demo/README.md": ""},
			"read: open"},
		{"stubs that don't match the regions", map[string]string{"step02-demo/exercises/2.2.md": demoRepo["step02-demo/exercises/2.2.md"] + "\n```go\n// two\n```\n"},
			"exercise 2.2 has 2 stubs for its 1 regions"},
		{"a bad marker", map[string]string{"step02-demo/cmd/demo/main.go": strings.Replace(demoRepo["step02-demo/cmd/demo/main.go"], "2.2 end", "2.2 stop", 1)},
			"step02-demo: cmd/demo/main.go:15: malformed exercise marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadStep(newRepo(t, tt.changes), 2)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}

	root := newRepo(t, nil)
	if _, err := LoadStep(root, 1); !errors.Is(err, ErrNoExercises) {
		t.Errorf("step 1: error %v, want ErrNoExercises", err)
	}
	if _, err := LoadStep(root, 9); err == nil || !strings.Contains(err.Error(), "there is no step 9") {
		t.Errorf("step 9: error %v", err)
	}
	steps, err := LoadSteps(root)
	if err != nil || len(steps) != 1 || steps[0].Num != 2 || len(steps[0].Exercises) != 2 {
		t.Errorf("LoadSteps = %v, %v; want step 2 alone, with 2 exercises", steps, err)
	}
}

func TestStartWritesTheCopy(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	if err := w.Start(context.Background(), 2, false); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, "work")
	want := `package main

import (
	"strings"
)

func main() {
	// exercise 2.1 begin
	panic("exercise 2.1: Say hello; run: make hint")
	// exercise 2.1 end
	s := strings.ToUpper("x")
	// exercise 2.2 begin
	// TODO: shout.
	// exercise 2.2 end
	println(s)
}
`
	if got := readFile(t, filepath.Join(work, "step02-demo", "cmd", "demo", "main.go")); got != want {
		t.Errorf("main.go:\n%s\nwant\n%s", got, want)
	}
	for _, gone := range []string{"exercises", "addsvc"} {
		if ok, _ := exists(filepath.Join(work, "step02-demo", gone)); ok {
			t.Errorf("the copy holds %s", gone)
		}
	}
	goWork := readFile(t, filepath.Join(work, "go.work"))
	for _, line := range []string{"go 1.26.0", "\t./step02-demo\n", "replace example.com/old v1.0.0 => example.com/old v1.1.0"} {
		if !strings.Contains(goWork, line) {
			t.Errorf("go.work has no %q:\n%s", line, goWork)
		}
	}
	if got := readFile(t, filepath.Join(work, "go.work.sum")); got != demoRepo["go.work.sum"] {
		t.Errorf("go.work.sum: %q", got)
	}
	p, err := loadProgress(work)
	if err != nil || p.Step != 2 {
		t.Errorf("progress %+v, %v", p, err)
	}
	for _, s := range []string{
		"work/step02-demo is your copy of step 2, with its 2 exercises cut out",
		"First: exercise 2.1, Say hello",
		"Read first: step02-demo/README.md#the-idea",
		"in work/step02-demo/cmd/demo/main.go",
		"Then run make check",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the output has no %q:\n%s", s, out.String())
		}
	}

	out.Reset()
	err = w.Start(context.Background(), 1, false)
	if err == nil || !strings.Contains(err.Error(), "step 1 has no exercises to check") || !strings.Contains(err.Error(), "make start 2") {
		t.Errorf("start 1: %v", err)
	}
}

func TestStartRefusesToReplaceWork(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	ctx := context.Background()
	main := filepath.Join(root, "work", "step02-demo", "cmd", "demo", "main.go")
	if err := w.Start(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx, 2, false); err != nil {
		t.Fatalf("start again, with no work done: %v", err)
	}
	mine := strings.Replace(readFile(t, main), `panic("exercise 2.1: Say hello; run: make hint")`, `println("mine")`, 1)
	if err := os.WriteFile(main, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	// A binary built by hand is not work.
	if err := os.WriteFile(filepath.Join(root, "work", "step02-demo", "demo"), []byte("\x00bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, _ := loadProgress(w.Dir)
	p.Done["2.1"] = Done{By: byCheck}
	p.Hints["2.1"] = 2
	if err := p.save(w.Dir); err != nil {
		t.Fatal(err)
	}

	err := w.Start(ctx, 2, false)
	if err == nil || !strings.Contains(err.Error(), "work/step02-demo holds your work on step 2") || !strings.Contains(err.Error(), "make start 2 FORCE=1") {
		t.Fatalf("start over work: %v", err)
	}
	if readFile(t, main) != mine {
		t.Fatal("start replaced the work it refused to replace")
	}

	out.Reset()
	if err := w.Start(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(root, "work", "backup", "20261127-090001", "step02-demo", "cmd", "demo", "main.go")
	if readFile(t, backup) != mine {
		t.Error("the backup does not hold the work")
	}
	if !strings.Contains(out.String(), "Your previous copy is kept in work/backup/20261127-090001/step02-demo.") {
		t.Errorf("output:\n%s", out.String())
	}
	if strings.Contains(readFile(t, main), "mine") {
		t.Error("start -force left the work in the copy")
	}
	p, _ = loadProgress(w.Dir)
	if p.isDone("2.1") || p.Hints["2.1"] != 2 {
		t.Errorf("progress after start -force: %+v; want 2.1 not done, its 2 hints kept", p)
	}
}

func TestCatchup(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	ctx := context.Background()
	main := filepath.Join(root, "work", "step02-demo", "cmd", "demo", "main.go")
	if err := w.Start(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := w.Catchup(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, main); got != demoRepo["step02-demo/cmd/demo/main.go"] {
		t.Errorf("after catchup, main.go is\n%s", got)
	}
	if ok, _ := exists(filepath.Join(root, "work", "backup")); !ok {
		t.Error("catchup kept no backup of the work")
	}
	for _, s := range []string{"Your copy is kept in work/backup/", "work/step02-demo is now the finished step 2", "make check"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the output has no %q:\n%s", s, out.String())
		}
	}
	p, _ := loadProgress(w.Dir)
	if p.Done["2.1"].By != byCatchup || p.Done["2.2"].By != byCatchup {
		t.Errorf("progress after catchup: %+v", p)
	}
	// The finished step is no work to keep: start replaces it at once.
	if err := w.Start(ctx, 2, false); err != nil {
		t.Errorf("start after catchup: %v", err)
	}
}

func TestHintCounting(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	if err := w.Hint(""); err == nil || !strings.Contains(err.Error(), "you have not started an exercise yet: run make start 2") {
		t.Errorf("hint before start: %v", err)
	}
	if err := w.Start(context.Background(), 2, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id        string
		wantHead  string
		wantHints int
	}{
		{"", "Hint 1 of 3 for exercise 2.1, Say hello:\n\n  One.", 1},
		{"", "Hint 2 of 3 for exercise 2.1", 2},
		{"2.2", "Hint 1 of 3 for exercise 2.2", 2},
		{"", "Hint 3 of 3 for exercise 2.1, Say hello:\n\n  Three.\n\nThat was the last hint.", 3},
		{"", "Hint 3 of 3 for exercise 2.1", 3},
	}
	for i, tt := range tests {
		out.Reset()
		if err := w.Hint(tt.id); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), tt.wantHead) {
			t.Errorf("hint %d:\n%s\nwant it to begin with\n%s", i+1, out.String(), tt.wantHead)
		}
		p, err := loadProgress(w.Dir) // as a later command reads it
		if err != nil || p.Hints["2.1"] != tt.wantHints {
			t.Errorf("hint %d: progress %+v, %v; want %d hints of 2.1 shown", i+1, p, err, tt.wantHints)
		}
	}
	if err := w.Hint("2.9"); err == nil || !strings.Contains(err.Error(), "step 2 has no exercise 2.9; its exercises are 2.1, 2.2") {
		t.Errorf("hint 2.9: %v", err)
	}
}

func TestProgressFile(t *testing.T) {
	dir := t.TempDir()
	p, err := loadProgress(dir)
	if err != nil || p.Step != 0 || len(p.Done) != 0 || len(p.Hints) != 0 {
		t.Fatalf("no file: %+v, %v", p, err)
	}
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	p.Step = 3
	p.Done["3.1"] = Done{At: at, By: byCheck}
	p.Hints["3.2"] = 2
	if err := p.save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := loadProgress(dir)
	if err != nil || got.Step != 3 || got.Done["3.1"] != (Done{At: at, By: byCheck}) || got.Hints["3.2"] != 2 {
		t.Errorf("read back %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want progress.json alone", len(entries))
	}
	if err := os.WriteFile(filepath.Join(dir, progressFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadProgress(dir); err == nil || !strings.Contains(err.Error(), "delete it to start afresh") {
		t.Errorf("a broken file: %v", err)
	}
}

func TestSolution(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	if err := w.Start(context.Background(), 2, false); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := w.Solution(""); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"--- a/cmd/demo/main.go\n+++ b/cmd/demo/main.go\n",
		"+\t\"fmt\"\n",
		"-\tpanic(\"exercise 2.1: Say hello; run: make hint\")\n+\tfmt.Println(\"hello\")\n",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the solution has no %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "shout") {
		t.Errorf("the solution of 2.1 shows 2.2's code:\n%s", out.String())
	}

	// Without the markers, the whole file is compared.
	main := filepath.Join(root, "work", "step02-demo", "cmd", "demo", "main.go")
	if err := os.WriteFile(main, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := w.Solution("2.1"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "are no longer all in work/step02-demo/cmd/demo/main.go, so this compares the whole file") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestStatus(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	if err := w.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Step 2 (not started; make start 2)") || !strings.HasSuffix(out.String(), "Next: make start 2.\n") {
		t.Errorf("before start:\n%s", out.String())
	}
	if err := w.Start(context.Background(), 2, false); err != nil {
		t.Fatal(err)
	}
	_ = w.Hint("")
	out.Reset()
	if err := w.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "Step 2, in work/step02-demo (current):\n" +
		"  now ->     core  2.1 Say hello (about 10 minutes, 1 of 3 hints seen)\n" +
		"             extra 2.2 Shout (about 10 minutes)\n" +
		"The core track, the three-hour workshop's: 0 of 1 exercises done (about 10 minutes in all); the extras are for later.\n" +
		"Next: exercise 2.1; make check checks it, make hint gives a hint.\n"
	if out.String() != want {
		t.Errorf("status:\n%s\nwant\n%s", out.String(), want)
	}
}

// fileCheck is a check that passes when the copy's main.go holds s.
func fileCheck(s string) check.Case {
	return check.Case{
		Commands: []string{"demo"},
		Name:     "main.go holds " + s,
		Run: func(ctx context.Context, env *check.Env) error {
			b, err := os.ReadFile(filepath.Join(env.Dir(), "cmd", "demo", "main.go"))
			if err != nil {
				return err
			}
			if !bytes.Contains(b, []byte(s)) {
				return errors.New("it does not")
			}
			return nil
		},
	}
}

func TestCheck(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	w.Checks = func() map[string][]check.Case {
		return map[string][]check.Case{
			"2.1": {fileCheck("package main"), fileCheck(`fmt.Println("hello")`)},
			"2.2": {fileCheck(`s += "!"`)},
		}
	}
	ctx := context.Background()
	if err := w.Check(ctx, ""); err == nil || !strings.Contains(err.Error(), "run make start 2") {
		t.Errorf("check before start: %v", err)
	}
	if err := w.Start(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(root, "work", "step02-demo", "cmd", "demo", "main.go")
	edit := func(old, new string) {
		t.Helper()
		if err := os.WriteFile(main, []byte(strings.Replace(readFile(t, main), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		old, new string // the attendee's change before the check
		wantErr  error
		want     []string // parts of the output
	}{
		{"the start copy fails", "", "", ErrNotPassing, []string{
			"Exercise 2.1, Say hello:\n  ok   main.go holds package main\n  FAIL main.go holds fmt.Println(\"hello\")\n1 of 2 checks pass.",
			"The first that fails: main.go holds fmt.Println(\"hello\")\n  it does not",
			"Next: change your code, then run make check again",
		}},
		{"a compile error is the compiler's", `panic("exercise 2.1: Say hello; run: make hint")`, `fmt.Println("hello")`, ErrNotPassing, []string{
			"It does not compile. The Go compiler says (paths are in work/step02-demo):",
			"cmd/demo/main.go:9:2: undefined: fmt",
			"Next: fix what the compiler points to, then run make check again.",
		}},
		{"a pass names the next exercise", "import (\n", "import (\n\t\"fmt\"\n", nil, []string{
			"2 of 2 checks pass.\nExercise 2.1 is done.\n",
			"The core of step 2 is done.\nThat was the last step with exercises. Still to do: 2.2 (extra); make start 2, then make status names them.\nOr go on with its extras, for self-paced learners:\n\nNext extra: exercise 2.2, Shout",
		}},
		{"the last one ends the step", "// TODO: shout.", `s += "!"`, nil, []string{
			"Exercise 2.2 is done.\nStep 2 is done: every one of its exercises passes.\n",
			"That was the last step with exercises, and every exercise is done",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.old != "" {
				edit(tt.old, tt.new)
			}
			out.Reset()
			err := w.Check(ctx, "")
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			for _, s := range tt.want {
				if !strings.Contains(out.String(), s) {
					t.Errorf("the output has no %q:\n%s", s, out.String())
				}
			}
		})
	}
	p, _ := loadProgress(w.Dir)
	if p.Done["2.1"].By != byCheck || p.Done["2.2"].By != byCheck {
		t.Errorf("progress: %+v", p)
	}
}

func TestSmallThings(t *testing.T) {
	root := newRepo(t, nil)
	var out bytes.Buffer
	w := newWorkshop(root, &out)
	w.Checks = func() map[string][]check.Case {
		return map[string][]check.Case{
			"2.1": {fileCheck(`fmt.Println("hello")`)},
			"2.2": {fileCheck(`s += "!"`)},
		}
	}
	ctx := context.Background()

	// An unknown step lists the steps.
	if err := w.Start(ctx, 9, false); err == nil || !strings.Contains(err.Error(), "there is no step 9; the steps with exercises are 2 (step02-demo): make start 2") {
		t.Errorf("start 9: %v", err)
	}
	// A hint of a step not started is not counted.
	out.Reset()
	if err := w.Hint("2.1"); err != nil || !strings.Contains(out.String(), "Not counted as seen: you have not started step 2") {
		t.Errorf("hint before start: %v\n%s", err, out.String())
	}
	if p, _ := loadProgress(w.Dir); p.Hints["2.1"] != 0 {
		t.Errorf("a hint before start counted: %+v", p)
	}
	if err := w.Start(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(root, "work", "step02-demo", "cmd", "demo", "main.go")
	edit := func(old, new string) {
		t.Helper()
		if err := os.WriteFile(main, []byte(strings.Replace(readFile(t, main), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit(`panic("exercise 2.1: Say hello; run: make hint")`, `fmt.Println("hello")`)
	edit("import (\n", "import (\n\t\"fmt\"\n")
	out.Reset()
	if err := w.Check(ctx, ""); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "Warning") {
		t.Errorf("edits inside the markers and imports warned:\n%s", out.String())
	}
	// A hint after passing is not counted.
	out.Reset()
	if err := w.Hint("2.1"); err != nil || !strings.Contains(out.String(), "Not counted as seen: exercise 2.1 is done already") {
		t.Errorf("hint after passing: %v\n%s", err, out.String())
	}

	// An edit outside the markers warns, with its file and line; status
	// then checks 2.1 again, and shows it not done while it fails.
	edit(`s := strings.ToUpper("x")`, `s := strings.ToLower("x")`)
	edit(`fmt.Println("hello")`, `fmt.Println("bye")`)
	out.Reset()
	if err := w.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Your copy of step 2 changed since 2.1 passed: checking again") ||
		!strings.Contains(out.String(), "no longer passing: 2.1") || !strings.Contains(out.String(), "now ->     core  2.1") {
		t.Errorf("status after an edit:\n%s", out.String())
	}
	out.Reset()
	_ = w.Check(ctx, "2.1")
	if !strings.Contains(out.String(), "Warning: your copy differs from what make start 2 wrote outside the exercises' markers") ||
		!strings.Contains(out.String(), "work/step02-demo/cmd/demo/main.go:12") {
		t.Errorf("check after an edit outside the markers:\n%s", out.String())
	}
}
