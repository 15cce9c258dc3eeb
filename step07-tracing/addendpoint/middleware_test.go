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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step07-tracing/addendpoint"
	"github.com/gokit-workshop/workshop/step07-tracing/addservice"
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
	{"endpoint error", nil, ratelimit.ErrLimited, "rate limit exceeded", "false"},
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
