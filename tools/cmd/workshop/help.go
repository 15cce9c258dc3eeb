package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

// goRun is how to run this command without make, from the repository's root.
const goRun = "go run ./tools/cmd/workshop"

func helpCommand() command {
	return command{
		name:    "help",
		summary: "this list",
		run: func(_ context.Context, w *workshop, _ []string) error {
			printHelp(w.stdout, commands())
			return nil
		},
	}
}

// printHelp prints the usage and one line per command.
func printHelp(out io.Writer, cmds []command) {
	fmt.Fprintf(out, "usage: %s COMMAND [ARGUMENTS]\n", goRun)
	fmt.Fprintf(out, "   or: make COMMAND [ARGUMENTS]   (make step 1, make diff 1 2, make test)\n\n")
	fmt.Fprintln(out, "commands:")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nA step is named by its number: 1, 01 or step01. Run it from anywhere in the repository.")
}

// findRoot returns the repository's root directory, from dir or one of its
// parents.
func findRoot(dir string) (string, error) {
	return repo.Root(dir)
}

// viaMake reports whether make runs this command (make puts MAKELEVEL in
// the environment of its recipes), so that advice shows the form that the
// person typed.
func viaMake() bool {
	return os.Getenv("MAKELEVEL") != ""
}

// suggest returns makeForm ("make diff 1 2") when make runs this command,
// and goForm ("diff 1 2", shown after go run ./tools/cmd/workshop) when
// not.
func suggest(makeForm, goForm string) string {
	if viaMake() {
		return makeForm
	}
	return goRun + " " + goForm
}
