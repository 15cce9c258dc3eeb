package docscheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// service is the step's service, run by the check.
type service struct {
	cmd   *exec.Cmd
	addrs Addrs
	log   *syncBuffer   // its stdout and stderr
	done  chan struct{} // closed when it has exited
	err   error         // what Wait returned, once done is closed
}

// startService starts bin in dir with flags (after the addresses, which it
// chooses) and waits until it accepts connections on every address, at
// most timeout. grpc says whether the service serves gRPC too. A port that
// another program takes between the choice and the start is chosen again.
func startService(ctx context.Context, bin, dir string, grpc bool, flags []string, timeout time.Duration) (*service, error) {
	const attempts = 3
	var err error
	for range attempts {
		var addrs Addrs
		if addrs, err = freeAddrs(grpc); err != nil {
			return nil, err
		}
		var s *service
		s, err = tryStart(ctx, bin, dir, addrs, flags, timeout)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, err
}

// errPortTaken marks a service that exited at start because its port was
// in use.
var errPortTaken = errors.New("port taken")

func tryStart(ctx context.Context, bin, dir string, addrs Addrs, flags []string, timeout time.Duration) (*service, error) {
	args := []string{"-http-addr", addrs.HTTP}
	if addrs.GRPC != "" {
		args = append(args, "-grpc-addr", addrs.GRPC)
	}
	args = append(args, addrs.Flags(flags)...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	s := &service{cmd: cmd, addrs: addrs, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the service: %w", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()

	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.done:
			if strings.Contains(s.log.String(), "address already in use") {
				return nil, fmt.Errorf("%w: %s", errPortTaken, s.log.String())
			}
			return nil, fmt.Errorf("the service exited at start (%v); its output:\n%s", s.err, indent(s.log.String()))
		case <-ctx.Done():
			_ = s.stop(timeout)
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if s.listening() {
			return s, nil
		}
		if time.Now().After(deadline) {
			_ = s.stop(timeout)
			return nil, fmt.Errorf("the service did not listen on %s within %s; its output:\n%s", addrs.HTTP, timeout, indent(s.log.String()))
		}
	}
}

// listening reports whether the service accepts TCP connections on every
// address. It only connects: no request is sent, so no log line or counter
// changes.
func (s *service) listening() bool {
	for _, addr := range []string{s.addrs.HTTP, s.addrs.GRPC} {
		if addr == "" {
			continue
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		conn.Close()
	}
	return true
}

// stop stops the service: SIGTERM, at most timeout to exit, then SIGKILL.
// It fails, and says why, unless the service exits with status 0.
func (s *service) stop(timeout time.Duration) error {
	select {
	case <-s.done:
		return fmt.Errorf("the service had exited already (%v); its output:\n%s", s.err, indent(s.log.String()))
	default:
	}
	_ = terminate(s.cmd)
	select {
	case <-s.done:
	case <-time.After(timeout):
		killGroup(s.cmd)
		<-s.done
		return fmt.Errorf("the service did not exit within %s of SIGTERM, and was killed", timeout)
	}
	if s.err != nil {
		return fmt.Errorf("the service exited with %v after SIGTERM; its output:\n%s", s.err, indent(s.log.String()))
	}
	return nil
}

// freeAddrs returns free addresses for the service.
func freeAddrs(grpc bool) (Addrs, error) {
	var a Addrs
	var err error
	for a.HTTP == "" || strings.HasSuffix(a.HTTP, ":"+defaultHTTPPort) || strings.HasSuffix(a.HTTP, ":"+defaultGRPCPort) {
		if a.HTTP, err = freeAddr(); err != nil {
			return Addrs{}, err
		}
	}
	for grpc && (a.GRPC == "" || a.GRPC == a.HTTP || strings.HasSuffix(a.GRPC, ":"+defaultHTTPPort) || strings.HasSuffix(a.GRPC, ":"+defaultGRPCPort)) {
		if a.GRPC, err = freeAddr(); err != nil {
			return Addrs{}, err
		}
	}
	return a, nil
}

// syncBuffer is a bytes.Buffer that a running program may write to while
// the check reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// indent indents every line of s by four spaces.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (nothing)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
