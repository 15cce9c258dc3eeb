// Package foreground runs a program in the foreground of the terminal, as a
// shell would: it reads the terminal, writes to it, gets its Ctrl-C, and
// its exit status is the caller's.
package foreground

import "fmt"

// ExitError is the exit status of a program that Run ran and that failed.
type ExitError struct {
	Path string // the program
	Code int    // its exit status, never 0
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s: exit status %d", e.Path, e.Code)
}
