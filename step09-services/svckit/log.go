// Package svckit holds what both of step 9's services, addsvc and
// stringsvc, build in main the same way: the log, the tracer, the Go and
// process metrics, and the run group that serves and shuts down. It moved
// here from cmd/addsvc unchanged but for names, so that cmd/stringsvc does
// not copy it. It knows nothing of either service.
package svckit

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/go-kit/kit/ratelimit"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sony/gobreaker"
	"go.uber.org/zap/zapcore"

	"github.com/gokit-workshop/workshop/step09-services/limits"
)

// The log: a value whose length a caller chooses is cut to MaxLoggedBytes,
// so that no line goes over 1 KB, and the transports' errors, which come in
// floods, are written at most once a second of each kind, with counts.
const (
	MaxLoggedBytes   = 256
	LogCountPeriod   = time.Second
	logBufferSize    = 64 << 10               // zap's buffered writer: lines wait at most...
	logFlushInterval = 100 * time.Millisecond // ...this long, and this many bytes of them
)

// NewLogWriter returns the log's writer to w: zap's buffered writer, which
// writes the lines out together, within logFlushInterval, rather than with
// a system call each as log.NewSyncWriter does (BenchmarkLogPath compares
// them). A line is lost if the process dies (a panic, SIGKILL) before it is
// written: stop the writer on the way out.
func NewLogWriter(w io.Writer) *zapcore.BufferedWriteSyncer {
	return &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(w), Size: logBufferSize, FlushInterval: logFlushInterval}
}

// NewLogger returns the service's logger to w: go-kit's logfmt, with a
// timestamp and the file and line that logs, and its values cut to
// MaxLoggedBytes.
func NewLogger(w io.Writer) log.Logger {
	logger := limits.Bounded(log.NewLogfmtLogger(w), MaxLoggedBytes)
	return log.With(logger, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
}

// LogKind names the kind of a line of the transports' and the tracer's
// logger, for the counting logger (limits.NewCounting): each refusal that
// floods are made of is a kind of its own, and so is every other error of
// a transport, and every line of the tracer. The names come from here,
// never from the line's text.
func LogKind(keyvals []any) string {
	kind := "other"
	for i := 0; i+1 < len(keyvals); i += 2 {
		switch v := keyvals[i+1].(type) {
		case error:
			switch {
			case errors.Is(v, ratelimit.ErrLimited):
				return "rate limited"
			case errors.Is(v, gobreaker.ErrOpenState), errors.Is(v, gobreaker.ErrTooManyRequests):
				return "breaker open"
			case errors.Is(v, context.Canceled), errors.Is(v, context.DeadlineExceeded):
				return "gone"
			}
			return "error"
		case string:
			if keyvals[i] == "layer" && v == "tracing" {
				kind = "tracing"
			}
		}
	}
	return kind
}

// NewRegistry returns a Prometheus registry of the service's own (no global
// state) that holds the Go runtime's and the process's metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// DurationBuckets returns the buckets of the request duration histograms:
// from 10 µs, as a call takes tens of microseconds, to 10 s, the servers'
// timeout.
func DurationBuckets() []float64 {
	return []float64{
		.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005,
		.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10,
	}
}
