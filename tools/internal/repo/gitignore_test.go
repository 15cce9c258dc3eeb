package repo

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSourceIgnored fails if .gitignore ignores a directory that holds Go
// source in a step or in tools/, one of its files, or a file that an
// attendee might add there: such files would be invisible to git status,
// git stash -u and make diff. It also checks the names that binaries take
// beside the source (addsvc, addcli, demo, workshop), as directories.
func TestNoSourceIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not on PATH; this test needs it")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := Steps(root)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	tops := []string{"tools"}
	for _, s := range steps {
		tops = append(tops, s.Dir)
		// Folders an attendee might make, named as the binaries are.
		for _, d := range []string{"addsvc", "addcli", "cmd/addsvc", "cmd/addcli", "cmd/addsvc/addsvc"} {
			paths = append(paths, s.Dir+"/"+d+"/", s.Dir+"/"+d+"/new.go")
		}
	}
	paths = append(paths, "tools/demo/new.go", "tools/workshop/new.go")
	for _, top := range tops {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			matches, err := filepath.Glob(filepath.Join(path, "*.go"))
			if err != nil || len(matches) == 0 {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			paths = append(paths, rel+"/", rel+"/new_file.go", rel+"/README.md", rel+"/testdata/x.txt")
			for _, m := range matches {
				paths = append(paths, rel+"/"+filepath.Base(m))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(paths) < 50 {
		t.Fatalf("only %d paths to check; the walk went wrong", len(paths))
	}

	// --no-index: tracked files too, as if they were new.
	cmd := exec.Command("git", "check-ignore", "--no-index", "--verbose", "--stdin")
	cmd.Dir = root
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return // 1: nothing is ignored
	}
	if err != nil {
		t.Fatalf("git check-ignore: %v\n%s", err, stderr.String())
	}
	t.Errorf(".gitignore ignores source (pattern, then path):\n%s", stdout.String())
}
