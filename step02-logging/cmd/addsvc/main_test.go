package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runMainEnv, when set, makes the test binary run main instead of the tests,
// so that the tests can start the real command and send it real signals.
const runMainEnv = "ADDSVC_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command is the addsvc command running in a child process.
type command struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{}
}

// start runs addsvc with args and returns once it has exited or has logged
// the address it listens on (then it returns that address).
func start(t *testing.T, args ...string) (*command, string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	c := &command{cmd: exec.Command(exe, args...), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	pipe, err := c.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
	})

	addrc := make(chan string, 1)
	listening := regexp.MustCompile(`listening on http://([^\s"]+)`)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.mu.Lock()
			c.stderr.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
		_ = c.cmd.Wait()
	}()
	select {
	case addr := <-addrc:
		return c, addr
	case <-c.done:
		return c, ""
	case <-time.After(20 * time.Second):
		t.Fatalf("addsvc did not start; its log:\n%s", c.log())
		return nil, ""
	}
}

// log returns what the command has written to stderr so far.
func (c *command) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// wait waits for the command to exit and returns its exit code.
func (c *command) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatalf("addsvc did not exit; its log:\n%s", c.log())
		return -1
	}
}

func TestMainServesAndShutsDownOnSIGTERM(t *testing.T) {
	c, addr := start(t, "-http-addr", "127.0.0.1:0")
	require.NotEmpty(t, addr, "addsvc exited early; its log:\n%s", c.log())

	resp, err := http.Post("http://"+addr+"/sum", "application/json", strings.NewReader(`{"a":1,"b":2}`))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"v":3}`, string(body))

	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, c.wait(t), "exit code; log:\n%s", c.log())
	assert.Contains(t, c.log(), "shutting down")
	assert.Contains(t, c.log(), "stopped")
	assert.Contains(t, c.log(), "Sum(1,2)=(3,<nil>)")
	assert.Regexp(t, `127\.0\.0\.1:\d+: /sum: 200`, c.log())

	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the port is still open after shutdown")
}

func TestMainFailsClearlyOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	c, addr := start(t, "-http-addr", ln.Addr().String())
	assert.Empty(t, addr)
	assert.Equal(t, 1, c.wait(t))
	assert.Contains(t, c.log(), "listen on "+ln.Addr().String())
	assert.Contains(t, c.log(), "address already in use")
}

func TestMainRejectsArguments(t *testing.T) {
	c, addr := start(t, "9000")
	assert.Empty(t, addr)
	assert.Equal(t, 2, c.wait(t))
	assert.Contains(t, c.log(), `addsvc: unexpected arguments ["9000"]: every setting is a flag`)
	assert.Contains(t, c.log(), "-http-addr")
}

func TestMainRejectsBadFlags(t *testing.T) {
	c, addr := start(t, "-no-such-flag")
	assert.Empty(t, addr)
	assert.Equal(t, 2, c.wait(t))
	assert.Equal(t, 1, strings.Count(c.log(), "flag provided but not defined: -no-such-flag"), "said once:\n%s", c.log())
	assert.Contains(t, c.log(), "-http-addr")
}
