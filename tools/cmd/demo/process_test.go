//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLastLines(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 5, "a\nb\nc"},
		{"", 3, ""},
		{"a\n", 0, ""},
	}
	for _, tt := range tests {
		if got := lastLines(tt.s, tt.n); got != tt.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
	if got, want := indent("a\nb", "  | "), "  | a\n  | b"; got != want {
		t.Errorf("indent = %q, want %q", got, want)
	}
}

// alive reports whether the process pid exists (and is not a zombie that
// only waits for its parent).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (macOS): the signal test is all there is
	}
	fields := strings.Fields(string(b))
	return len(fields) < 3 || fields[2] != "Z"
}

// TestStopEndsTheWholeGroup starts a shell that starts a child in the
// background and then execs a program that ignores SIGTERM, as the scripts
// exec Prometheus and Jaeger: stop must end both, the exec'd program with
// SIGKILL after the grace period.
func TestStopEndsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	p, err := startProcess(dir, io.Discard, nil, "sh", "-c",
		`sleep 60 & echo $! > child.pid; trap '' TERM; exec sh -c "trap '' TERM; touch ready; sleep 60; :"`)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		if child != 0 && err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell did not start its child and exec its program")
		}
		time.Sleep(20 * time.Millisecond)
		if b, err := os.ReadFile(pidFile); err == nil {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	begin := time.Now()
	killed := p.stop(300 * time.Millisecond)
	if !killed {
		t.Error("stop() = false, want true: the program ignores SIGTERM")
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("stop took %s", took)
	}
	if !p.exited() {
		t.Error("the program has not exited after stop")
	}
	deadline = time.Now().Add(5 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("the background child %d is still there after stop", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStopGraceful(t *testing.T) {
	p, err := startProcess(t.TempDir(), &bytes.Buffer{}, nil, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	if p.stop(10 * time.Second) {
		t.Error("stop() = true, want false: sleep ends on SIGTERM")
	}
	if p.stop(time.Second) {
		t.Error("a second stop() = true, want false")
	}
}

func TestRunForeground(t *testing.T) {
	var out bytes.Buffer
	if err := runForeground(context.Background(), t.TempDir(), &out, []string{"DEMO_TEST=hello"}, "sh", "-c", "echo $DEMO_TEST"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "hello\n" {
		t.Errorf("output = %q, want the environment's hello", got)
	}
	if err := runForeground(context.Background(), t.TempDir(), &out, nil, "sh", "-c", "exit 3"); err == nil {
		t.Error("a failing program gave no error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := runForeground(ctx, t.TempDir(), &out, nil, "sleep", "60")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("runForeground took %s after its context was done", took)
	}
}

func TestWaitReady(t *testing.T) {
	dir := t.TempDir()
	ok := func(context.Context) error { return nil }
	never := func(context.Context) error { return errors.New("not answering") }
	tests := []struct {
		name    string
		argv    []string
		probe   probe
		wantErr []string
	}{
		{name: "ready", argv: []string{"sleep", "60"}, probe: ok},
		{
			name: "exits first", argv: []string{"sh", "-c", "echo 'listen tcp 127.0.0.1:9090: bind: address already in use'; exit 1"}, probe: never,
			wantErr: []string{"thing exited: exit status 1 before it was ready", "address already in use", "thing.log"},
		},
		{
			name: "never ready", argv: []string{"sleep", "60"}, probe: never,
			wantErr: []string{"thing was not ready 300ms after it started (not answering)", "thing.log"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := startComponent("thing", filepath.Join(dir, "thing.log"), dir, nil, tt.argv...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.stop(time.Second)
			err = waitReady(context.Background(), c, tt.probe, 300*time.Millisecond, dir)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestCheckPortsFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()

	if err := checkPortsFree([]listenPort{{freeAddr, "Free", "nothing"}}); err != nil {
		t.Errorf("a free port: %v", err)
	}
	err = checkPortsFree([]listenPort{{freeAddr, "Free", "nothing"}, {busy, "Prometheus", "make prometheus"}})
	if err == nil {
		t.Fatal("a busy port gave no error")
	}
	_, port, _ := net.SplitHostPort(busy)
	for _, w := range []string{busy + ", needed by Prometheus, is already in use", "is make prometheus still running?", "sport = :" + port} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if strings.Contains(err.Error(), freeAddr) {
		t.Errorf("error %q names the free port %s", err, freeAddr)
	}
}

func TestPoll(t *testing.T) {
	n := 0
	err := poll(context.Background(), time.Second, time.Millisecond, func() (bool, error) {
		n++
		return n == 3, nil
	})
	if err != nil || n != 3 {
		t.Errorf("poll = %v after %d tries, want nil after 3", err, n)
	}
	err = poll(context.Background(), 20*time.Millisecond, time.Millisecond, func() (bool, error) {
		return false, errors.New("no spans yet")
	})
	if err == nil || !strings.Contains(err.Error(), "still not there after 20ms: no spans yet") {
		t.Errorf("poll = %v, want a timeout that says why", err)
	}
	fatal := errors.New("Prometheus answers 500")
	err = poll(context.Background(), time.Second, time.Millisecond, func() (bool, error) { return true, fatal })
	if !errors.Is(err, fatal) {
		t.Errorf("poll = %v, want %v", err, fatal)
	}
}

func TestPortInUse(t *testing.T) {
	tests := []struct {
		log, want string
	}{
		{"Error: cannot start pipelines: failed to start \"otlp\" receiver: listen tcp 127.0.0.1:4317: bind: address already in use\n", "127.0.0.1:4317"},
		{"ts=1 level=error msg=\"Unable to start web listener\" err=\"listen tcp 127.0.0.1:9090: bind: address already in use\"", "127.0.0.1:9090"},
		{"addsvc: listen on 127.0.0.1:8080 (is another step still running?): listen tcp 127.0.0.1:8080: bind: address already in use", "127.0.0.1:8080"},
		{"everything is fine\n", ""},
		{"listen tcp\nsomething: bind: address already in use", ""},
	}
	for _, tt := range tests {
		if got := portInUse(tt.log); got != tt.want {
			t.Errorf("portInUse(%q) = %q, want %q", tt.log, got, tt.want)
		}
	}
}
