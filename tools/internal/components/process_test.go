//go:build unix

package components

import (
	"context"
	"io"
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

// TestRunInForeground runs stand-ins for Prometheus and Jaeger, which print
// their arguments and wait, until their context ends.
func TestRunInForeground(t *testing.T) {
	root := t.TempDir()
	fake := []byte("#!/bin/sh\necho \"$JAEGER_LISTEN_HOST $*\"; exec sleep 60\n")
	for _, path := range []string{filepath.Join(root, "bin", "prometheus"), JaegerBinary(root)} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, fake, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("JAEGER_LISTEN_HOST", "")
	tests := []struct {
		name string
		run  func(ctx context.Context, w io.Writer) error
		want []string
	}{
		{"Prometheus", func(ctx context.Context, w io.Writer) error { return RunPrometheus(ctx, root, "", w) }, []string{
			"prometheus: http://127.0.0.1:9090, scraping what deploy/prometheus.yml lists\n",
			" --config.file=" + filepath.Join(root, "deploy", "prometheus.yml") + " --storage.tsdb.path=" + filepath.Join(root, ".run", "prometheus"),
			" --web.listen-address=127.0.0.1:9090\n",
		}},
		{"Jaeger", func(ctx context.Context, w io.Writer) error { return RunJaeger(ctx, root, w) }, []string{
			"jaeger: Zipkin on http://127.0.0.1:9411, UI and API on http://127.0.0.1:16686\n",
			"127.0.0.1 --config " + filepath.Join(root, "deploy", "jaeger.yaml") + "\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			var out strings.Builder
			begin := time.Now()
			if err := tt.run(ctx, &out); err != nil {
				t.Errorf("run = %v, want nil: the end of its context is how it ends", err)
			}
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("took %s after its context ended", took)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output %q does not say %q", out.String(), w)
				}
			}
		})
	}
	if err := runForeground(context.Background(), Command(context.Background(), root, "false"), io.Discard); err == nil {
		t.Error("a program that fails gave no error")
	}
}
