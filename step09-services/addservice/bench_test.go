package addservice_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

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

// benchCounter returns a counter backed by Prometheus, as the command's.
func benchCounter(name string) *kitprometheus.Counter {
	return kitprometheus.NewCounter(prometheus.NewCounterVec(prometheus.CounterOpts{Name: name}, nil))
}

// BenchmarkService measures one call of the service in its middlewares, as
// the command composes them: business logic, logging, instrumenting.
func BenchmarkService(b *testing.B) {
	var svc addservice.Service
	svc = addservice.NewBasicService()
	svc = addservice.LoggingMiddleware(log.With(benchLogger(b), "layer", "service"))(svc)
	svc = addservice.InstrumentingMiddleware(benchCounter("ints"), benchCounter("chars"))(svc)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if v, err := svc.Sum(ctx, 1, 2); v != 3 || err != nil {
			b.Fatalf("Sum(1, 2) = %d, %v; want 3", v, err)
		}
	}
}
