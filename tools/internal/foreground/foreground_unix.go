//go:build unix

package foreground

import (
	"fmt"
	"os"
	"syscall"
)

// Run runs the program at path with args, in dir ("": the current one),
// with this process's standard input, output and error.
//
// On Unix it replaces this process (execve), as a shell script's exec does:
// the program gets this process's ID, so Ctrl-C at the terminal and a
// SIGTERM sent to the ID reach the program itself, once, and its exit
// status is what this process's parent sees. Run returns only when the
// program cannot be started.
func Run(path string, args []string, dir string) error {
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return fmt.Errorf("run %s: %w", path, err)
		}
	}
	argv := append([]string{path}, args...)
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		return fmt.Errorf("run %s: %w", path, err)
	}
	return nil // not reached
}
