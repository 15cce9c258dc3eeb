//go:build unix

package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildWorkshop builds this command and returns its path.
func buildWorkshop(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "workshop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestStepRunsTheServiceInTheForeground runs step 1 as a person does, calls
// it, and stops it as Ctrl-C does: the signal reaches the service, which
// shuts down cleanly, and its exit status is the command's.
func TestStepRunsTheServiceInTheForeground(t *testing.T) {
	bin := buildWorkshop(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(bin, "step", "01", "-http-addr", addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second) // it builds step 1 first
	var body []byte
	for {
		resp, err := client.Post("http://"+addr+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("step 1 exited (%v):\n%s", err, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("step 1 did not answer on %s:\n%s", addr, out.String())
		}
	}
	if got := strings.TrimSpace(string(body)); got != `{"v":3}` {
		t.Errorf("POST /sum = %s, want {\"v\":3}", got)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v, want exit status 0; output:\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("step 1 still runs 15s after SIGINT:\n%s", out.String())
	}
	for _, want := range []string{"building step01-naive ...\n", "running step01-naive (Ctrl-C stops it)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", "..", "bin", "step01-naive-addsvc")); err != nil {
		t.Errorf("the binary is not in bin/: %v", err)
	}
}

// TestStepPassesTheExitStatusOn: a bad flag makes the service exit 2, and
// so the command.
func TestStepPassesTheExitStatusOn(t *testing.T) {
	bin := buildWorkshop(t)
	out, err := exec.Command(bin, "step", "1", "-no-such-flag").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("step 1 -no-such-flag: %v, want exit status 2; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "flag provided but not defined: -no-such-flag") {
		t.Errorf("output lacks the service's complaint:\n%s", out)
	}
}
