package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	tracer, _, err := newTracer("", 1, log.NewNopLogger(), &buf)
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
		_, _, err := newTracer(u, 1, log.NewNopLogger(), io.Discard)
		assert.ErrorContains(t, err, "want http://host:port/api/v2/spans", u)
	}
	for _, rate := range []float64{-1, 0.001, 1.5, math.NaN()} {
		_, _, err := newTracer("", rate, log.NewNopLogger(), io.Discard)
		assert.ErrorContains(t, err, "-zipkin-sample-rate", "%v", rate)
	}
}

func TestCollectorFailuresAreLogged(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // no collector there

	var buf bytes.Buffer
	tracer, spans, err := newTracer("http://"+addr+"/api/v2/spans", 1, log.NewLogfmtLogger(&buf), io.Discard)
	require.NoError(t, err)
	tracer.StartSpan("Sum").Finish()
	begin := time.Now()
	assert.ErrorContains(t, spans.Close(), "connection refused") // sends what is left, and fails
	assert.Less(t, time.Since(begin), spanSendTimeout)

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
