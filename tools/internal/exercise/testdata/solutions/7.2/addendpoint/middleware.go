package addendpoint

// A solution of exercise 7.2 that differs from the reference in its names and
// its shape: the span is started and finished by hand, with the tracer's
// StartSpanFromContext instead of go-kit's TraceEndpoint, and tagged in a
// deferred function through a helper.

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

// Limits sets the rate limiter of each endpoint: Rate requests a second on
// average, and bursts of up to Burst requests.
type Limits struct {
	Rate  rate.Limit
	Burst int
}

// RateLimiter refuses calls beyond limits with ratelimit.ErrLimited, without
// waiting (slide 74). Each call of RateLimiter makes a limiter of its own.
func RateLimiter(limits Limits) endpoint.Middleware {
	return ratelimit.NewErroringLimiter(rate.NewLimiter(limits.Rate, limits.Burst))
}

// The circuit breaker of each endpoint opens after BreakerFailures
// consecutive failures of the endpoint, answers ErrOpenState while open, and
// after BreakerTimeout lets one trial request through: if it succeeds, the
// breaker closes again.
const (
	BreakerFailures = 5
	BreakerTimeout  = 10 * time.Second
)

// CircuitBreaker returns a circuit breaker called name (slide 75), with the
// settings above. Each call makes a breaker of its own.
func CircuitBreaker(name string) endpoint.Middleware {
	return circuitbreaker.Gobreaker(gobreaker.NewCircuitBreaker(gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     BreakerTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= BreakerFailures
		},
	}))
}

// LoggingMiddleware logs every call of the endpoint: its error, if any (see
// callError), and how long it took.
func LoggingMiddleware(logger log.Logger) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (response any, err error) {
			defer func(begin time.Time) {
				logger.Log("err", callError(response, err), "took", time.Since(begin))
			}(time.Now())
			return next(ctx, request)
		}
	}
}

// InstrumentingMiddleware observes the duration of every call of the
// endpoint in seconds, labelled success="true" or "false" (see callError).
func InstrumentingMiddleware(duration metrics.Histogram) endpoint.Middleware {
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

// TracingMiddleware gives every call of the endpoint a span called name, a
// child of the span in the context (the transport's), and tags the span
// with the error that the caller gets, broken business rules included (see
// callError).
func TracingMiddleware(tracer *zipkin.Tracer, name string) endpoint.Middleware {
	return func(inner endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req any) (resp any, err error) {
			span, ctx := tracer.StartSpanFromContext(ctx, name)
			defer func() {
				tagFailure(span, callError(resp, err))
				span.Finish()
			}()
			return inner(ctx, req)
		}
	}
}

// tagFailure tags span with the error failure, if there is one.
func tagFailure(span zipkin.Span, failure error) {
	if failure == nil {
		return
	}
	span.Tag(string(zipkin.TagError), failure.Error())
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
