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

// Timeouts of the harness. A check waits on events, not for the longest
// time something may take: the line that it waits for is logged, the
// service listens or exits, the collector gets a batch. When what it waits
// for has not come within a short grace, it stops the service gracefully
// (Drain) and waits for it to exit, which writes every line and sends every
// span still on its way: then what is there is all there is.
const (
	startTimeout = 60 * time.Second       // for a service to listen, on a busy machine too
	stopTimeout  = 10 * time.Second       // for a stopped service to be gone
	logGrace     = 250 * time.Millisecond // for an awaited log line, before the service is drained
	pollEvery    = 20 * time.Millisecond  // how often waits look again, where no event tells
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
	s := &Service{name: name, log: newLogLines(), done: make(chan struct{})}
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
	e.services = append(e.services, s)

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
			changed := s.log.changed()
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
			case <-changed:
			case <-time.After(pollEvery): // the line is there; the port may not accept yet
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
	s.closeConn()
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

func (s *Service) closeConn() {
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	s.mu.Unlock()
}

// Drain stops the service gracefully, as Ctrl-C does, and waits until it
// has exited: by then it has logged every request it answered and sent its
// last spans, so that Log and the collector hold all there will ever be.
// The service answers no more requests. A service that does not exit within
// stopTimeout is killed.
func (s *Service) Drain() {
	s.closeConn()
	select {
	case <-s.done:
		return
	default:
	}
	_ = interrupt(s.cmd.Process)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		s.Stop()
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

// WaitLog waits until the service logs a line for which match is true (a
// service may log a request just after answering it), and returns that
// line. If none has come within a short grace, it drains the service (see
// Drain: it answers no more requests) and looks at its whole log once more.
// Its error, when none comes, says "the service logged no line " + what, and
// shows the end of the log.
func (s *Service) WaitLog(ctx context.Context, what string, match func(line string) bool) (string, error) {
	grace := time.NewTimer(logGrace)
	defer grace.Stop()
	for {
		changed := s.log.changed()
		for _, l := range s.Log() {
			if match(l) {
				return l, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-changed:
		case <-s.done:
			return s.lastLook(what, match)
		case <-grace.C:
			s.Drain()
			return s.lastLook(what, match)
		}
	}
}

// lastLook looks for the line once the service has exited.
func (s *Service) lastLook(what string, match func(line string) bool) (string, error) {
	for _, l := range s.Log() {
		if match(l) {
			return l, nil
		}
	}
	return "", fmt.Errorf("the service logged no line %s; %s", what, s.LogExcerpt())
}

// Settle drains the service (see Drain) before a check counts its lines:
// every line of every request answered is then in its log. The service
// answers no more requests.
func (s *Service) Settle(ctx context.Context) {
	s.Drain()
}

// maxExcerpt is how many of its last log lines an error shows.
const maxExcerpt = 8

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
	clipped := make([]string, len(lines))
	for i, l := range lines {
		clipped[i] = clipN(l, maxLogLine)
	}
	return head + "\n    " + strings.Join(clipped, "\n    ")
}

// maxLogLine is how much of one log line a message shows.
const maxLogLine = 160

// maxLines bounds the lines kept of a service's log.
const maxLines = 10000

// logLines collects what a process writes, line by line, and tells those
// who wait that a line came.
type logLines struct {
	mu      sync.Mutex
	done    []string
	partial []byte
	notify  chan struct{} // closed, and replaced, when a line comes
}

func newLogLines() *logLines {
	return &logLines{notify: make(chan struct{})}
}

// changed returns a channel that is closed when the next line comes.
func (l *logLines) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := len(l.done)
	defer func() {
		if len(l.done) != before {
			close(l.notify)
			l.notify = make(chan struct{})
		}
	}()
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
