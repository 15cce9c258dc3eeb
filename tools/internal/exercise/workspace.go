package exercise

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// WorkDir is the attendee's directory in the repository, which git ignores:
// their copies of the steps, their progress and their backups.
const WorkDir = "work"

// backupDir is the directory, in the attendee's, that keeps the copies that
// start -force and catchup replace.
const backupDir = "backup"

// copyDir returns the directory of the attendee's copy of st.
func (w *Workshop) copyDir(st *Step) string {
	return filepath.Join(w.Dir, st.Name)
}

// goWork returns the path of the go.work of the attendee's directory.
func (w *Workshop) goWork() string {
	return filepath.Join(w.Dir, "go.work")
}

// goEnv is the environment that go commands run on a copy need: its own
// workspace, whatever GOWORK the attendee has set.
func (w *Workshop) goEnv() []string {
	return []string{"GOWORK=" + w.goWork()}
}

// install replaces the attendee's copy of st with the directory fresh (made
// in the attendee's directory), first moving the old copy, if any, into a
// backup when keep is true. It returns the backup's directory, or "". Then
// it rewrites the go.work that makes the copies a workspace of their own.
func (w *Workshop) install(st *Step, fresh string, keep bool) (backup string, err error) {
	dst := w.copyDir(st)
	there, err := exists(dst)
	if err != nil {
		return "", err
	}
	if there && keep {
		stamp := w.now().Format("20060102-150405")
		for i := 2; ; i++ {
			backup = filepath.Join(w.Dir, backupDir, stamp, st.Name)
			if ok, err := exists(backup); err != nil || !ok {
				break
			}
			stamp = fmt.Sprintf("%s-%d", w.now().Format("20060102-150405"), i)
		}
		if err := os.MkdirAll(filepath.Dir(backup), 0o755); err != nil {
			return "", fmt.Errorf("back up your copy: %w", err)
		}
		if err := os.Rename(dst, backup); err != nil {
			return "", fmt.Errorf("back up your copy (is a file of it open in another program?): %w", err)
		}
	} else if there {
		if err := os.RemoveAll(dst); err != nil {
			return "", fmt.Errorf("replace your copy (is a file of it open in another program?): %w", err)
		}
	}
	if err := os.Rename(fresh, dst); err != nil {
		return backup, fmt.Errorf("write your copy: %w", err)
	}
	return backup, w.writeGoWork()
}

// newCopy writes a copy of st into a new temporary directory of the
// attendee's directory, with the exercises for which cut is true cut out, and
// returns it. The caller removes it, or installs it.
func (w *Workshop) newCopy(st *Step, cut func(id string) bool) (string, error) {
	if err := os.MkdirAll(w.Dir, 0o755); err != nil {
		return "", fmt.Errorf("make %s: %w", w.Dir, err)
	}
	tmp, err := os.MkdirTemp(w.Dir, ".new-")
	if err != nil {
		return "", fmt.Errorf("write your copy: %w", err)
	}
	dir := filepath.Join(tmp, st.Name)
	if err := st.writeCopy(dir, cut); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return dir, nil
}

// writeGoWork writes the go.work of the attendee's directory: it uses every
// copy of a step there, with the go version and the replace directives of
// the repository's go.work, and the repository's go.work.sum beside it. So
// the go command and gopls build a copy on its own, inside the repository
// whose go.work does not list it.
func (w *Workshop) writeGoWork() error {
	root, err := os.ReadFile(filepath.Join(w.Root, "go.work"))
	if err != nil {
		return fmt.Errorf("read the repository's go.work: %w", err)
	}
	var head, replaces []string
	inReplace := false
	for _, l := range strings.Split(strings.ReplaceAll(string(root), "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case inReplace:
			replaces = append(replaces, l)
			inReplace = t != ")"
		case strings.HasPrefix(t, "go ") || strings.HasPrefix(t, "toolchain "):
			head = append(head, t)
		case strings.HasPrefix(t, "replace "):
			replaces = append(replaces, t)
			inReplace = strings.HasSuffix(t, "(")
		}
	}

	entries, err := os.ReadDir(w.Dir)
	if err != nil {
		return fmt.Errorf("list your copies: %w", err)
	}
	var uses []string
	for _, e := range entries {
		if e.IsDir() && stepDirRE.MatchString(e.Name()) {
			uses = append(uses, "\t./"+e.Name())
		}
	}
	slices.Sort(uses)
	// The workshop's own command, so that go run ../../tools/cmd/workshop
	// works from inside a copy, where this go.work is the workspace.
	tools := filepath.Join(w.Root, "tools")
	if ok, err := exists(filepath.Join(tools, "go.mod")); err == nil && ok {
		if rel, err := filepath.Rel(w.Dir, tools); err == nil {
			uses = append(uses, "\t"+filepath.ToSlash(rel))
		}
	}

	var b strings.Builder
	b.WriteString("// The workspace of your copies of the steps, written by the workshop's\n")
	b.WriteString("// start and catchup commands, so that Go and your editor build each copy on its own,\n")
	b.WriteString("// and go run ../../tools/cmd/workshop works from inside a copy.\n")
	b.WriteString(strings.Join(head, "\n") + "\n\nuse (\n" + strings.Join(uses, "\n") + "\n)\n")
	if len(replaces) > 0 {
		b.WriteString("\n// As in the repository's go.work.\n" + strings.Join(replaces, "\n") + "\n")
	}
	if err := os.WriteFile(w.goWork(), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", w.goWork(), err)
	}
	sum, err := os.ReadFile(filepath.Join(w.Root, "go.work.sum"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(w.Dir, "go.work.sum"), sum, 0o644)
	}
	if err != nil {
		return fmt.Errorf("copy go.work.sum: %w", err)
	}
	return nil
}

// now returns the time, through Workshop.Now if set.
func (w *Workshop) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}
