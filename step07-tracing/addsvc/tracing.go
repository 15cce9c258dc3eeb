package addsvc

import (
	"context"
	"fmt"
	stdlog "log"
	"net/url"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
)

// NewTracer returns the tracer of the program called name, and the reporter
// that sends its spans. With
// a zipkinURL (such as http://127.0.0.1:9411/api/v2/spans) the spans go to
// that Zipkin-compatible collector in batches, and its failures are logged
// to logger; without one they go to fallback. Close the reporter before
// exiting, so that the last spans are sent.
//
// Every call is sampled, and a server's span is a child of its caller's
// rather than a share of it, so that each shows as its own span in a trace.
func NewTracer(name, zipkinURL string, fallback reporter.Reporter, logger log.Logger) (*zipkin.Tracer, reporter.Reporter, error) {
	rep := fallback
	if zipkinURL != "" {
		u, err := url.Parse(zipkinURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("zipkin URL %q: want http://host:port/api/v2/spans", zipkinURL)
		}
		rep = zipkinhttp.NewReporter(zipkinURL, zipkinhttp.Logger(stdlog.New(logWriter{logger}, "", 0)))
	}
	// The program's name only: a service listens on more than one port.
	local, err := zipkin.NewEndpoint(name, "")
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin endpoint of %s: %w", name, err)
	}
	tracer, err := zipkin.NewTracer(rep,
		zipkin.WithLocalEndpoint(local),
		zipkin.WithSampler(zipkin.AlwaysSample),
		zipkin.WithSharedSpans(false),
	)
	if err != nil {
		rep.Close()
		return nil, nil, fmt.Errorf("zipkin tracer: %w", err)
	}
	return tracer, rep, nil
}

// TracingEndpointMiddleware gives every call of the endpoint a span called
// name, a child of the span in the context (the transport's), and tags the
// span with the error that the caller gets, broken business rules included
// (see callError).
func TracingEndpointMiddleware(tracer *zipkin.Tracer, name string) endpoint.Middleware {
	trace := kitzipkin.TraceEndpoint(tracer, name)
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return trace(func(ctx context.Context, request any) (any, error) {
			response, err := next(ctx, request)
			if cerr := callError(response, err); cerr != nil {
				if span := zipkin.SpanFromContext(ctx); span != nil {
					zipkin.TagError.Set(span, cerr.Error())
				}
			}
			return response, err
		})
	}
}

// logWriter logs each line written to it as the message of one log line.
type logWriter struct {
	logger log.Logger
}

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.Log("msg", strings.TrimSpace(string(p)))
	return len(p), nil
}

// NewLogReporter returns a span reporter that writes every finished span to
// logger as one logfmt line, so that traces can be seen with no collector.
func NewLogReporter(logger log.Logger) reporter.Reporter {
	return logReporter{logger: logger}
}

type logReporter struct {
	logger log.Logger
}

// Send logs the span s.
func (r logReporter) Send(s model.SpanModel) {
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
