package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	stdlog "log"
	"net/url"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	zipkinlog "github.com/openzipkin/zipkin-go/reporter/log"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step08-production/limits"
)

// The HTTP reporter's options. zipkin-go sends a batch when it holds
// BatchSize spans, and then again at every new span for as long as the
// collector fails; a BatchSize above MaxBacklog makes it send once a
// BatchInterval only, whatever the collector does: at most maxBacklog spans
// (about 2 MB of JSON) a second, each try within sendTimeout.
const (
	sendTimeout   = time.Second     // for one batch to reach the collector and be answered
	batchInterval = time.Second     // zipkin-go's default
	maxBacklog    = 10000           // spans kept while the collector is slow or fails; the oldest go first
	batchSize     = maxBacklog + 1  // never reached: see above
	closeTimeout  = 3 * sendTimeout // Close: the batch in flight, one due, and the last
	spanLogBudget = 100             // spans written to the log a second, at most, without a collector
)

// newTracer returns the service's tracer and the reporter that sends its
// spans: with a zipkinURL (such as http://127.0.0.1:9411/api/v2/spans) to
// that Zipkin-compatible collector, with zipkin-go's HTTP reporter, its
// failures logged to counted (a logger that counts them); without one, to
// logger, with zipkin-go's log reporter, up to spanLogBudget spans a second.
// Close the reporter before exiting, so that the last spans are sent: it
// returns within closeTimeout.
//
// sampleRate is the share of new traces that are recorded (see newSampler).
// A server's span is a child of its caller's rather than a share of it, so
// that each shows as its own span in a trace.
func newTracer(zipkinURL string, sampleRate float64, logger, counted log.Logger) (*zipkin.Tracer, reporter.Reporter, error) {
	sampler, err := newSampler(sampleRate)
	if err != nil {
		return nil, nil, err
	}
	rep := limits.SpanBudget(zipkinlog.NewReporter(stdlog.New(spanWriter{logger}, "", 0)),
		rate.NewLimiter(spanLogBudget, spanLogBudget), counted)
	if zipkinURL != "" {
		u, err := url.Parse(zipkinURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("zipkin URL %q: want http://host:port/api/v2/spans", zipkinURL)
		}
		rep = zipkinhttp.NewReporter(zipkinURL,
			zipkinhttp.Timeout(sendTimeout),
			zipkinhttp.BatchInterval(batchInterval),
			zipkinhttp.BatchSize(batchSize),
			zipkinhttp.MaxBacklog(maxBacklog),
			zipkinhttp.Logger(stdlog.New(msgWriter{counted}, "", 0)),
		)
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

// newSampler returns the sampler of new traces, zipkin-go's counting
// sampler: it records the share rate of them, 0 (none), or 0.01 to 1 (all),
// to the percent. It decides only for the traces that start here: a call
// that carries its caller's decision (B3's sampled flag) is recorded, or
// not, as the caller decided, and the decision goes on to the spans below
// it. So with 0 the service starts no trace of its own but still takes part
// in the traces of callers that record theirs.
//
// (zipkin-go's boundary sampler, which decides by trace ID, keeps over half
// of the traces whatever the rate, on amd64: it turns the ID into an int64
// through a float64, and every ID of 2⁶³ or more comes out negative, below
// its boundary. Deciding once a trace, where it starts, the counting
// sampler needs no ID.)
func newSampler(rate float64) (zipkin.Sampler, error) {
	if !(rate >= 0 && rate <= 1) { // refuses NaN too, which zipkin-go does not
		return nil, fmt.Errorf("zipkin sample rate %v: want 0, or 0.01 to 1", rate)
	}
	sampler, err := zipkin.NewCountingSampler(rate)
	if err != nil {
		return nil, fmt.Errorf("zipkin sample rate %v: want 0, or 0.01 to 1", rate)
	}
	return sampler, nil
}

// msgWriter is the writer of a reporter's standard logger: it logs each of
// its lines as msg. (go-kit's log.NewStdlibAdapter would look for a date,
// a time and a file at the start of each line, and take a piece of a URL
// with a port for a file.)
type msgWriter struct{ logger log.Logger }

func (w msgWriter) Write(p []byte) (int, error) {
	w.logger.Log("msg", strings.TrimSpace(string(p)))
	return len(p), nil
}

// spanWriter is the writer of the log reporter's standard logger, which
// writes a span as its time, a colon and its JSON, indented, on lines of
// their own: it logs the JSON on one line, as span, with no time but the
// log's own.
type spanWriter struct{ logger log.Logger }

func (w spanWriter) Write(p []byte) (int, error) {
	var span bytes.Buffer
	if _, js, ok := bytes.Cut(p, []byte(":\n")); !ok || json.Compact(&span, js) != nil {
		return msgWriter(w).Write(p)
	}
	w.logger.Log("span", span.String())
	return len(p), nil
}
