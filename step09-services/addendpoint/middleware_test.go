package addendpoint_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/kit/ratelimit"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// endpointCases are the three kinds of outcome an endpoint middleware sees.
var endpointCases = []struct {
	name    string
	resp    any
	err     error
	wantErr string // the logged err
	success string // the success label
}{
	{"success", addendpoint.SumResponse{V: 3}, nil, "null", "true"},
	{"business error", addendpoint.SumResponse{Err: addservice.ErrTwoZeroes}, nil, "can't sum two zeroes", "false"},
	{"endpoint error", nil, errDatabase, "database unreachable", "false"},
}

func TestLoggingMiddleware(t *testing.T) {
	for _, tt := range endpointCases {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := addendpoint.LoggingMiddleware(log.NewLogfmtLogger(&buf))(fixedEndpoint(tt.resp, tt.err))
			resp, err := e(context.Background(), addendpoint.SumRequest{})
			assert.Equal(t, tt.resp, resp)
			assert.Equal(t, tt.err, err)

			records := decodeLogfmt(t, buf.Bytes())
			require.Len(t, records, 1)
			assert.Equal(t, tt.wantErr, records[0]["err"])
			_, err = time.ParseDuration(records[0]["took"])
			require.NoError(t, err, "took=%q", records[0]["took"])
			assert.Len(t, records[0], 2, "only err and took: %v", records[0])
		})
	}
}

func TestLoggingMiddlewareLeavesOutRefusals(t *testing.T) {
	for _, refusal := range []error{ratelimit.ErrLimited, gobreaker.ErrOpenState, gobreaker.ErrTooManyRequests} {
		var buf bytes.Buffer
		e := addendpoint.LoggingMiddleware(log.NewLogfmtLogger(&buf))(fixedEndpoint(nil, refusal))
		_, err := e(context.Background(), addendpoint.SumRequest{})
		assert.Equal(t, refusal, err, "passed on")
		assert.Empty(t, buf.String(), "%v is logged by the transports, as a count", refusal)
	}
}

func TestRefuseDone(t *testing.T) {
	calls := 0
	e := addendpoint.RefuseDone(func(context.Context, any) (any, error) {
		calls++
		return addendpoint.SumResponse{V: 3}, nil
	})
	resp, err := e(context.Background(), addendpoint.SumRequest{})
	require.NoError(t, err)
	assert.Equal(t, addendpoint.SumResponse{V: 3}, resp)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e(ctx, addendpoint.SumRequest{})
	assert.Equal(t, context.Canceled, err)
	ctx, cancel = context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	_, err = e(ctx, addendpoint.SumRequest{})
	assert.Equal(t, context.DeadlineExceeded, err)
	assert.Equal(t, 1, calls, "only the live call ran")
}

func TestInstrumentingMiddleware(t *testing.T) {
	reg := prometheus.NewRegistry()
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "addsvc_request_duration_seconds"}, []string{"method", "success"})
	reg.MustRegister(hv)
	duration := kitprometheus.NewHistogram(hv).With("method", "Sum")

	for _, tt := range endpointCases {
		e := addendpoint.InstrumentingMiddleware(duration)(fixedEndpoint(tt.resp, tt.err))
		for range 3 {
			resp, err := e(context.Background(), addendpoint.SumRequest{})
			assert.Equal(t, tt.resp, resp)
			assert.Equal(t, tt.err, err)
		}
	}
	assert.Equal(t, map[string]uint64{
		`method="Sum",success="true"`:  3,
		`method="Sum",success="false"`: 6,
	}, histogramCounts(t, reg, "addsvc_request_duration_seconds"))
}

func TestTracingMiddlewareTagsEveryError(t *testing.T) {
	for _, tt := range endpointCases {
		t.Run(tt.name, func(t *testing.T) {
			tracer, rec := recordingTracer(t, "addsvc")
			e := addendpoint.TracingMiddleware(tracer, "Sum")(fixedEndpoint(tt.resp, tt.err))
			resp, err := e(context.Background(), addendpoint.SumRequest{})
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
