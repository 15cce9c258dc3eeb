//go:build unix

package docscheck

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeServiceEnv makes the test binary a stand-in for a step's service.
const fakeServiceEnv = "DOCSCHECK_FAKE_SERVICE"

func TestMain(m *testing.M) {
	if os.Getenv(fakeServiceEnv) != "" {
		os.Exit(fakeService(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeService listens where its flags say, as a step's service does,
// prints a line to its output for each connection, and exits when it gets
// SIGTERM, with the status that -term-status says.
func fakeService(args []string) int {
	fs := flag.NewFlagSet("addsvc", flag.ContinueOnError)
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "HTTP listen address")
	grpcAddr := fs.String("grpc-addr", "", "gRPC listen address")
	termStatus := fs.Int("term-status", 0, "exit status after SIGTERM")
	fail := fs.Bool("fail", false, "exit at start")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *fail {
		fmt.Fprintln(os.Stderr, "addsvc: refusing to start")
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	for _, addr := range []string{*httpAddr, *grpcAddr} {
		if addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer ln.Close()
	}
	fmt.Fprintf(os.Stderr, "listening on %s\n", *httpAddr)
	<-sigs
	return *termStatus
}

// check runs the README text against the fake service.
func check(t *testing.T, readme string, c Config) (Result, string) {
	t.Helper()
	t.Setenv(fakeServiceEnv, "1")
	cases, err := Parse(strings.NewReader(readme))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	c.Name = "README.md"
	c.Dir = t.TempDir()
	c.Service = os.Args[0]
	c.Log = &log
	if c.StopTimeout == 0 {
		c.StopTimeout = 5 * time.Second
	}
	return Run(context.Background(), c, cases), log.String()
}

func TestRunPasses(t *testing.T) {
	readme := "```console\n" +
		"$ echo out; echo err >&2; echo out again\n" +
		"out\nerr\nout again\n" +
		"$ printf 'no newline at the end'\n" +
		"no newline at the end\n" +
		"$ echo localhost:8080 127.0.0.1:8081\n" +
		"localhost:8080 127.0.0.1:8081\n" +
		"$ false\n" +
		"```\n" +
		"<!-- docs-check: restart -term-status 0 -->\n" +
		"```console\n" +
		"$ pwd | sed 's#.*/##'\n" +
		"001\n" +
		"```\n"
	res, log := check(t, readme, Config{})
	if !res.OK() || res.Commands != 5 {
		t.Errorf("Run = %+v (%s), want 5 commands passed; log:\n%s", res, res, log)
	}
	if !strings.Contains(log, "README.md:12: restarting the service with -term-status 0") {
		t.Errorf("log does not show the restart:\n%s", log)
	}
}

func TestRunUsesFreePorts(t *testing.T) {
	// A command that fails unless the service is on the port that the
	// README's address is rewritten to.
	readme := "```console\n" +
		"$ echo localhost:8080 | sed 's/.*://' | grep -qx 8080 && echo default port || echo rewritten\n" +
		"rewritten\n" +
		"```\n"
	res, log := check(t, readme, Config{})
	if !res.OK() {
		t.Errorf("Run = %s; log:\n%s", res, log)
	}
}

func TestRunShowsDifferences(t *testing.T) {
	readme := "```console\n" +
		"$ echo actual; exit 3\n" +
		"expected\n" +
		"$ echo same\n" +
		"same\n" +
		"```\n"
	res, log := check(t, readme, Config{})
	if res.OK() || res.Failed != 1 || res.Commands != 2 {
		t.Fatalf("Run = %+v, want 1 of 2 commands failed", res)
	}
	for _, want := range []string{
		"README.md:2: the output differs (- README, + actual):",
		"    $ echo actual; exit 3",
		"    (exit status 3)",
		"    -expected",
		"    +actual",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if got := res.String(); got != "FAILED (1 of 2 commands differ)" {
		t.Errorf("String() = %q", got)
	}
}

func TestRunStopsACommandThatHangs(t *testing.T) {
	readme := "```console\n$ echo started; sleep 60\nstarted\n```\n"
	start := time.Now()
	res, log := check(t, readme, Config{CommandTimeout: 500 * time.Millisecond})
	if res.Failed != 1 || !strings.Contains(log, "(stopped after 500ms)") {
		t.Errorf("Run = %+v, want the command stopped; log:\n%s", res, log)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %s", d)
	}
}

func TestRunServiceProblems(t *testing.T) {
	for _, tc := range []struct {
		name, readme, want string
	}{
		{
			"exits with an error on SIGTERM",
			"<!-- docs-check: restart -term-status 3 -->\n```console\n$ true\n```\n",
			"the service exited with exit status 3 after SIGTERM",
		},
		{
			"fails at restart",
			"<!-- docs-check: restart -fail -->\n```console\n$ true\n```\n",
			"restart: the service exited at start (exit status 1)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, log := check(t, tc.readme, Config{})
			if res.OK() || !strings.Contains(res.String(), tc.want) {
				t.Errorf("Run = %s, want a problem %q; log:\n%s", res, tc.want, log)
			}
		})
	}
}

func TestRunStopsWhenInterrupted(t *testing.T) {
	t.Setenv(fakeServiceEnv, "1")
	cases, err := Parse(strings.NewReader("```console\n$ touch started; sleep 60\n$ echo never\nnever\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Interrupt once the first command runs, however long the service
	// takes to start on a busy machine.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				interrupted <- time.Now()
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var log bytes.Buffer
	res := Run(ctx, Config{Name: "README.md", Dir: dir, Service: os.Args[0], Log: &log}, cases)
	select {
	case at := <-interrupted:
		if d := time.Since(at); d > 10*time.Second {
			t.Errorf("Run took %s after the interrupt", d)
		}
	default:
		t.Errorf("the first command never ran; log:\n%s", log.String())
	}
	if res.OK() || res.Commands != 1 || res.Failed != 0 || !strings.Contains(res.String(), "interrupted") {
		t.Errorf("Run = %+v (%s), want interrupted during the first command, with nothing shown as different; log:\n%s", res, res, log.String())
	}
}
