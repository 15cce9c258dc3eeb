package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logfmt/logfmt"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// runMainEnv, when set, makes the test binary run main instead of the
// tests: TestMainStopsOnSIGTERM starts it as a real process, to send it a
// real signal.
const runMainEnv = "ADDSVC_TEST_RUN_MAIN"

// TestMain runs main when runMainEnv says so, and else the tests, which
// must leave no goroutine running behind them.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// logBuffer collects what run writes to its stderr; the test and run use it
// at the same time.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listening finds the address that the service logs once it listens, and
// listeningGRPC the gRPC address, which it logs before.
var (
	listening     = regexp.MustCompile(`listening on http://(\S+?)"?\n`)
	listeningGRPC = regexp.MustCompile(`listening for gRPC on (\S+?)"?\n`)
)

// running is run, called by a test in a goroutine of its own.
type running struct {
	log      *logBuffer
	addr     string             // the HTTP address it listens on
	grpcAddr string             // the gRPC address it listens on
	cancel   context.CancelFunc // stops it, as SIGTERM does
	done     chan error         // run's result
}

// startRun calls run with args and returns once it listens, or has returned.
func startRun(t *testing.T, args ...string) *running {
	t.Helper()
	return start(t, func(ctx context.Context, stderr io.Writer) error { return run(ctx, args, stderr) })
}

// testLimits are the servers' limits with the command line's defaults.
var testLimits = func() serverLimits {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		panic(err)
	}
	return cfg.server
}()

// startConfig is startRun with a config of the command line's args, changed
// by change.
func startConfig(t *testing.T, change func(*config), args ...string) *running {
	t.Helper()
	cfg, err := parseFlags(append([]string{"-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0"}, args...), io.Discard)
	require.NoError(t, err)
	change(&cfg)
	return start(t, func(ctx context.Context, stderr io.Writer) error { return runConfig(ctx, cfg, stderr) })
}

// start calls runFunc in a goroutine and returns once it listens, or has
// returned.
func start(t *testing.T, runFunc func(context.Context, io.Writer) error) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{log: &logBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- runFunc(ctx, r.log) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	deadline := time.After(10 * time.Second)
	for {
		if m := listening.FindStringSubmatch(r.log.String()); m != nil {
			r.addr = m[1]
			r.grpcAddr = listeningGRPC.FindStringSubmatch(r.log.String())[1]
			return r
		}
		select {
		case err := <-r.done:
			r.done <- err // for stop
			return r
		case <-deadline:
			t.Fatalf("run did not listen within 10s; its log:\n%s", r.log)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop cancels run's context and returns run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("run did not return within 15s of its context's end; its log:\n%s", r.log)
		return nil
	}
}

// call sends a request with method and body (none if empty) to url and
// returns the status and the whole body of the answer.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// dialGRPC returns a client connection to addr.
func dialGRPC(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// decodeLogfmt reads logfmt lines into one key/value map per line.
func decodeLogfmt(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	var records []map[string]string
	dec := logfmt.NewDecoder(bytes.NewReader(b))
	for dec.ScanRecord() {
		rec := map[string]string{}
		for dec.ScanKeyval() {
			rec[string(dec.Key())] = string(dec.Value())
		}
		records = append(records, rec)
	}
	require.NoError(t, dec.Err())
	return records
}

// startMain runs the test binary as the real command, with args.
func startMain(t *testing.T, args ...string) (*exec.Cmd, *logBuffer) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	log := &logBuffer{}
	cmd.Stderr = log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, log
}
