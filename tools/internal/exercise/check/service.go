package check

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Timeouts of the harness.
const (
	startTimeout = 60 * time.Second       // for a service to listen, on a busy machine too
	stopTimeout  = 10 * time.Second       // for a killed service to be gone
	logWait      = 4 * time.Second        // for an awaited log line, on a busy machine too
	pollEvery    = 20 * time.Millisecond  // how often waits look again
	dialTimeout  = 200 * time.Millisecond // for one try to connect
)

// Options say how to start a command of the step.
type Options struct {
	Command string   // the command to run: "addsvc" if empty
	Flags   []string // more flags, given after -http-addr and -grpc-addr
	GRPC    bool     // also give it -grpc-addr, and wait for that port
}

// Service is a command of the attendee's step, running in a process of its
// own and listening on free loopback ports.
type Service struct {
	HTTPAddr string // where it serves HTTP: 127.0.0.1:port
	GRPCAddr string // where it serves gRPC, if Options.GRPC

	name    string
	cmd     *exec.Cmd
	log     *logLines
	done    chan struct{} // closed once the process has exited
	waitErr error         // what Wait returned, once done is closed

	mu   sync.Mutex
	conn *grpc.ClientConn // the gRPC connection, made on first use
}

// The lines by which a step's addsvc says where it listens, as every step
// logs them: "listening on http://127.0.0.1:8080" and "listening for gRPC on
// 127.0.0.1:8081".
var (
	httpListenRE = regexp.MustCompile(`listening.*http://(127\.0\.0\.1:[0-9]+)`)
	grpcListenRE = regexp.MustCompile(`(?i)listening.*grpc.*?(127\.0\.0\.1:[0-9]+)`)
)

// Start starts the command opts.Command of the build (addsvc by default) with
// -http-addr 127.0.0.1:0 (and -grpc-addr 127.0.0.1:0, if opts.GRPC) followed
// by opts.Flags, and returns once it accepts connections on each. The port 0
// lets the system choose free ports, which cases running side by side can't
// share; the service's log says which it chose ("listening on http://…",
// "listening for gRPC on …", as every step logs them). It is stopped when the
// case ends. If it exits first, the error says how and shows its log.
func (e *Env) Start(ctx context.Context, opts Options) (*Service, error) {
	name := opts.Command
	if name == "" {
		name = "addsvc"
	}
	s := &Service{name: name, log: &logLines{}, done: make(chan struct{})}
	args := []string{"-http-addr", "127.0.0.1:0"}
	if opts.GRPC {
		args = append(args, "-grpc-addr", "127.0.0.1:0")
	}
	args = append(args, opts.Flags...)

	s.cmd = exec.Command(e.build.Binary(name), args...)
	s.cmd.Dir = e.build.Dir
	s.cmd.Env = os.Environ()
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	e.cleanup = append(e.cleanup, s.Stop)

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	type listen struct {
		addr *string        // where to keep the address
		re   *regexp.Regexp // the log line that gives it
		what string         // that line, for messages
	}
	listens := []listen{{&s.HTTPAddr, httpListenRE, "listening on http://…"}}
	if opts.GRPC {
		listens = append(listens, listen{&s.GRPCAddr, grpcListenRE, "listening for gRPC on …"})
	}
	for _, l := range listens {
		for {
			if *l.addr == "" {
				for _, line := range s.Log() {
					if m := l.re.FindStringSubmatch(line); m != nil {
						*l.addr = m[1]
						break
					}
				}
			}
			if *l.addr != "" && canDial(ctx, *l.addr) {
				break
			}
			select {
			case <-s.done:
				return nil, fmt.Errorf("%s %s stopped before it listened (%v); %s", name, strings.Join(args, " "), s.waitErr, s.LogExcerpt())
			case <-ctx.Done():
				if *l.addr == "" {
					return nil, fmt.Errorf("%s did not log where it listens (%q) within %s; %s", name, l.what, startTimeout, s.LogExcerpt())
				}
				return nil, fmt.Errorf("%s does not accept connections on %s after %s; %s", name, *l.addr, startTimeout, s.LogExcerpt())
			case <-time.After(pollEvery):
			}
		}
	}
	return s, nil
}

// canDial reports whether addr accepts a TCP connection.
func canDial(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop kills the service, if it is still running, and waits until it is
// gone. The harness stops every service when its case ends.
func (s *Service) Stop() {
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
	}
}

// Exited reports whether the service has exited, and if so, how (nil for a
// zero exit status).
func (s *Service) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.waitErr
	default:
		return false, nil
	}
}

// Log returns the lines that the service has written so far, to its stderr
// and stdout, without their line endings.
func (s *Service) Log() []string {
	return s.log.lines()
}

// WaitLog waits until the service logs a line for which match is true, for
// a few seconds at most (a service may log a request after answering it),
// and returns that line. Its error, when none comes, says "the service
// logged no line " + what, and shows the log.
func (s *Service) WaitLog(ctx context.Context, what string, match func(line string) bool) (string, error) {
	deadline := time.Now().Add(logWait)
	for {
		for _, l := range s.Log() {
			if match(l) {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the service logged no line %s; %s", what, s.LogExcerpt())
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// Settle waits a moment for log lines still on their way, before a check
// counts lines.
func (s *Service) Settle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
}

// maxExcerpt is how many of its last log lines an error shows.
const maxExcerpt = 15

// LogExcerpt returns "its log:" and the service's last lines, indented, for
// an error message.
func (s *Service) LogExcerpt() string {
	lines := s.Log()
	if len(lines) == 0 {
		return "it logged nothing"
	}
	head := "its log:"
	if len(lines) > maxExcerpt {
		lines = lines[len(lines)-maxExcerpt:]
		head = fmt.Sprintf("the last %d lines of its log:", maxExcerpt)
	}
	return head + "\n    " + strings.Join(lines, "\n    ")
}

// maxLines bounds the lines kept of a service's log.
const maxLines = 10000

// logLines collects what a process writes, line by line.
type logLines struct {
	mu      sync.Mutex
	done    []string
	partial []byte
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := strings.IndexByte(string(l.partial), '\n')
		if i < 0 {
			break
		}
		if len(l.done) < maxLines {
			l.done = append(l.done, strings.TrimSuffix(string(l.partial[:i]), "\r"))
		}
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

func (l *logLines) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.done...)
}
