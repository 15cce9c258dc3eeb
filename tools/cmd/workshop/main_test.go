package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWorkshop runs the workshop command in process, as main does, from the
// current directory (inside the repository).
func runWorkshop(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// fakeRepo makes a repository root with the given files (path: content)
// and returns a workshop on it that writes into buffers.
func fakeRepo(t *testing.T, files map[string]string) (*workshop, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	return &workshop{root: root, stdout: &out, stderr: &errOut}, &out, &errOut
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		code, out, _ := runWorkshop(t, args...)
		if code != exitOK {
			t.Errorf("%q: exit %d, want 0", args, code)
		}
		for _, c := range commands() {
			if !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("%q: help does not list %s:\n%s", args, c.name, out)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"step"}, "which step?"},
		{[]string{"step", "99"}, "there is no step 99; the steps are: 1 (step01-naive)"},
		{[]string{"step", "x"}, `"x" is not a step number`},
		{[]string{"test", "0"}, "there is no step 0"},
		{[]string{"diff", "1"}, "usage:"},
		{[]string{"diff", "1", "2", "3"}, "usage:"},
		{[]string{"diff", "-bogus", "1", "2"}, "usage:"},
		{[]string{"docs-check", "eight"}, `"eight" is not a step number`},
		{[]string{"generate", "now"}, "usage:"},
		{[]string{"prep", "1"}, "takes no arguments"},
	} {
		code, _, stderr := runWorkshop(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestRootFromASubdirectory(t *testing.T) {
	// The tests run in tools/cmd/workshop, deep inside the repository.
	code, out, stderr := runWorkshop(t, "diff", "2", "02")
	if code != exitOK || !strings.Contains(out, "the same step (step02-logging)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
