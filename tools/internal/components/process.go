// Package components installs, builds and runs the workshop's two real
// components, Prometheus and Jaeger, on loopback, and the programs that run
// beside them (step 7's service in the demo).
//
// For the workshop command's subcommands:
//
//	InstallPrometheus(ctx, stderr)       make prep: Debian's package where it can, else how to get it
//	BuildJaeger(ctx, root, stderr)       make prep: Jaeger v2 from the module proxy into .tools/, once
//	RunPrometheus(ctx, root, addr, w)    make prometheus: in the foreground until ctx is done
//	RunJaeger(ctx, root, w)              make jaeger: in the foreground until ctx is done
//
// The context is what stops a foreground run: give them the workshop
// command's signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM), and
// Ctrl-C ends Prometheus or Jaeger and then the run, with no error. The
// go command's, apt-get's and the components' output goes to the writer.
//
// For the demo: PrometheusArgs and JaegerArgs give their command lines,
// Command a command whose context's end stops it, and Start a program in
// the background with its output in a log file, which Process.Stop ends.
//
// Every program runs in a process group of its own, so that a Ctrl-C in the
// terminal reaches the workshop command alone, which then stops what it
// started: SIGTERM to the group, SIGKILL after StopGrace.
package components

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// StopGrace is how long a program has, after SIGTERM, before it is killed.
const StopGrace = 10 * time.Second

// Command returns the command argv run in dir, in a process group of its
// own: when ctx is done, the group gets SIGTERM, and the program SIGKILL
// StopGrace later if it is still there.
func Command(ctx context.Context, dir string, argv ...string) *exec.Cmd {
	return command(ctx, dir, StopGrace, argv)
}

// command is Command with the time from SIGTERM to SIGKILL as a parameter.
func command(ctx context.Context, dir string, grace time.Duration, argv []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = groupAttr()
	cmd.Cancel = func() error { return terminateGroup(cmd.Process) }
	cmd.WaitDelay = grace
	return cmd
}

// runForeground runs cmd with its output on w; ending ctx stops it and is
// no failure, as Ctrl-C is how a person ends a foreground component.
func runForeground(ctx context.Context, cmd *exec.Cmd, w io.Writer) error {
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	if cmd.Process != nil {
		killGroup(cmd.Process)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("%s: %w", cmd.Path, err)
	}
	return nil
}

// Process is a program running in the background (see Start).
type Process struct {
	Name    string    // as people know it, e.g. "Prometheus"
	Log     string    // the file that holds its output
	Started time.Time // when it was started

	cmd   *exec.Cmd
	grace time.Duration
	stop  context.CancelFunc
	done  chan struct{}
	err   error // how it exited, once done is closed
}

// Start starts argv in dir as the program called name, with env added to
// the environment and its output in a new file at logPath.
func Start(name, logPath, dir string, env []string, argv ...string) (*Process, error) {
	return start(name, logPath, dir, env, StopGrace, argv)
}

// start is Start with the time from SIGTERM to SIGKILL as a parameter.
func start(name, logPath, dir string, env []string, grace time.Duration, argv []string) (*Process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s: create its log: %w", name, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Process{Name: name, Log: logPath, Started: time.Now(), grace: grace, stop: stop, done: make(chan struct{})}
	p.cmd = command(ctx, dir, grace, argv)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		stop()
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		// Whatever the program left behind in its group goes too.
		killGroup(p.cmd.Process)
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Done is closed once the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited says how the program exited; it waits until it has.
func (p *Process) Exited() error {
	<-p.done
	if p.err == nil {
		return fmt.Errorf("%s exited", p.Name)
	}
	return fmt.Errorf("%s exited: %w", p.Name, p.err)
}

// Stop ends the program (SIGTERM to its group, SIGKILL after StopGrace) and
// waits until it has exited. It reports whether it had to be killed.
func (p *Process) Stop() (killed bool) {
	begin := time.Now()
	p.stop()
	<-p.done
	return time.Since(begin) >= p.grace
}

// Tail returns the last n lines of the program's log, each after "    | ".
func (p *Process) Tail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return fmt.Sprintf("    (can't read its log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return "    | " + strings.Join(lines[max(len(lines)-n, 0):], "\n    | ")
}
