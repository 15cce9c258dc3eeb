package addendpoint_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// benchLogger returns a logger like the command's, writing to a file as when
// a person redirects the service's log.
func benchLogger(b *testing.B) log.Logger {
	b.Helper()
	f, err := os.Create(filepath.Join(b.TempDir(), "addsvc.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	logger := log.NewLogfmtLogger(log.NewSyncWriter(f))
	return log.With(logger, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
}

// benchEndpoints returns the endpoints as the command composes them, with
// Prometheus metrics (the command's duration histogram), limits that are never
// reached, and every call traced.
func benchEndpoints(b *testing.B) addendpoint.Set {
	logger := benchLogger(b)
	counter := func(name string) *kitprometheus.Counter {
		return kitprometheus.NewCounter(prometheus.NewCounterVec(prometheus.CounterOpts{Name: name}, nil))
	}
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "request_duration_seconds",
		Buckets: []float64{
			.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005,
			.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10,
		},
		NativeHistogramBucketFactor:     1.1,
		NativeHistogramMaxBucketNumber:  160,
		NativeHistogramMinResetDuration: time.Hour,
	}, []string{"method", "success"})
	// Spans are recorded, and then dropped: the round trips of cmd/addsvc
	// report them as the command does.
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter(), zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
	if err != nil {
		b.Fatal(err)
	}
	var svc addservice.Service
	svc = addservice.NewBasicService()
	svc = addservice.LoggingMiddleware(log.With(logger, "layer", "service"))(svc)
	svc = addservice.InstrumentingMiddleware(counter("ints"), counter("chars"))(svc)
	return addendpoint.New(svc, log.With(logger, "layer", "endpoint"), kitprometheus.NewHistogram(duration), tracer,
		addendpoint.Limits{Rate: rate.Inf})
}

// BenchmarkEndpoint measures one call of the Sum endpoint in its endpoint
// middlewares, around the service in its own, as the command composes them.
func BenchmarkEndpoint(b *testing.B) {
	sum := benchEndpoints(b).SumEndpoint
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := sum(ctx, addendpoint.SumRequest{A: 1, B: 2})
		if r, ok := resp.(addendpoint.SumResponse); err != nil || !ok || r.V != 3 || r.Err != nil {
			b.Fatalf("Sum endpoint answered %#v, %v; want 3", resp, err)
		}
	}
}
