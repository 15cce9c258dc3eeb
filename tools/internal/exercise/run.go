package exercise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/exercise/check"
)

// runWaitDelay is how long run waits for the service to stop gracefully
// once interrupted, before it kills it.
const runWaitDelay = 15 * time.Second

// Run builds the attendee's copy of the current step and runs its service
// in the foreground with flags, as make step N runs a reference step, until
// it exits or ctx is done (Ctrl-C); then the service is interrupted and
// shuts down gracefully.
func (w *Workshop) Run(ctx context.Context, flags []string, stdout, stderr io.Writer) error {
	_, st, _, err := w.current()
	if err != nil {
		return err
	}
	b, err := w.build(ctx, st, []string{check.DefaultCommand})
	if ctx.Err() != nil {
		return nil // interrupted while building
	}
	if err != nil {
		return err
	}
	w.printf("Running your copy of step %d (Ctrl-C stops it).\n", st.Num)
	cmd := exec.CommandContext(ctx, b.Binary("addsvc"), flags...)
	cmd.Dir = w.copyDir(st)
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return interrupt(cmd.Process) }
	cmd.WaitDelay = runWaitDelay
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		// Interrupted, as asked; the service has said how it stopped.
		w.printf("Next: %s checks the current exercise.\n", w.cmd("check"))
		return nil
	case errors.As(err, &exit):
		return fmt.Errorf("your service exited with status %d", exit.ExitCode())
	case err != nil:
		return fmt.Errorf("run your service: %w", err)
	}
	return nil
}
