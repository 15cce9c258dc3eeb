//go:build !unix

package foreground

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// Run runs the program at path with args, in dir ("": the current one),
// with this process's standard input, output and error, and waits for it.
// It returns nil when the program exits with status 0, and an *ExitError
// with its status otherwise.
//
// Outside Unix (Windows), the console sends Ctrl-C to every process
// attached to it, the program included, so Run does not stop the program:
// it waits for it to finish shutting down. The caller must catch Ctrl-C
// (signal.NotifyContext) so as not to die first.
func Run(path string, args []string, dir string) error {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &ExitError{Path: path, Code: exit.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", path, err)
	}
	return nil
}
