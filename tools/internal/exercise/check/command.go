package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// commandTimeout bounds a command run to its end, such as a CLI client.
const commandTimeout = 30 * time.Second

// Output is what a command run to its end printed, and how it ended.
type Output struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// RunCommand runs the command name of the build (addcli, say) with args to
// its end, in the step's directory, and returns what it printed and its exit
// code. A command that exits with a non-zero status is no error: checks of
// a CLI look at its exit codes. The error is for a command that can't start
// or that runs for too long.
func (e *Env) RunCommand(ctx context.Context, name string, args ...string) (*Output, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.build.Binary(name), args...)
	cmd.Dir = e.build.Dir
	cmd.Env = os.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := &Output{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return out, fmt.Errorf("%s did not end within %s; it printed:\n%s%s", name, commandTimeout, out.Stdout, out.Stderr)
	case errors.As(err, &exit):
		out.ExitCode = exit.ExitCode()
	case err != nil:
		return out, fmt.Errorf("run %s: %w", name, err)
	}
	return out, nil
}
