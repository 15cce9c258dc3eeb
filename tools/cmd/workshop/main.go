// Command workshop runs the workshop's exercises: start, check, hint,
// solution, catchup, status, watch and run.
//
// This main is a minimal stand-in, kept only to build and test the exercise
// commands on their own branch; the workshop command's real main replaces it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var usage usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintf(os.Stderr, "workshop: %v\n", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "workshop: %v\n", err)
		os.Exit(1)
	}
}

// run finds the command named by args[0] and runs it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := exerciseCommands()
	if len(args) == 0 {
		for _, c := range cmds {
			fmt.Fprintf(stdout, "  %-9s %-12s %s\n", c.name, c.args, c.summary)
		}
		return usageError{"which command?"}
	}
	root, err := findRoot()
	if err != nil {
		return err
	}
	w := &workshop{root: root, stdout: stdout, stderr: stderr}
	for _, c := range cmds {
		if c.name == args[0] {
			return c.run(ctx, w, args[1:])
		}
	}
	return usageError{fmt.Sprintf("no command %q", args[0])}
}

// findRoot returns the nearest directory, from the current one up, that holds
// go.work: the repository's root.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run this inside the workshop's repository (no go.work found)")
		}
		dir = parent
	}
}
