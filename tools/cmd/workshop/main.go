// Command workshop runs the Go kit workshop: a step's service, the tests,
// the differences between steps, the preparation of a machine, the check of
// the READMEs' commands, the generated gRPC code, and the exercises.
//
// Run it from anywhere in the repository:
//
//	go run ./tools/cmd/workshop help
//
// The Makefile's targets are aliases of its commands (make step 1 is
// go run ./tools/cmd/workshop step 1).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1   // a command failed
	exitUsage       = 2   // the command line is wrong
	exitInterrupted = 130 // Ctrl-C, as shells report it
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command that args name and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		printHelp(stdout, cmds)
		return exitOK
	}
	cmd, ok := find(cmds, args[0])
	if !ok {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.name
		}
		fmt.Fprintf(stderr, "workshop: unknown command %q; the commands are %s (help says what each does)\n", args[0], strings.Join(names, ", "))
		return exitUsage
	}

	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "workshop: %v\n", err)
		return exitFailed
	}
	root, err := findRoot(wd)
	if err != nil {
		fmt.Fprintf(stderr, "workshop: %v\n", err)
		return exitFailed
	}
	w := &workshop{root: root, stdout: stdout, stderr: stderr}
	err = cmd.run(ctx, w, args[1:])
	return exitCode(ctx, err, stderr, cmd)
}

// exitCode reports err, if any, and returns the exit code for it.
func exitCode(ctx context.Context, err error, stderr io.Writer, cmd command) int {
	var usage usageError
	var status exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "%s\n", usage.msg)
		return exitUsage
	case errors.As(err, &status):
		return status.code
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "workshop %s: interrupted\n", cmd.name)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "workshop %s: %v\n", cmd.name, err)
		return exitFailed
	}
}

// exitStatus is an error that has been reported already: main exits with
// its code and prints nothing more.
type exitStatus struct{ code int }

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// commands returns every command, in the order that help lists them.
func commands() []command {
	cmds := []command{
		stepCommand(),
		testCommand(),
		diffCommand(),
	}
	cmds = append(cmds, exerciseCommands()...)
	return append(cmds,
		prepCommand(),
		benchCommand(),
		loadCommand(),
		prometheusCommand(),
		jaegerCommand(),
		imagesCommand(),
		docsCheckCommand(),
		generateCommand(),
		helpCommand(),
	)
}

// find returns the command called name.
func find(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}
