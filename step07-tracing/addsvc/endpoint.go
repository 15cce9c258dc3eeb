package addsvc

import (
	"context"
	"fmt"
	"time"

	"github.com/go-kit/kit/circuitbreaker"
	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/kit/ratelimit"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"
	"golang.org/x/time/rate"
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

// MakeSumEndpoint returns an endpoint that calls svc.Sum (slide 72). A
// broken business rule comes back inside the response; any other error is
// the endpoint's error, which the circuit breaker counts.
func MakeSumEndpoint(svc Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(SumRequest)
		v, err := svc.Sum(ctx, req.A, req.B)
		if err != nil && !isBusinessError(err) {
			return nil, err
		}
		return SumResponse{V: v, Err: err}, nil
	}
}

// MakeConcatEndpoint returns an endpoint that calls svc.Concat; see
// MakeSumEndpoint.
func MakeConcatEndpoint(svc Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ConcatRequest)
		v, err := svc.Concat(ctx, req.A, req.B)
		if err != nil && !isBusinessError(err) {
			return nil, err
		}
		return ConcatResponse{V: v, Err: err}, nil
	}
}

// Endpoints collects the service's endpoints. It implements Service too, so
// that code holding endpoints (a client, in step 6) can be used as the
// service itself.
type Endpoints struct {
	SumEndpoint    endpoint.Endpoint
	ConcatEndpoint endpoint.Endpoint
}

// Sum calls the Sum endpoint.
func (e Endpoints) Sum(ctx context.Context, a, b int) (int, error) {
	resp, err := e.SumEndpoint(ctx, SumRequest{A: a, B: b})
	if err != nil {
		return 0, err
	}
	r := resp.(SumResponse)
	return r.V, r.Err
}

// Concat calls the Concat endpoint.
func (e Endpoints) Concat(ctx context.Context, a, b string) (string, error) {
	resp, err := e.ConcatEndpoint(ctx, ConcatRequest{A: a, B: b})
	if err != nil {
		return "", err
	}
	r := resp.(ConcatResponse)
	return r.V, r.Err
}

// Limits sets the rate limiter of each endpoint: Rate requests a second on
// average, and bursts of up to Burst requests.
type Limits struct {
	Rate  rate.Limit
	Burst int
}

// The circuit breaker of each endpoint opens after BreakerFailures
// consecutive failures of the endpoint, answers ErrOpenState while open, and
// after BreakerTimeout lets one trial request through: if it succeeds, the
// breaker closes again.
const (
	BreakerFailures = 5
	BreakerTimeout  = 10 * time.Second
)

// NewEndpoints returns the endpoints of svc, each wrapped in its endpoint
// middlewares. A request passes them from the outside in:
//
//  1. tracing: a span around the rest, tagged with the error if any;
//  2. instrumenting: observes the duration in addsvc_request_duration_seconds;
//  3. logging: logs the error, if any, and how long the call took;
//  4. rate limiter: answers ratelimit.ErrLimited over the limit;
//  5. circuit breaker: answers gobreaker.ErrOpenState while open.
//
// The limiter sits outside the breaker, so that requests refused for the
// rate never count as failures; broken business rules travel inside the
// response, so they never count either.
func NewEndpoints(svc Service, logger log.Logger, duration metrics.Histogram, tracer *zipkin.Tracer, limits Limits) Endpoints {
	return Endpoints{
		SumEndpoint:    protect("Sum", MakeSumEndpoint(svc), logger, duration, tracer, limits),
		ConcatEndpoint: protect("Concat", MakeConcatEndpoint(svc), logger, duration, tracer, limits),
	}
}

// protect wraps the endpoint called method in the endpoint middlewares of
// NewEndpoints, innermost first.
func protect(method string, e endpoint.Endpoint, logger log.Logger, duration metrics.Histogram, tracer *zipkin.Tracer, limits Limits) endpoint.Endpoint {
	e = circuitBreaker(method)(e)
	e = ratelimit.NewErroringLimiter(rate.NewLimiter(limits.Rate, limits.Burst))(e)
	e = LoggingEndpointMiddleware(log.With(logger, "method", method))(e)
	e = InstrumentingEndpointMiddleware(duration.With("method", method))(e)
	e = TracingEndpointMiddleware(tracer, method)(e)
	return e
}

// circuitBreaker returns the circuit breaker of the endpoint called method.
func circuitBreaker(method string) endpoint.Middleware {
	return circuitbreaker.Gobreaker(gobreaker.NewCircuitBreaker(gobreaker.Settings{
		Name:        method,
		MaxRequests: 1,
		Timeout:     BreakerTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= BreakerFailures
		},
	}))
}

// LoggingEndpointMiddleware logs every call of the endpoint: its error, if
// any (see callError), and how long it took.
func LoggingEndpointMiddleware(logger log.Logger) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (response any, err error) {
			defer func(begin time.Time) {
				logger.Log("err", callError(response, err), "took", time.Since(begin))
			}(time.Now())
			return next(ctx, request)
		}
	}
}

// InstrumentingEndpointMiddleware observes the duration of every call of the
// endpoint in seconds, labelled success="true" or "false" (see callError).
func InstrumentingEndpointMiddleware(duration metrics.Histogram) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (response any, err error) {
			defer func(begin time.Time) {
				success := callError(response, err) == nil
				duration.With("success", fmt.Sprint(success)).Observe(time.Since(begin).Seconds())
			}(time.Now())
			return next(ctx, request)
		}
	}
}

// callError is the error that the caller of an endpoint gets: the endpoint's
// own error, or else the broken business rule inside its response.
func callError(response any, err error) error {
	if err != nil {
		return err
	}
	if f, ok := response.(endpoint.Failer); ok {
		return f.Failed()
	}
	return nil
}
