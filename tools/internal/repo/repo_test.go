package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRepo makes a directory that looks like the workshop's root.
func fakeRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"step01-naive/cmd/addsvc", "step02-logging", "step10-ten", "stepx-not", "tools"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file named like a step is not a step.
	if err := os.WriteFile(filepath.Join(root, "step03-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRootFromSubdirectory(t *testing.T) {
	root := fakeRepo(t)
	for _, dir := range []string{root, filepath.Join(root, "step01-naive", "cmd", "addsvc"), filepath.Join(root, "tools")} {
		got, err := Root(dir)
		if err != nil {
			t.Fatalf("Root(%s): %v", dir, err)
		}
		if got != root {
			t.Errorf("Root(%s) = %s, want %s", dir, got, root)
		}
	}
}

func TestRootOutsideTheRepository(t *testing.T) {
	if _, err := Root(t.TempDir()); err == nil {
		t.Fatal("Root of an empty directory: no error")
	}
}

func TestSteps(t *testing.T) {
	steps, err := Steps(fakeRepo(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{1, "step01-naive"}, {2, "step02-logging"}, {10, "step10-ten"}}
	if len(steps) != len(want) {
		t.Fatalf("Steps = %v, want %v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Errorf("Steps[%d] = %v, want %v", i, steps[i], want[i])
		}
	}
}

func TestFind(t *testing.T) {
	steps := []Step{{1, "step01-naive"}, {2, "step02-logging"}, {10, "step10-ten"}}
	for _, tc := range []struct {
		arg  string
		want string // the step's directory, or "" for an error
	}{
		{"1", "step01-naive"},
		{"01", "step01-naive"},
		{"001", "step01-naive"},
		{"step01", "step01-naive"},
		{"step1", "step01-naive"},
		{"step01-naive", "step01-naive"},
		{"step01-naive/", "step01-naive"},
		{"10", "step10-ten"},
		{"3", ""},
		{"0", ""},
		{"-1", ""},
		{"+1", ""},
		{"", ""},
		{"one", ""},
		{"step", ""},
		{"127.0.0.1:9000", ""},
	} {
		got, err := Find(steps, tc.arg)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Find(%q) = %v, want an error", tc.arg, got)
			} else if _, ok := err.(*NoStepError); !ok || !strings.Contains(err.Error(), "step10-ten") {
				t.Errorf("Find(%q): error %q should be a *NoStepError and list the steps", tc.arg, err)
			}
			continue
		}
		if err != nil || got.Dir != tc.want {
			t.Errorf("Find(%q) = %v, %v; want %s", tc.arg, got, err, tc.want)
		}
	}
}
