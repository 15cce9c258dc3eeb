package svckit

import (
	"fmt"
	"io"
	stdlog "log"
	"net/url"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	zipkinlog "github.com/openzipkin/zipkin-go/reporter/log"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step09-services/limits"
)

// The HTTP reporter's settings (zipkin-go's reporter/http options): it sends
// the spans in batches, from a backlog that it keeps bounded while the
// collector is slow or away. zipkin-go sends a batch when it holds
// spanBatchSize spans, and then again at every new span for as long as the
// collector fails; a batch size above the backlog makes it send once an
// interval only, whatever the collector does.
const (
	spanBacklog       = 10000           // spans kept waiting, at most: the oldest go first
	spanBatchSize     = spanBacklog + 1 // never reached: see above
	spanBatchInterval = time.Second     // zipkin-go's default
	SpanSendTimeout   = time.Second     // for one batch to reach the collector
	SpanCloseTimeout  = 3 * SpanSendTimeout
	SpanLogBudget     = 100 // spans written to the log a second, at most, without a collector
)

// NewTracer returns the tracer of the service called name, and the
// reporter of its spans (slides 87–88). With a zipkinURL, such as
// http://127.0.0.1:9411/api/v2/spans, the reporter sends them to that
// Zipkin-compatible collector, and logs its failures to logger (which
// counts them); without one, it writes each span to spanLog as the JSON
// that a collector would get, up to SpanLogBudget a second, and counts the
// others to logger. Close the reporter before exiting, so that the last
// spans are sent: it returns within SpanCloseTimeout.
//
// sampleRate is the share of new traces recorded: 0, 1, or from 0.01 to 1
// (zipkin-go's counting sampler). A call that carries its caller's
// decision follows it.
func NewTracer(name, zipkinURL string, sampleRate float64, logger log.Logger, spanLog io.Writer) (*zipkin.Tracer, reporter.Reporter, error) {
	if sampleRate != sampleRate { // NaN, on which zipkin-go panics
		return nil, nil, fmt.Errorf("-zipkin-sample-rate: want 0, or 0.01 to 1, not %v", sampleRate)
	}
	sampler, err := zipkin.NewCountingSampler(sampleRate)
	if err != nil {
		return nil, nil, fmt.Errorf("-zipkin-sample-rate: %w", err)
	}
	rep := limits.SpanBudget(zipkinlog.NewReporter(stdlog.New(spanLog, "span ", 0)),
		rate.NewLimiter(SpanLogBudget, SpanLogBudget), logger)
	if zipkinURL != "" {
		u, err := url.Parse(zipkinURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("-zipkin-url %q: want http://host:port/api/v2/spans", zipkinURL)
		}
		rep = zipkinhttp.NewReporter(zipkinURL,
			zipkinhttp.BatchSize(spanBatchSize),
			zipkinhttp.BatchInterval(spanBatchInterval),
			zipkinhttp.MaxBacklog(spanBacklog),
			zipkinhttp.Timeout(SpanSendTimeout),
			// Its failures, as logfmt lines: source= is the reporter's line.
			zipkinhttp.Logger(stdlog.New(log.NewStdlibAdapter(logger, log.FileKey("source")), "", stdlog.Lshortfile)),
		)
	}
	// The program's name only: a service listens on more than one port.
	local, err := zipkin.NewEndpoint(name, "")
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin endpoint: %w", err)
	}
	// A server's span is a child of its caller's rather than a share of it,
	// so that each shows as its own span in a trace.
	tracer, err := zipkin.NewTracer(rep,
		zipkin.WithLocalEndpoint(local),
		zipkin.WithSampler(sampler),
		zipkin.WithSharedSpans(false),
	)
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin tracer: %w", err)
	}
	return tracer, closeWithin{SpanCloseTimeout, rep}, nil
}

// closeWithin is a reporter whose Close gives up after its timeout: the
// HTTP reporter's Close waits for the batch in flight and then sends the
// last, and neither may hold the service's exit.
type closeWithin struct {
	timeout time.Duration
	reporter.Reporter
}

// Close closes the reporter, or gives up on it after the timeout.
func (r closeWithin) Close() error {
	done := make(chan error, 1)
	go func() { done <- r.Reporter.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(r.timeout):
		return fmt.Errorf("the collector did not take the last spans within %v", r.timeout)
	}
}
