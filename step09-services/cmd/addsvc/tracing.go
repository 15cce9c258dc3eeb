package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	"golang.org/x/time/rate"
)

// The reporter's bounds: whatever the collector does (refuse connections,
// answer 500, answer slowly, or never), the service keeps at most
// maxBacklog spans waiting (and at most as many on their way), logs its
// failures as counts, and exits within closeTimeout of its last call.
const (
	sendTimeout   = time.Second // for one batch to reach the collector and be answered
	maxBacklog    = 10000       // spans kept while the collector is slow or fails; the oldest go first
	closeTimeout  = 2*sendTimeout + 500*time.Millisecond
	spanLogBudget = 100 // spans written to the log a second, at most, without a collector
)

// newTracer returns the service's tracer and the reporter that sends its
// spans: with a zipkinURL (such as http://127.0.0.1:9411/api/v2/spans) to
// that Zipkin-compatible collector, in batches (see batchReporter), with the collector's
// failures logged to counted (a logger that counts them); without one, to
// logger itself, one line a span, up to spanLogBudget a second (see
// logReporter). Close the reporter before exiting, so that the last spans
// are sent: it returns within closeTimeout.
//
// sampleRate is the share of new traces that are recorded (see newSampler).
// A server's span is a child of its caller's rather than a share of it, so
// that each shows as its own span in a trace.
func newTracer(zipkinURL string, sampleRate float64, logger, counted log.Logger) (*zipkin.Tracer, reporter.Reporter, error) {
	sampler, err := newSampler(sampleRate)
	if err != nil {
		return nil, nil, err
	}
	var rep reporter.Reporter = logReporter{
		logger:      logger,
		budget:      rate.NewLimiter(spanLogBudget, spanLogBudget),
		dropped:     counted,
		droppedLine: []any{"msg", "spans not logged: over " + strconv.Itoa(spanLogBudget) + " a second"},
	}
	if zipkinURL != "" {
		u, err := url.Parse(zipkinURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("zipkin URL %q: want http://host:port/api/v2/spans", zipkinURL)
		}
		rep = closeWithin{closeTimeout, newBatchReporter(zipkinURL, &http.Client{Timeout: sendTimeout}, spanJSON{}, counted,
			batchSize, batchInterval, maxBacklog)}
	}
	// The program's name only: a service listens on more than one port.
	local, err := zipkin.NewEndpoint("addsvc", "")
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin endpoint: %w", err)
	}
	tracer, err := zipkin.NewTracer(rep,
		zipkin.WithLocalEndpoint(local),
		zipkin.WithSampler(sampler),
		zipkin.WithSharedSpans(false),
	)
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin tracer: %w", err)
	}
	return tracer, rep, nil
}

// newSampler returns the sampler of new traces: it records the share rate of
// them, from 0 (none) to 1 (all). It decides only for the traces that start
// here: a call that carries its caller's decision (B3's sampled flag) is
// recorded, or not, as the caller decided, and the decision goes on to the
// spans below it. So with 0 the service starts no trace of its own but still
// takes part in the traces of callers that record theirs.
func newSampler(rate float64) (zipkin.Sampler, error) {
	switch {
	case rate == 1:
		return zipkin.AlwaysSample, nil
	case rate == 0:
		return zipkin.NeverSample, nil
	case !(rate > 0 && rate < 1): // refuses NaN too
		return nil, fmt.Errorf("zipkin sample rate %v: want 0 to 1", rate)
	}
	// Trace IDs are random: keeping those below rate×2⁶⁴ keeps that share of
	// the traces, and decides the same for the same trace every time.
	// (zipkin.NewBoundarySampler would keep over half of them whatever the
	// rate, on amd64: it turns the ID into an int64 through a float64, and
	// every ID of 2⁶³ or more comes out negative, below its boundary.)
	below := uint64(rate * (1 << 64))
	return func(id uint64) bool { return id < below }, nil
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

// logReporter is a span reporter that writes finished spans to its logger,
// one logfmt line each, so that traces can be seen with no collector. It
// writes at most its budget of spans, and counts the others to dropped.
type logReporter struct {
	logger      log.Logger
	budget      *rate.Limiter
	dropped     log.Logger
	droppedLine []any // what dropped is told of each span not logged
}

var _ reporter.Reporter = logReporter{}

// Send logs the span s, if the budget allows.
func (r logReporter) Send(s model.SpanModel) {
	if !r.budget.Allow() {
		r.dropped.Log(r.droppedLine...)
		return
	}
	keyvals := []any{"span", s.Name}
	if s.Kind != model.Undetermined {
		keyvals = append(keyvals, "kind", s.Kind)
	}
	keyvals = append(keyvals, "trace_id", s.TraceID, "id", s.ID)
	if s.ParentID != nil {
		keyvals = append(keyvals, "parent_id", *s.ParentID)
	}
	keyvals = append(keyvals, "duration", s.Duration)
	if e, ok := s.Tags[string(zipkin.TagError)]; ok {
		keyvals = append(keyvals, "error", e)
	}
	r.logger.Log(keyvals...)
}

// Close does nothing: every span is logged when it is sent.
func (r logReporter) Close() error { return nil }
