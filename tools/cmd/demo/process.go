package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// process is a program that the demo started in a process group of its
// own, so that a Ctrl-C in the terminal reaches the demo alone, and the
// demo ends every program in the group, also those that a script started
// or became with exec.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the program has exited
	err  error         // how it exited; read it only after done is closed
}

// startProcess starts argv in dir with env added to the demo's own
// environment, and its standard output and error going to out.
func startProcess(dir string, out io.Writer, env []string, argv ...string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = newProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the program has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the program's process group: SIGTERM first, then SIGKILL if
// the program is still there after grace. It returns once the program has
// exited, and reports whether it had to be killed.
func (p *process) stop(grace time.Duration) (killed bool) {
	if p.exited() {
		return false
	}
	_ = terminateGroup(p.cmd.Process)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = killGroup(p.cmd.Process)
		<-p.done
		killed = true
	}
	// Whatever the program left behind in its group (a compiler that a
	// build started, say) goes too. The group is gone already in the usual
	// case, and the error that says so means nothing.
	_ = killGroup(p.cmd.Process)
	return killed
}

// runForeground runs argv in dir with its output on out and waits for it;
// if ctx is done first, it stops the program's whole process group.
func runForeground(ctx context.Context, dir string, out io.Writer, env []string, argv ...string) error {
	p, err := startProcess(dir, out, env, argv...)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w", strings.Join(argv, " "), p.err)
		}
		return nil
	case <-ctx.Done():
		p.stop(stopGrace)
		return fmt.Errorf("%s: %w", strings.Join(argv, " "), ctx.Err())
	}
}

// component is one of the long-running programs of the demo (Prometheus,
// Jaeger and the add service), with its output in a log file.
type component struct {
	name    string // as people know it, e.g. "Prometheus"
	logPath string
	started time.Time
	proc    *process
	logFile *os.File
}

// startComponent starts argv in dir as the component called name, with
// its output in a new log file at logPath.
func startComponent(name, logPath, dir string, env []string, argv ...string) (*component, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s: create its log file: %w", name, err)
	}
	started := time.Now()
	p, err := startProcess(dir, f, env, argv...)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &component{name: name, logPath: logPath, started: started, proc: p, logFile: f}, nil
}

// exitError describes how the component exited, once it has.
func (c *component) exitError() error {
	<-c.proc.done
	if c.proc.err == nil {
		return fmt.Errorf("%s exited", c.name)
	}
	return fmt.Errorf("%s exited: %w", c.name, c.proc.err)
}

// stop ends the component (see process.stop) and closes its log file.
func (c *component) stop(grace time.Duration) (killed bool) {
	killed = c.proc.stop(grace)
	c.logFile.Close()
	return killed
}

// logTail returns the last n lines of the component's log, indented for
// an error message, or a note that the log can't be read.
func (c *component) logTail(n int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("    (can't read %s: %v)", c.logPath, err)
	}
	return indent(lastLines(string(b), n), "    | ")
}

// lastLines returns the last n lines of s, without the final newline.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" || n <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	if s == "" {
		return prefix + "(empty)"
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
