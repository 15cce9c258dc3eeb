package docscheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/diff"
)

// Timeouts of a check, where a Config leaves them zero.
const (
	DefaultStartTimeout   = 20 * time.Second  // for the service to accept connections
	DefaultStopTimeout    = 15 * time.Second  // for it to exit after SIGTERM
	DefaultCommandTimeout = 120 * time.Second // for one command (go run may compile first)
	commandStopGrace      = 5 * time.Second   // from a command's SIGTERM to its SIGKILL
	maxOutput             = 1 << 20           // bytes of a command's output kept
)

// Config is one README's check.
type Config struct {
	Name    string    // the README, as messages name it (e.g. step01-naive/README.md)
	Dir     string    // where the service and the commands run
	Service string    // the service's binary
	Log     io.Writer // progress, and what differs

	StartTimeout, StopTimeout, CommandTimeout time.Duration
}

// Supported returns nil where the check runs (Linux, macOS and other Unix
// systems), and why it doesn't elsewhere.
func Supported() error { return supported() }

// Result is the outcome of one README's check.
type Result struct {
	Commands int      // how many commands ran
	Failed   int      // how many of them printed something else
	Problems []string // what else went wrong, such as a service that did not stop cleanly
}

// OK reports whether every command printed what the README shows and the
// service started and stopped cleanly.
func (r Result) OK() bool { return r.Failed == 0 && len(r.Problems) == 0 }

// String returns the result as a summary line shows it.
func (r Result) String() string {
	var why []string
	if r.Failed > 0 {
		why = append(why, fmt.Sprintf("%d of %d commands differ", r.Failed, r.Commands))
	}
	why = append(why, r.Problems...)
	if len(why) > 0 {
		return "FAILED (" + strings.Join(why, "; ") + ")"
	}
	if r.Commands == 1 {
		return "passed (1 command)"
	}
	return fmt.Sprintf("passed (%d commands)", r.Commands)
}

// Run starts the service and runs the cases against it, in order, from
// c.Dir, and stops the service at the end. Commands run with sh -c; their
// exit status is not compared (a README shows it with '; echo "exit $?"'
// where it matters), and a missing newline at the very end of the output
// is no difference. When ctx is done, the command that runs and the
// service are stopped, and Run returns what it has.
func Run(ctx context.Context, c Config, cases []Case) (res Result) {
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if err := supported(); err != nil {
		res.Problems = append(res.Problems, err.Error())
		return res
	}
	grpc, err := servesGRPC(ctx, c.Service)
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
		return res
	}
	svc, err := startService(ctx, c.Service, c.Dir, grpc, nil, c.StartTimeout)
	if err != nil {
		fmt.Fprintf(c.Log, "docs-check: %v\n", err)
		res.Problems = append(res.Problems, firstLine(err))
		return res
	}
	defer func() {
		if svc == nil {
			return
		}
		if err := svc.stop(c.StopTimeout); err != nil {
			fmt.Fprintf(c.Log, "docs-check: %v\n", err)
			res.Problems = append(res.Problems, firstLine(err))
		}
	}()

	for _, cs := range cases {
		if ctx.Err() != nil {
			res.Problems = append(res.Problems, "interrupted")
			return res
		}
		if cs.Restart {
			with := ""
			if len(cs.Flags) > 0 {
				with = " with " + strings.Join(cs.Flags, " ")
			}
			fmt.Fprintf(c.Log, "%s:%d: restarting the service%s\n", c.Name, cs.Line, with)
			if err := svc.stop(c.StopTimeout); err != nil {
				fmt.Fprintf(c.Log, "docs-check: %v\n", err)
				res.Problems = append(res.Problems, firstLine(err))
			}
			if svc, err = startService(ctx, c.Service, c.Dir, grpc, cs.Flags, c.StartTimeout); err != nil {
				fmt.Fprintf(c.Log, "docs-check: %v\n", err)
				res.Problems = append(res.Problems, "restart: "+firstLine(err))
				return res
			}
			continue
		}
		res.Commands++
		got, status, stopped := runCommand(ctx, c.Dir, svc.addrs.Command(cs.Command), c.CommandTimeout)
		if ctx.Err() != nil {
			res.Problems = append(res.Problems, "interrupted")
			return res
		}
		got = svc.addrs.Output(got)
		if got != "" && !strings.HasSuffix(got, "\n") {
			got += "\n" // a missing newline at the very end can't be shown in a README
		}
		if got == cs.Want && !stopped {
			continue
		}
		res.Failed++
		fmt.Fprintf(c.Log, "%s:%d: the output differs (- README, + actual):\n", c.Name, cs.Line)
		fmt.Fprintf(c.Log, "    $ %s\n", cs.Command)
		if status != "" {
			fmt.Fprintf(c.Log, "    (%s)\n", status)
		}
		fmt.Fprint(c.Log, unifiedDiff(cs.Want, got))
	}
	return res
}

// runCommand runs command with sh -c in dir, at most timeout, and returns
// its stdout and stderr together, how it ended if not with status 0, and
// whether it was stopped (timed out or interrupted).
func runCommand(ctx context.Context, dir, command string, timeout time.Duration) (output, status string, stopped bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = dir
	out := &cappedBuffer{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out // one pipe: the order of a terminal
	ownGroup(cmd)
	cmd.Cancel = func() error { return terminateGroup(cmd) }
	cmd.WaitDelay = commandStopGrace
	err := cmd.Run()
	if ctx.Err() != nil && cmd.Process != nil {
		killGroup(cmd) // what did not stop on SIGTERM
	}
	var exit *exec.ExitError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		status, stopped = fmt.Sprintf("stopped after %s", timeout), true
	case ctx.Err() != nil:
		status, stopped = "interrupted", true
	case errors.As(err, &exit):
		status = exit.String()
	case err != nil:
		status = err.Error()
	}
	return out.String(), status, stopped
}

// servesGRPC reports whether the service has a -grpc-addr flag, from its
// usage (-h).
func servesGRPC(ctx context.Context, bin string) (bool, error) {
	out, err := exec.CommandContext(ctx, bin, "-h").CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return false, fmt.Errorf("ask the service for its flags: %w", err)
	}
	if !strings.Contains(string(out), "-http-addr") {
		return false, fmt.Errorf("the service has no -http-addr flag, so the check can't choose its port; its usage:\n%s", indent(string(out)))
	}
	return strings.Contains(string(out), "-grpc-addr"), nil
}

// unifiedDiff returns the lines that differ between want and got, indented.
func unifiedDiff(want, got string) string {
	d := string(diff.Diff("README", []byte(want), "actual", []byte(got)))
	// Leave out the header: "diff README actual", "--- README", "+++ actual".
	lines := strings.SplitAfterN(d, "\n", 4)
	if len(lines) == 4 {
		d = lines[3]
	}
	return indent(d) + "\n"
}

// firstLine returns the first line of err's text.
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return strings.TrimSuffix(line, "; its output:")
}

// cappedBuffer keeps the first max bytes written to it, and says when it
// dropped some.
type cappedBuffer struct {
	max     int
	buf     strings.Builder
	dropped int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.buf.Len()
	if room >= len(p) {
		b.buf.Write(p)
		return len(p), nil
	}
	if room > 0 {
		b.buf.Write(p[:room])
	}
	b.dropped += len(p) - max(room, 0)
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	if b.dropped > 0 {
		return b.buf.String() + fmt.Sprintf("\n[docs-check: %d more bytes of output left out]\n", b.dropped)
	}
	return b.buf.String()
}
