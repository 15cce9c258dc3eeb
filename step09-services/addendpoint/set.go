// Package addendpoint is the middle layer of the add service's onion (slides
// 68–76): one go-kit endpoint per method of the service, the request and
// response types that they take and give, and the endpoint middlewares
// around them: a rate limiter, a circuit breaker, logging and a duration
// histogram, and a tracing span (slides 85–88). It depends on the service; it
// knows nothing of HTTP.
package addendpoint

import (
	"context"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// SumRequest is the request of the Sum endpoint (slide 73).
type SumRequest struct {
	A int `json:"a"`
	B int `json:"b"`
}

// SumResponse is the response of the Sum endpoint. A broken business rule
// travels in Err, so that it reaches the caller without being a failure of
// the endpoint (see Failed).
type SumResponse struct {
	V   int   `json:"v"`
	Err error `json:"-"`
}

// Failed implements endpoint.Failer.
func (r SumResponse) Failed() error { return r.Err }

// ConcatRequest is the request of the Concat endpoint.
type ConcatRequest struct {
	A string `json:"a"`
	B string `json:"b"`
}

// ConcatResponse is the response of the Concat endpoint; see SumResponse.
type ConcatResponse struct {
	V   string `json:"v"`
	Err error  `json:"-"`
}

// Failed implements endpoint.Failer.
func (r ConcatResponse) Failed() error { return r.Err }

// The responses carry broken business rules, and the set is the service.
var (
	_ endpoint.Failer    = SumResponse{}
	_ endpoint.Failer    = ConcatResponse{}
	_ addservice.Service = Set{}
)

// MakeSumEndpoint returns an endpoint that calls svc.Sum (slide 72). A
// broken business rule comes back inside the response; any other error is
// the endpoint's error, which the circuit breaker counts.
func MakeSumEndpoint(svc addservice.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(SumRequest)
		v, err := svc.Sum(ctx, req.A, req.B)
		if err != nil && !addservice.IsBusinessError(err) {
			return nil, err
		}
		return SumResponse{V: v, Err: err}, nil
	}
}

// MakeConcatEndpoint returns an endpoint that calls svc.Concat; see
// MakeSumEndpoint.
func MakeConcatEndpoint(svc addservice.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ConcatRequest)
		v, err := svc.Concat(ctx, req.A, req.B)
		if err != nil && !addservice.IsBusinessError(err) {
			return nil, err
		}
		return ConcatResponse{V: v, Err: err}, nil
	}
}

// Set collects the service's endpoints. It implements addservice.Service
// too, so that code holding endpoints (a client, in step 6) can be used as
// the service itself.
type Set struct {
	SumEndpoint    endpoint.Endpoint
	ConcatEndpoint endpoint.Endpoint
}

// Sum calls the Sum endpoint.
func (s Set) Sum(ctx context.Context, a, b int) (int, error) {
	resp, err := s.SumEndpoint(ctx, SumRequest{A: a, B: b})
	if err != nil {
		return 0, err
	}
	r := resp.(SumResponse)
	return r.V, r.Err
}

// Concat calls the Concat endpoint.
func (s Set) Concat(ctx context.Context, a, b string) (string, error) {
	resp, err := s.ConcatEndpoint(ctx, ConcatRequest{A: a, B: b})
	if err != nil {
		return "", err
	}
	r := resp.(ConcatResponse)
	return r.V, r.Err
}

// New returns the endpoints of svc, each wrapped in its endpoint
// middlewares. A request passes them from the outside in:
//
//  1. RefuseDone: refuses a call whose context is already done, unrun;
//  2. tracing: a span around the rest, tagged with the error if any;
//  3. instrumenting: observes the duration in addsvc_request_duration_seconds;
//  4. logging: logs the error, if any, and how long the call took, but not
//     the refusals of 5 and 6, which the transports count;
//  5. rate limiter: answers ratelimit.ErrLimited over the limit;
//  6. circuit breaker: answers gobreaker.ErrOpenState while open.
//
// The limiter sits outside the breaker, so that requests refused for the
// rate never count as failures; broken business rules travel inside the
// response, so they never count either.
func New(svc addservice.Service, logger log.Logger, duration metrics.Histogram, tracer *zipkin.Tracer, limits Limits) Set {
	return Set{
		SumEndpoint:    protect("Sum", MakeSumEndpoint(svc), logger, duration, tracer, limits),
		ConcatEndpoint: protect("Concat", MakeConcatEndpoint(svc), logger, duration, tracer, limits),
	}
}

// protect wraps the endpoint called method in the endpoint middlewares of
// New, innermost first.
func protect(method string, e endpoint.Endpoint, logger log.Logger, duration metrics.Histogram, tracer *zipkin.Tracer, limits Limits) endpoint.Endpoint {
	e = CircuitBreaker(method)(e)
	e = RateLimiter(limits)(e)
	e = LoggingMiddleware(log.With(logger, "method", method))(e)
	e = InstrumentingMiddleware(duration.With("method", method))(e)
	e = TracingMiddleware(tracer, method)(e)
	e = RefuseDone(e)
	return e
}
