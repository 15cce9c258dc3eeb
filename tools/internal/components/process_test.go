//go:build unix

package components

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStop(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		wantKilled bool
	}{
		{"ends on SIGTERM", "touch started; exec sleep 60", false},
		// As the programs that ignore SIGTERM for longer than the grace.
		{"ignores SIGTERM", "trap '' TERM; touch started; sleep 60; sleep 60", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p, err := start("thing", filepath.Join(dir, "thing.log"), dir, nil, 300*time.Millisecond, []string{"sh", "-c", tt.script})
			if err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the program did not start")
				}
			}
			begin := time.Now()
			if killed := p.Stop(); killed != tt.wantKilled {
				t.Errorf("Stop() = %v, want %v", killed, tt.wantKilled)
			}
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("Stop took %s", took)
			}
			select {
			case <-p.Done():
			default:
				t.Error("Done is not closed after Stop")
			}
		})
	}
}

func TestExitedAndTail(t *testing.T) {
	dir := t.TempDir()
	p, err := Start("thing", filepath.Join(dir, "thing.log"), dir, []string{"WORD=there"}, "sh", "-c", "echo one; echo two; echo $WORD; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Exited(); err == nil || err.Error() != "thing exited: exit status 3" {
		t.Errorf("Exited() = %v", err)
	}
	if got, want := p.Tail(2), "    | two\n    | there"; got != want {
		t.Errorf("Tail(2) = %q, want %q", got, want)
	}
	if p.Stop() {
		t.Error("Stop() of a program that has exited = true")
	}
}

func TestRunForegroundStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out strings.Builder
	begin := time.Now()
	if err := runForeground(ctx, Command(ctx, t.TempDir(), "sh", "-c", "echo up; exec sleep 60"), &out); err != nil {
		t.Errorf("runForeground = %v, want nil: the end of its context is how it ends", err)
	}
	if took := time.Since(begin); took > 5*time.Second || out.String() != "up\n" {
		t.Errorf("took %s and wrote %q", took, out.String())
	}
	if err := runForeground(context.Background(), Command(context.Background(), t.TempDir(), "false"), &out); err == nil {
		t.Error("a program that fails gave no error")
	}
}

func TestInstallPrometheusFindsIt(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "prometheus")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var out strings.Builder
	if got, err := InstallPrometheus(context.Background(), &out); got != bin || err != nil || out.Len() > 0 {
		t.Errorf("InstallPrometheus = %q, %v and said %q; want %q, nothing said", got, err, out.String(), bin)
	}
}
