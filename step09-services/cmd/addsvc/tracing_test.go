package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/svckit"
)

// loggedSpans decodes the spans that zipkin-go's log reporter wrote to log:
// after each "span <time>:" line, the span's JSON, as a collector gets it.
func loggedSpans(t *testing.T, log string) []model.SpanModel {
	t.Helper()
	var spans []model.SpanModel
	for _, block := range strings.Split(log, "\nspan ")[1:] {
		_, js, ok := strings.Cut(block, ":\n")
		require.True(t, ok, "a span block: %q", block)
		var s model.SpanModel
		require.NoError(t, json.NewDecoder(strings.NewReader(js)).Decode(&s), "span JSON %q", js)
		spans = append(spans, s)
	}
	return spans
}

func TestWithoutACollectorSpansGoToTheLog(t *testing.T) {
	var buf bytes.Buffer
	tracer, _, err := svckit.NewTracer("addsvc", "", 1, log.NewNopLogger(), &buf)
	require.NoError(t, err)

	parent := tracer.StartSpan("POST /sum", zipkin.Kind(model.Server))
	child := tracer.StartSpan("Sum", zipkin.Parent(parent.Context()))
	zipkin.TagError.Set(child, "can't sum two zeroes")
	child.Finish()
	parent.Finish()

	spans := loggedSpans(t, "\n"+buf.String())
	require.Len(t, spans, 2)
	c, p := spans[0], spans[1]
	assert.Equal(t, "sum", c.Name) // Zipkin's names are lower case
	assert.Equal(t, parent.Context().TraceID, c.TraceID)
	require.NotNil(t, c.ParentID)
	assert.Equal(t, parent.Context().ID, *c.ParentID)
	assert.Equal(t, "can't sum two zeroes", c.Tags["error"])
	assert.Equal(t, "addsvc", c.LocalEndpoint.ServiceName)
	assert.Equal(t, model.Server, p.Kind)
	assert.Nil(t, p.ParentID)
}

func TestNewTracerRefusesBadSettings(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9411", "ftp://127.0.0.1/", "http://", "::"} {
		_, _, err := svckit.NewTracer("addsvc", u, 1, log.NewNopLogger(), io.Discard)
		assert.ErrorContains(t, err, "want http://host:port/api/v2/spans", u)
	}
	for _, rate := range []float64{-1, 0.001, 1.5, math.NaN()} {
		_, _, err := svckit.NewTracer("addsvc", "", rate, log.NewNopLogger(), io.Discard)
		assert.ErrorContains(t, err, "-zipkin-sample-rate", "%v", rate)
	}
}

func TestCollectorFailuresAreLogged(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // no collector there

	var buf bytes.Buffer
	tracer, spans, err := svckit.NewTracer("addsvc", "http://"+addr+"/api/v2/spans", 1, log.NewLogfmtLogger(&buf), io.Discard)
	require.NoError(t, err)
	tracer.StartSpan("Sum").Finish()
	begin := time.Now()
	assert.ErrorContains(t, spans.Close(), "connection refused") // sends what is left, and fails
	assert.Less(t, time.Since(begin), svckit.SpanSendTimeout)

	records := decodeLogfmt(t, buf.Bytes())
	require.NotEmpty(t, records)
	assert.Contains(t, records[0]["msg"], "failed to send the request")
	assert.Contains(t, records[0]["msg"], "connection refused")
}

func TestSampleRate(t *testing.T) {
	for _, tt := range []struct {
		rate string
		want int
	}{{"0", 0}, {"1", 2}} {
		r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-zipkin-sample-rate", tt.rate)
		require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
		code, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
		require.Equal(t, http.StatusOK, code)
		require.NoError(t, r.stop(t))
		assert.Len(t, loggedSpans(t, r.log.String()), tt.want, "-zipkin-sample-rate %s", tt.rate)
	}
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
			for range 3 {
				code, _ := call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
				require.Equal(t, http.StatusOK, code)
			}
			begin := time.Now()
			require.NoError(t, r.stop(t))
			took := time.Since(begin)
			t.Logf("collector %s: run returned %v after its context ended", mode, took.Round(time.Millisecond))
			assert.Less(t, took, svckit.SpanCloseTimeout+time.Second)
			checkLogLines(t, r.log.String())
			assert.Less(t, strings.Count(r.log.String(), "\n"), 20, "its log:\n%s", r.log)
		})
	}
}

func TestTheSpanLogKeepsItsBudget(t *testing.T) {
	r := startRun(t, "-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rate-limit", "0.001", "-rate-burst", "1")
	require.NotEmpty(t, r.addr, "run returned early; its log:\n%s", r.log)
	begin := time.Now()
	for range 500 {
		call(t, http.MethodPost, "http://"+r.addr+"/sum", `{"a":1,"b":2}`)
	}
	require.NoError(t, r.stop(t))
	took := time.Since(begin)
	// Two spans a request, the transport's and the endpoint's (the refused
	// ones too): each is logged, or counted as not logged.
	logged, dropped := len(loggedSpans(t, r.log.String())), 0
	for _, line := range strings.Split(r.log.String(), "\n") {
		if strings.Contains(line, "spans not logged") {
			recs := decodeLogfmt(t, []byte(line))
			require.Len(t, recs, 1)
			dropped++
			if more := recs[0]["more"]; more != "" {
				n, err := strconv.Atoi(more)
				require.NoError(t, err)
				dropped += n
			}
		}
	}
	assert.Equal(t, 1000, logged+dropped)
	assert.LessOrEqual(t, logged, svckit.SpanLogBudget*int(took/time.Second+2), "logged in %v", took)
}
