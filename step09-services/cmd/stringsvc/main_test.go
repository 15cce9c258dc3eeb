package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

var listening = regexp.MustCompile(`listening on http://(\S+?)"?\n`)

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServesMetricsAndStopsGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var log logBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-http-addr", "127.0.0.1:0"}, &log) }()
	var addr string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(log.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "its log:\n%s", &log)

	code, body := post(t, "http://"+addr+"/uppercase", `{"s":"gokit"}`)
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"v":"GOKIT"}`, body)
	code, body = post(t, "http://"+addr+"/uppercase", `{"s":""}`)
	assert.Equal(t, 400, code)
	assert.JSONEq(t, `{"error":"empty string"}`, body)
	code, body = post(t, "http://"+addr+"/count", `{"s":"gokit"}`)
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"v":5}`, body)

	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, series := range []string{
		`stringsvc_request_duration_seconds_count{method="Uppercase",success="true"} 1`,
		`stringsvc_request_duration_seconds_count{method="Uppercase",success="false"} 1`,
		`stringsvc_request_duration_seconds_count{method="Count",success="true"} 1`,
		`stringsvc_http_requests_total{code="400",method="post"} 1`,
		`stringsvc_characters_uppercased_total 5`,
		`stringsvc_characters_counted_total 5`,
	} {
		assert.Contains(t, string(b), series)
	}

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	assert.Contains(t, log.String(), "msg=stopped")
	assert.Contains(t, log.String(), `method=Uppercase s=gokit v=GOKIT`)
	assert.NotContains(t, log.String(), `layer=transport`, "a broken business rule is not the operator's business")
}

func TestRefusesABadCommandLine(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"-rate-limit", "0"}, {"-max-conns", "0"}, {"-nope"}} {
		assert.ErrorIs(t, run(context.Background(), args, io.Discard), errUsage, "%q", args)
	}
	err := run(context.Background(), []string{"-http-addr", "127.0.0.1:0", "-zipkin-url", "ftp://x"}, io.Discard)
	assert.ErrorContains(t, err, "want http://host:port/api/v2/spans")
}
