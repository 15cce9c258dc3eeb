package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loggedSpan is a span that the log reporter wrote, as zipkin-go's JSON
// has it.
type loggedSpan struct {
	Name     string            `json:"name"` // lower case
	Kind     string            `json:"kind"`
	TraceID  string            `json:"traceId"`
	ID       string            `json:"id"`
	ParentID string            `json:"parentId"`
	Duration int64             `json:"duration"`
	Tags     map[string]string `json:"tags"`
}

// loggedSpans returns the spans in log, in their order.
func loggedSpans(t *testing.T, log string) []loggedSpan {
	t.Helper()
	var spans []loggedSpan
	for _, rec := range decodeLogfmt(t, []byte(log)) {
		if rec["span"] == "" {
			continue
		}
		var s loggedSpan
		require.NoError(t, json.Unmarshal([]byte(rec["span"]), &s), "%v", rec)
		spans = append(spans, s)
	}
	return spans
}

func TestLogReporter(t *testing.T) {
	var buf bytes.Buffer
	tracer, _, err := newTracer("", 1, log.NewLogfmtLogger(&buf), log.NewNopLogger())
	require.NoError(t, err)

	parent := tracer.StartSpan("POST /sum", zipkin.Kind(model.Server))
	child := tracer.StartSpan("Sum", zipkin.Parent(parent.Context()))
	zipkin.TagError.Set(child, "can't sum two zeroes")
	child.Finish()
	parent.Finish()

	assert.Equal(t, 2, strings.Count(buf.String(), "\n"), "a line a span:\n%s", &buf)
	spans := loggedSpans(t, buf.String())
	require.Len(t, spans, 2)
	c, p := spans[0], spans[1]
	assert.Equal(t, "sum", c.Name)
	assert.Empty(t, c.Kind)
	assert.Equal(t, parent.Context().TraceID.String(), c.TraceID)
	assert.Equal(t, child.Context().ID.String(), c.ID)
	assert.Equal(t, parent.Context().ID.String(), c.ParentID)
	assert.Equal(t, "can't sum two zeroes", c.Tags["error"])

	assert.Equal(t, "post /sum", p.Name)
	assert.Equal(t, "SERVER", p.Kind)
	assert.Empty(t, p.ParentID)
	assert.NotContains(t, p.Tags, "error")
}

func TestNewTracerRefusesABadURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9411", "ftp://127.0.0.1/", "http://", "::"} {
		_, _, err := newTracer(u, 1, log.NewNopLogger(), log.NewNopLogger())
		assert.ErrorContains(t, err, "want http://host:port/api/v2/spans", u)
	}
}

func TestNewTracerLogsCollectorFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // no collector there

	var buf bytes.Buffer
	tracer, spans, err := newTracer("http://"+addr+"/api/v2/spans", 1, log.NewNopLogger(), log.NewLogfmtLogger(&buf))
	require.NoError(t, err)
	tracer.StartSpan("Sum").Finish()
	assert.ErrorContains(t, spans.Close(), "connection refused") // sends what is left, and fails

	records := decodeLogfmt(t, buf.Bytes())
	require.NotEmpty(t, records)
	assert.Contains(t, records[0]["msg"], "failed to send the request", "one message, whole: %v", records[0])
	assert.Contains(t, records[0]["msg"], "http://"+addr+"/api/v2/spans")
	assert.Contains(t, records[0]["msg"], "connection refused")
}

// withoutSpans returns log without its span lines.
func withoutSpans(log string) string {
	var kept []string
	for _, line := range strings.SplitAfter(log, "\n") {
		if !strings.Contains(line, " layer=tracing span=") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

func TestTheSpanLogKeepsItsBudget(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "1")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	begin := time.Now()
	statuses := flood(t, 1000, func() (*http.Request, error) {
		return http.NewRequest(http.MethodPost, "http://"+r.addr+"/sum", strings.NewReader(`{"a":1,"b":2}`))
	})
	require.NoError(t, r.stop(t))
	took := time.Since(begin)
	assert.Equal(t, 999, statuses[http.StatusTooManyRequests])

	// Two spans a request, the transport's and the endpoint's: each is
	// logged, or counted as not logged.
	logged, dropped := 0, 0
	for _, rec := range decodeLogfmt(t, []byte(r.log.String())) {
		switch {
		case rec["span"] != "":
			logged++
		case strings.HasPrefix(rec["msg"], "spans not logged"):
			n, err := strconv.Atoi(rec["count"])
			require.NoError(t, err)
			dropped += n
		}
	}
	assert.Equal(t, 2000, logged+dropped)
	assert.LessOrEqual(t, logged, spanLogBudget*int(took/time.Second+2), "logged in %v", took)
	checkLogLines(t, r.log.String())
}

// collector returns the URL of a stand-in for a Zipkin collector that
// behaves as mode says: "down" (nothing listens), "hanging" (accepts and
// never answers), "500" (answers with an error) or "slow" (answers after
// 3 s, longer than the reporter waits).
func collector(t *testing.T, mode string) string {
	t.Helper()
	if mode == "down" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/api/v2/spans"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch mode {
		case "hanging":
			<-r.Context().Done() // until the reporter gives up
		case "500":
			http.Error(w, "collector failure", http.StatusInternalServerError)
		case "slow":
			select {
			case <-time.After(3 * time.Second):
				w.WriteHeader(http.StatusAccepted)
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v2/spans"
}

func TestShutdownIsBoundedWhateverTheCollectorDoes(t *testing.T) {
	for _, mode := range []string{"down", "hanging", "500", "slow"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-url", collector(t, mode))
			require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
			// Spans for the reporter to send, for more than one batch interval.
			for range 3 {
				code, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
				require.Equal(t, http.StatusOK, code)
			}
			begin := time.Now()
			require.NoError(t, r.stop(t))
			took := time.Since(begin)
			t.Logf("collector %s: run returned %v after its context ended", mode, took.Round(time.Millisecond))
			assert.Less(t, took, closeTimeout+time.Second)
			checkLogLines(t, r.log.String())
			assert.Less(t, strings.Count(r.log.String(), "\n"), 20, "its log:\n%s", r.log)
		})
	}
}

// TestMainStopsOnSIGTERMWithAHangingCollector is TestMainStopsOnSIGTERM with
// a collector that takes the spans and never answers: the process exits
// well within the 10 s after which docker stop kills it.
func TestMainStopsOnSIGTERMWithAHangingCollector(t *testing.T) {
	cmd, log := startMain(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-url", collector(t, "hanging"))
	require.Eventually(t, func() bool { return listening.MatchString(log.String()) },
		10*time.Second, 10*time.Millisecond, "it did not listen; its log:\n%s", log)
	addr := listening.FindStringSubmatch(log.String())[1]
	code, _ := call(t, http.MethodPost, "http://"+addr+"/sum", `{"a":1,"b":2}`)
	require.Equal(t, http.StatusOK, code)

	begin := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status; its log:\n%s", log)
	case <-time.After(10 * time.Second):
		t.Fatalf("it did not exit within 10s of SIGTERM; its log:\n%s", log)
	}
	t.Logf("exited %v after SIGTERM", time.Since(begin).Round(time.Millisecond))
	assert.Less(t, time.Since(begin), closeTimeout+time.Second)
	assert.Contains(t, log.String(), "the last spans are lost")
}
