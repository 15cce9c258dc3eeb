package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// listenPort is a TCP address that a component of the demo listens on.
type listenPort struct {
	addr  string // e.g. 127.0.0.1:9090
	owner string // who listens there, e.g. "Prometheus"
	hint  string // what else may hold it, e.g. "make prometheus"
}

// checkPortsFree returns an error that names every port of ports that is
// already in use, its component, and how to find what holds it.
func checkPortsFree(ports []listenPort) error {
	var busy []string
	for _, p := range ports {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			_, port, _ := net.SplitHostPort(p.addr)
			busy = append(busy, fmt.Sprintf("  %s, needed by %s, is already in use: is %s still running?\n"+
				"    See what holds it: ss -ltnp 'sport = :%s' (Linux) or lsof -nP -iTCP:%s -sTCP:LISTEN (macOS)",
				p.addr, p.owner, p.hint, port, port))
			continue
		}
		ln.Close()
	}
	if len(busy) > 0 {
		return fmt.Errorf("ports in use; stop what holds them, then run the demo again:\n%s", strings.Join(busy, "\n"))
	}
	return nil
}

// portInUse returns the address in a Go program's "listen tcp ADDR: bind:
// address already in use" error in log, or "" if there is none.
func portInUse(log string) string {
	const suffix = ": bind: address already in use"
	i := strings.Index(log, suffix)
	if i < 0 {
		return ""
	}
	before := log[:i]
	j := strings.LastIndex(before, "listen tcp ")
	if j < 0 || strings.ContainsAny(before[j:], "\n") {
		return ""
	}
	return before[j+len("listen tcp "):]
}

// probe reports whether a component answers as it does when ready: nil
// means ready, an error says what is still missing.
type probe func(ctx context.Context) error

// httpOK probes that GET url answers 200 OK.
func httpOK(client *http.Client, url string) probe {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// tcpOpen probes that addr accepts TCP connections.
func tcpOpen(addr string) probe {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", addr, err)
		}
		conn.Close()
		return nil
	}
}

// allOf probes that every one of probes succeeds.
func allOf(probes ...probe) probe {
	return func(ctx context.Context) error {
		for _, p := range probes {
			if err := p(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}

// waitReady waits until p succeeds for component c, at most timeout after
// c started. It fails early, with the end of c's log, if c exits first.
func waitReady(ctx context.Context, c *component, p probe, timeout time.Duration, root string) error {
	deadline := c.started.Add(timeout)
	for {
		if c.proc.exited() {
			why := ""
			if b, err := os.ReadFile(c.logPath); err == nil {
				if addr := portInUse(string(b)); addr != "" {
					_, port, _ := net.SplitHostPort(addr)
					why = fmt.Sprintf(": its port %s is already in use (ss -ltnp 'sport = :%s' shows what holds it)", addr, port)
				}
			}
			return fmt.Errorf("%w before it was ready%s; the end of its log, %s:\n%s",
				c.exitError(), why, relPath(root, c.logPath), c.logTail(12))
		}
		err := p(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready %s after it started (%v); see its log, %s:\n%s",
				c.name, timeout, err, relPath(root, c.logPath), c.logTail(12))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// poll calls try every interval until try says it is done, or until
// timeout has passed. try returns done and the outcome, or not done and
// what is still missing; poll returns the outcome, or what was still
// missing when time ran out.
func poll(ctx context.Context, timeout, interval time.Duration, try func() (done bool, err error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := try()
		if done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still not there after %s: %w", timeout, err)
		}
		if err := sleep(ctx, interval); err != nil {
			return err
		}
	}
}

// sleep waits for d, or less if ctx is done, and then returns ctx's error.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
