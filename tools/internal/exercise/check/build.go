package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Build is a step's commands, built from the step's directory.
type Build struct {
	Dir string // the step's directory
	bin string // the directory that holds the binaries
}

// BuildError is a build that failed. Its message is the go command's output
// as it is: the compiler's errors, with their files and lines.
type BuildError struct {
	Dir    string // the step's directory
	Output string // what go build printed
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("%s does not compile:\n%s", e.Dir, e.Output)
}

// NewBuild builds the commands of the step in dir (cmds, such as "addsvc":
// go build ./cmd/addsvc; every command, ./cmd/..., if none) into binDir,
// which must exist. Keep binDir from one check to the next: go build links
// a binary again only when its code changed, so that checking a copy that
// did not change costs no link. env is added to the go command's
// environment (GOWORK=…, for example). A compile error is a *BuildError.
func NewBuild(ctx context.Context, dir, binDir string, env []string, cmds ...string) (*Build, error) {
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	if len(cmds) == 0 {
		args = append(args, "./cmd/...")
	}
	for _, c := range cmds {
		args = append(args, "./cmd/"+c)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, &BuildError{Dir: dir, Output: strings.TrimRight(out.String(), "\n")}
		}
		return nil, fmt.Errorf("run go build (is Go installed and on your PATH?): %w", err)
	}
	return &Build{Dir: dir, bin: binDir}, nil
}

// Binary returns the path of the command name of the build ("addsvc").
func (b *Build) Binary(name string) string {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(b.bin, name)
}
