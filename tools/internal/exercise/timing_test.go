package exercise

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// TestCheckTimes measures, for the core exercise of every step, what make
// check costs on this machine, as issue 17 asks: a passing check of an
// unchanged copy against go build of the same binaries into an up-to-date
// folder, and a failing check (the exercise's first known wrong answer)
// against a passing one. Each figure is the median of timingRuns runs. It
// only runs with WORKSHOP_TIMING=1: it measures, and asserts nothing.
func TestCheckTimes(t *testing.T) {
	if os.Getenv("WORKSHOP_TIMING") != "1" {
		t.Skip("WORKSHOP_TIMING=1 runs it")
	}
	const timingRuns = 5
	root := repoRoot(t)
	steps, err := LoadSteps(root)
	if err != nil {
		t.Fatal(err)
	}
	median := func(f func()) time.Duration {
		var ds []time.Duration
		for range timingRuns {
			start := time.Now()
			f()
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	ctx := context.Background()
	t.Logf("%-4s %-9s %-9s %-9s %-9s %-9s %-9s", "ex", "check ok", "go build", "cases", "over", "check bad", "bad-ok")
	for _, st := range steps {
		e := st.Core()[0]
		pass := &Workshop{Root: root, Dir: t.TempDir(), Out: &bytes.Buffer{}}
		fresh, err := pass.newCopy(st, func(string) bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pass.install(st, fresh, false); err != nil {
			t.Fatal(err)
		}
		fail := &Workshop{Root: root, Dir: t.TempDir(), Out: &bytes.Buffer{}}
		if err := copyTree(pass.copyDir(st), fail.copyDir(st)); err != nil {
			t.Fatal(err)
		}
		if err := fail.writeGoWork(); err != nil {
			t.Fatal(err)
		}
		applyFirstWrong(t, e.ID, fail.copyDir(st))
		if err := pass.Check(ctx, e.ID); err != nil {
			t.Fatalf("%s: %v\n%s", e.ID, err, pass.Out)
		}
		_ = fail.Check(ctx, e.ID) // builds it

		cmds := pass.commandsOf([]*Exercise{e})
		bin := filepath.Join(pass.Dir, binDir, st.Name)
		checkOK := median(func() {
			if err := pass.Check(ctx, e.ID); err != nil {
				t.Fatal(err)
			}
		})
		build := median(func() {
			args := []string{"build", "-o", bin + string(filepath.Separator)}
			for _, c := range cmds {
				args = append(args, "./cmd/"+c)
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = pass.copyDir(st)
			cmd.Env = append(os.Environ(), pass.goEnv()...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
		})
		b, err := check.NewBuild(ctx, pass.copyDir(st), bin, pass.goEnv(), cmds...)
		if err != nil {
			t.Fatal(err)
		}
		cases := median(func() { check.Run(ctx, b, check.Registry()[e.ID]) })
		checkBad := median(func() { _ = fail.Check(ctx, e.ID) })
		t.Logf("%-4s %-9s %-9s %-9s %-9s %-9s %-9s", e.ID, ms(checkOK), ms(build), ms(cases), ms(checkOK-build), ms(checkBad), ms(checkBad-checkOK))
	}
}

func ms(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

// applyFirstWrong applies the first known wrong answer of exercise id to
// the copy in dir.
func applyFirstWrong(t *testing.T, id, dir string) {
	t.Helper()
	entries, err := os.ReadDir(wrongDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if !strings.HasPrefix(entry.Name(), id+"-") {
			continue
		}
		a, err := txtar.ParseFile(filepath.Join(wrongDir, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range a.Files {
			file, ok := strings.CutPrefix(f.Name, "old ")
			if !ok {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(file))
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			src = []byte(strings.Replace(string(src), strings.TrimSuffix(string(f.Data), "\n"), strings.TrimSuffix(string(a.Files[i+1].Data), "\n"), 1))
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	t.Fatalf("no wrong answer for %s", id)
}
