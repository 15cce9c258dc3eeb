package addsvc_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step07-tracing/addsvc"
)

// recordingTracer returns the tracer of the program called name, with its
// spans kept in memory.
func recordingTracer(t *testing.T, name string) (*zipkin.Tracer, *recorder.ReporterRecorder) {
	t.Helper()
	rec := recorder.NewReporter()
	tracer, _, err := addsvc.NewTracer(name, "", rec, log.NewNopLogger())
	require.NoError(t, err)
	return tracer, rec
}

// waitForSpans returns the n spans that rec has recorded, waiting for them:
// a server finishes its spans after it has answered.
func waitForSpans(t *testing.T, rec *recorder.ReporterRecorder, n int) map[string]model.SpanModel {
	t.Helper()
	var spans []model.SpanModel
	require.Eventually(t, func() bool {
		spans = append(spans, rec.Flush()...)
		return len(spans) >= n
	}, 10*time.Second, 5*time.Millisecond, "want %d spans", n)
	require.Len(t, spans, n)
	byName := map[string]model.SpanModel{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	require.Len(t, byName, n, "span names: %v", byName)
	return byName
}

// inside tells whether span inner starts and ends within span outer.
func inside(inner, outer model.SpanModel) bool {
	return !inner.Timestamp.Before(outer.Timestamp) &&
		!inner.Timestamp.Add(inner.Duration).After(outer.Timestamp.Add(outer.Duration))
}

func TestTracesCrossTheTransports(t *testing.T) {
	for _, transport := range []struct {
		name            string
		clientTransport string // the names of the transport spans
		serverTransport string
	}{
		{"HTTP", "POST /sum", "POST /sum"},
		{"gRPC", "/addsvc.Add/Sum", "/addsvc.Add/Sum"},
	} {
		t.Run(transport.name, func(t *testing.T) {
			serverTracer, serverSpans := recordingTracer(t, "addsvc")
			clientTracer, clientSpans := recordingTracer(t, "addcli")
			httpAddr, grpcAddr := tracedServers(t, addsvc.NewBasicService(), roomy, serverTracer)
			var client addsvc.Service
			if transport.name == "HTTP" {
				var err error
				client, err = addsvc.NewHTTPClient(httpAddr, clientTracer, roomy)
				require.NoError(t, err)
			} else {
				client = addsvc.NewGRPCClient(dialGRPC(t, grpcAddr), clientTracer, roomy)
			}

			v, err := client.Sum(context.Background(), 1, 2)
			require.NoError(t, err)
			assert.Equal(t, 3, v)

			cs := waitForSpans(t, clientSpans, 2)
			ss := waitForSpans(t, serverSpans, 2)
			clientEndpoint, clientTransport := cs["Sum"], cs[transport.clientTransport]
			serverTransport, serverEndpoint := ss[transport.serverTransport], ss["Sum"]

			// One trace, four spans, each the child of the one before.
			for _, s := range []model.SpanModel{clientTransport, serverTransport, serverEndpoint} {
				assert.Equal(t, clientEndpoint.TraceID, s.TraceID, s.Name)
			}
			assert.Nil(t, clientEndpoint.ParentID, "the client's endpoint span is the root")
			assert.Equal(t, model.Client, clientTransport.Kind)
			require.NotNil(t, clientTransport.ParentID)
			assert.Equal(t, clientEndpoint.ID, *clientTransport.ParentID)
			assert.Equal(t, model.Server, serverTransport.Kind)
			require.NotNil(t, serverTransport.ParentID)
			assert.Equal(t, clientTransport.ID, *serverTransport.ParentID)
			assert.NotEqual(t, clientTransport.ID, serverTransport.ID, "the server's span is its own, not shared")
			require.NotNil(t, serverEndpoint.ParentID)
			assert.Equal(t, serverTransport.ID, *serverEndpoint.ParentID)

			// The server's endpoint span sits inside its transport span, and
			// the client's transport span inside its endpoint span.
			assert.True(t, inside(serverEndpoint, serverTransport), "endpoint %v %v, server %v %v",
				serverEndpoint.Timestamp, serverEndpoint.Duration, serverTransport.Timestamp, serverTransport.Duration)
			assert.True(t, inside(clientTransport, clientEndpoint))

			// The gRPC server span knows its method.
			if transport.name == "gRPC" {
				assert.Equal(t, "/addsvc.Add/Sum", serverTransport.Tags["grpc.method"])
			}

			// Each side names itself.
			assert.Equal(t, "addcli", clientEndpoint.LocalEndpoint.ServiceName)
			assert.Equal(t, "addsvc", serverEndpoint.LocalEndpoint.ServiceName)

			// No error anywhere.
			for _, s := range []model.SpanModel{clientEndpoint, clientTransport, serverTransport, serverEndpoint} {
				assert.NotContains(t, s.Tags, string(zipkin.TagError), s.Name)
			}
		})
	}
}

func TestTracesTagBusinessErrors(t *testing.T) {
	for _, transport := range []string{"HTTP", "gRPC"} {
		t.Run(transport, func(t *testing.T) {
			serverTracer, serverSpans := recordingTracer(t, "addsvc")
			clientTracer, clientSpans := recordingTracer(t, "addcli")
			httpAddr, grpcAddr := tracedServers(t, addsvc.NewBasicService(), roomy, serverTracer)
			var client addsvc.Service
			if transport == "HTTP" {
				var err error
				client, err = addsvc.NewHTTPClient(httpAddr, clientTracer, roomy)
				require.NoError(t, err)
			} else {
				client = addsvc.NewGRPCClient(dialGRPC(t, grpcAddr), clientTracer, roomy)
			}

			_, err := client.Concat(context.Background(), "0123456789", "!")
			require.ErrorIs(t, err, addsvc.ErrMaxSizeExceeded)

			ss := waitForSpans(t, serverSpans, 2)
			assert.Equal(t, "result exceeds maximum size", ss["Concat"].Tags[string(zipkin.TagError)])
			cs := waitForSpans(t, clientSpans, 2)
			assert.Equal(t, "result exceeds maximum size", cs["Concat"].Tags[string(zipkin.TagError)])
		})
	}
}

func TestTracingEndpointMiddlewareTagsEveryError(t *testing.T) {
	for _, tt := range endpointCases {
		t.Run(tt.name, func(t *testing.T) {
			tracer, rec := recordingTracer(t, "addsvc")
			e := addsvc.TracingEndpointMiddleware(tracer, "Sum")(fixedEndpoint(tt.resp, tt.err))
			resp, err := e(context.Background(), addsvc.SumRequest{})
			assert.Equal(t, tt.resp, resp)
			assert.Equal(t, tt.err, err)

			spans := rec.Flush()
			require.Len(t, spans, 1)
			assert.Equal(t, "Sum", spans[0].Name)
			got, tagged := spans[0].Tags[string(zipkin.TagError)]
			if tt.success == "true" {
				assert.False(t, tagged, "tagged %q", got)
			} else {
				assert.Equal(t, tt.wantErr, got)
			}
		})
	}
}

func TestLogReporter(t *testing.T) {
	var buf bytes.Buffer
	tracer, _, err := addsvc.NewTracer("addsvc", "", addsvc.NewLogReporter(log.NewLogfmtLogger(&buf)), log.NewNopLogger())
	require.NoError(t, err)

	parent := tracer.StartSpan("POST /sum", zipkin.Kind(model.Server))
	child := tracer.StartSpan("Sum", zipkin.Parent(parent.Context()))
	zipkin.TagError.Set(child, "can't sum two zeroes")
	child.Finish()
	parent.Finish()

	records := decodeLogfmt(t, buf.Bytes())
	require.Len(t, records, 2)
	c, p := records[0], records[1]
	assert.Equal(t, "Sum", c["span"])
	assert.NotContains(t, c, "kind")
	assert.Equal(t, parent.Context().TraceID.String(), c["trace_id"])
	assert.Equal(t, child.Context().ID.String(), c["id"])
	assert.Equal(t, parent.Context().ID.String(), c["parent_id"])
	assert.Equal(t, "can't sum two zeroes", c["error"])
	_, err = time.ParseDuration(c["duration"])
	assert.NoError(t, err)

	assert.Equal(t, "POST /sum", p["span"])
	assert.Equal(t, "SERVER", p["kind"])
	assert.NotContains(t, p, "parent_id")
	assert.NotContains(t, p, "error")
}

func TestNewTracerRefusesABadURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9411", "ftp://127.0.0.1/", "http://", "::"} {
		_, _, err := addsvc.NewTracer("addsvc", u, reporter.NewNoopReporter(), log.NewNopLogger())
		assert.ErrorContains(t, err, "want http://host:port/api/v2/spans", u)
	}
}

func TestNewTracerLogsCollectorFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // no collector there

	var buf bytes.Buffer
	tracer, spans, err := addsvc.NewTracer("addsvc", "http://"+addr+"/api/v2/spans", reporter.NewNoopReporter(), log.NewLogfmtLogger(&buf))
	require.NoError(t, err)
	tracer.StartSpan("Sum").Finish()
	assert.ErrorContains(t, spans.Close(), "connection refused") // sends what is left, and fails

	records := decodeLogfmt(t, buf.Bytes())
	require.NotEmpty(t, records)
	assert.Len(t, records[0], 1, "one message, whole: %v", records[0])
	assert.Contains(t, records[0]["msg"], "http://"+addr+"/api/v2/spans")
	assert.Contains(t, records[0]["msg"], "connection refused")
}
