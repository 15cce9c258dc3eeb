package main

import (
	"context"
	"io"
)

// workshop is what every command gets: where the repository is, and where to
// write.
type workshop struct {
	root   string // the repository's root directory
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand of the workshop command.
type command struct {
	name    string // e.g. "step"
	args    string // e.g. "N [FLAGS...]"
	summary string // one line for help
	run     func(ctx context.Context, w *workshop, args []string) error
}

// usageError is a command line that the command refuses; main exits 2 for it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
