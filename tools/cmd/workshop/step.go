package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gokit-workshop/workshop/tools/internal/foreground"
	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func stepCommand() command {
	return command{
		name:    "step",
		args:    "N [FLAGS...]",
		summary: "build step N's service and run it in the foreground (Ctrl-C stops it)",
		run:     runStep,
	}
}

// runStep builds the service of the step that args[0] names and runs it
// with the flags that follow.
func runStep(ctx context.Context, w *workshop, args []string) error {
	if len(args) == 0 {
		steps, err := w.steps()
		if err != nil {
			return err
		}
		return usageError{fmt.Sprintf("which step? give its number: %s (steps: %s)",
			suggest("make step 1", "step 1"), repo.List(steps))}
	}
	s, err := w.findStep(args[0])
	if err != nil {
		return err
	}
	flags := args[1:]
	if err := checkServiceFlags(s, flags); err != nil {
		return err
	}
	fmt.Fprintf(w.stderr, "building %s ...\n", s.Dir)
	bin, err := w.buildService(ctx, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(w.stderr, "running %s (Ctrl-C stops it)\n", s.Dir)
	err = foreground.Run(bin, flags, "")
	var exit *foreground.ExitError
	if errors.As(err, &exit) {
		return exitStatus{exit.Code}
	}
	return err
}

// checkServiceFlags explains a common slip: words before the first flag.
// make splits an unquoted FLAGS=-http-addr 127.0.0.1:9000 at its space and
// passes the address on as a word of its own, before FLAGS.
func checkServiceFlags(s repo.Step, flags []string) error {
	if len(flags) == 0 || strings.HasPrefix(flags[0], "-") {
		return nil
	}
	i := 0
	for i < len(flags) && !strings.HasPrefix(flags[i], "-") {
		i++
	}
	stray, rest := flags[:i], flags[i:]
	if !viaMake() {
		return usageError{fmt.Sprintf("step: %q is not a flag of the service: give one step, then its flags, as in\n    %s step %d -http-addr 127.0.0.1:9000",
			stray[0], goRun, s.Number)}
	}
	if len(rest) == 0 {
		return usageError{fmt.Sprintf("make step: %q is not a flag of the service: make step runs one step, and its flags go in FLAGS, as in\n    make step %d FLAGS=\"-http-addr 127.0.0.1:9000\"",
			stray[0], s.Number)}
	}
	quoted := strings.Join(append(append([]string{}, rest...), stray...), " ")
	return usageError{fmt.Sprintf("make step: %q is not a flag of the service. make splits an unquoted FLAGS= at its first space and takes the rest for more targets; quote the flags:\n    make step %d FLAGS=\"%s\"",
		stray[0], s.Number, quoted)}
}
