package addendpoint

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/go-kit/kit/circuitbreaker"
	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
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

// RefuseDone is an endpoint middleware that refuses a call whose context is
// already done, because its caller gave up or its deadline passed, with the
// context's error. The call is not run: it is not logged, not observed in
// the histogram, and takes no token from the rate limiter. New puts it
// outermost.
func RefuseDone(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return next(ctx, request)
	}
}

// LoggingMiddleware logs every call of the endpoint: its error, if any (see
// callError), and how long it took. It leaves out the calls that the rate
// limiter or the circuit breaker refuses (see refused): they can come by the
// thousand a second, and the transports' error handler, to which the
// refusal goes on, logs them as counts.
func LoggingMiddleware(logger log.Logger) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (response any, err error) {
			defer func(begin time.Time) {
				if !refused(err) {
					logger.Log("err", callError(response, err), "took", time.Since(begin))
				}
			}(time.Now())
			return next(ctx, request)
		}
	}
}

// refused tells an endpoint's refusal, by the rate limiter or the circuit
// breaker, from its other errors.
func refused(err error) bool {
	return errors.Is(err, ratelimit.ErrLimited) ||
		errors.Is(err, gobreaker.ErrOpenState) ||
		errors.Is(err, gobreaker.ErrTooManyRequests)
}

// InstrumentingMiddleware observes the duration of every call of the
// endpoint in seconds, labelled success="true" or "false" (see callError).
func InstrumentingMiddleware(duration metrics.Histogram) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (response any, err error) {
			defer func(begin time.Time) {
				success := callError(response, err) == nil
				duration.With("success", strconv.FormatBool(success)).Observe(time.Since(begin).Seconds())
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
