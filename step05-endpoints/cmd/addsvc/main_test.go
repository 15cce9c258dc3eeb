package main

import (
	"errors"
	"flag"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunServesUntilItsContextEnds(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)

	status, body := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"v":3}`, body)

	status, metrics := call(t, http.MethodGet, "http://"+r.addr+"/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, metrics, "\naddsvc_integers_summed_total 2\n")
	assert.Contains(t, metrics, "\naddsvc_characters_concatenated_total 0\n")
	assert.Contains(t, metrics, `addsvc_request_duration_seconds_count{method="Sum",success="true"} 1`)
	assert.Contains(t, metrics, `go_goroutines`)
	assert.Regexp(t, `(?m)^ts=\S+ caller=\S+ layer=service method=Sum a=1 b=2 v=3 err=null took=\S+$`, r.log.String())
	assert.Regexp(t, `(?m)^ts=\S+ caller=\S+ layer=endpoint method=Sum err=null took=\S+$`, r.log.String())

	require.NoError(t, r.stop(t))
	assert.Contains(t, r.log.String(), "shutting down")
	assert.Contains(t, r.log.String(), "stopped")
	_, err := net.DialTimeout("tcp", r.addr, time.Second)
	assert.Error(t, err, "the port is still open after run returned")
}

func TestRunRateLimitFlags(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "2")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	var codes []int
	for range 3 {
		status, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
		codes = append(codes, status)
	}
	assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}, codes)
	require.NoError(t, r.stop(t))
}

func TestRunRefusesRateLimitsThatRefuseEverything(t *testing.T) {
	for _, args := range [][]string{{"-rate-limit", "0"}, {"-rate-limit", "-1"}, {"-rate-limit", "NaN"}, {"-rate-burst", "0"}} {
		r := startRun(t, args...)
		err := r.stop(t)
		require.Error(t, err, "%v", args)
		assert.Contains(t, err.Error(), "-rate-limit must be above 0 and -rate-burst at least 1", "%v", args)
		assert.Equal(t, 1, exitCode(err, &logBuffer{}), "%v", args)
	}
}

func TestRunFailsClearlyOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	r := startRun(t, "-http-addr", ln.Addr().String())
	assert.Empty(t, r.addr)
	err = r.stop(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen on "+ln.Addr().String())
	assert.Contains(t, err.Error(), "address already in use")
	assert.Equal(t, 1, exitCode(err, &logBuffer{}))
}

func TestRunRefusesBadCommandLines(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantLog string // said exactly once
	}{
		{"an argument", []string{"9000"}, `addsvc: unexpected arguments ["9000"]: every setting is a flag`},
		{"an unknown flag", []string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"a flag without its value", []string{"-http-addr"}, "flag needs an argument: -http-addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRun(t, tt.args...)
			err := r.stop(t)
			assert.ErrorIs(t, err, errUsage)
			assert.Equal(t, 2, exitCode(err, &logBuffer{}))
			assert.Equal(t, 1, strings.Count(r.log.String(), tt.wantLog), "said once:\n%s", r.log)
			assert.Contains(t, r.log.String(), "-http-addr", "the usage follows")
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want       int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"-h", flag.ErrHelp, 0, ""},
		{"a refused command line, already explained", errUsage, 2, ""},
		{"any other error", errors.New("listen on x: boom"), 1, "addsvc: listen on x: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr logBuffer
			assert.Equal(t, tt.want, exitCode(tt.err, &stderr))
			assert.Equal(t, tt.wantStderr, stderr.String())
		})
	}
}

// TestMainStopsOnSIGTERM is the one test of the real process: a signal, not
// a cancelled context, ends it, and it exits with 0.
func TestMainStopsOnSIGTERM(t *testing.T) {
	cmd, log := startMain(t, "-http-addr", "127.0.0.1:0")
	require.Eventually(t, func() bool { return listening.MatchString(log.String()) },
		10*time.Second, 10*time.Millisecond, "it did not listen; its log:\n%s", log)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status; its log:\n%s", log)
	case <-time.After(15 * time.Second):
		t.Fatalf("it did not exit within 15s of SIGTERM; its log:\n%s", log)
	}
	assert.Contains(t, log.String(), "stopped")
}
