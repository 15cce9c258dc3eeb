package addservice

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// Middleware decorates a Service with one concern (slide 59). Middlewares
// compose: LoggingMiddleware(logger)(NewBasicService()) is a Service too.
type Middleware func(Service) Service

// The middlewares are Services themselves, so that they nest.
var (
	_ Service = loggingMiddleware{}
	_ Service = instrumentingMiddleware{}
)

// LoggingMiddleware returns a middleware that logs every call with its
// method, arguments, result, error and duration (slides 60–62).
func LoggingMiddleware(logger log.Logger) Middleware {
	return func(next Service) Service {
		return loggingMiddleware{logger: logger, next: next}
	}
}

type loggingMiddleware struct {
	logger log.Logger
	next   Service
}

func (mw loggingMiddleware) Sum(ctx context.Context, a, b int) (v int, err error) {
	defer func(begin time.Time) {
		mw.logger.Log("method", "Sum", "a", a, "b", b, "v", v, "err", err, "took", time.Since(begin))
	}(time.Now())
	return mw.next.Sum(ctx, a, b)
}

func (mw loggingMiddleware) Concat(ctx context.Context, a, b string) (v string, err error) {
	defer func(begin time.Time) {
		mw.logger.Log("method", "Concat", "a", a, "b", b, "v", v, "err", err, "took", time.Since(begin))
	}(time.Now())
	return mw.next.Concat(ctx, a, b)
}

// InstrumentingMiddleware returns a middleware that counts the business
// work done (slides 64–66, 86): ints counts the integers summed (two per
// successful Sum) and chars the characters of every concatenation, counted
// as slide 86 counts them, with len: in bytes, the unit of the 10-byte rule.
//
// Slide 66 adds the sum itself to the counter; a Prometheus counter can only
// go up, and a negative sum would make it panic, so this one counts the
// integers instead.
func InstrumentingMiddleware(ints, chars metrics.Counter) Middleware {
	return func(next Service) Service {
		return instrumentingMiddleware{ints: ints, chars: chars, next: next}
	}
}

type instrumentingMiddleware struct {
	ints  metrics.Counter
	chars metrics.Counter
	next  Service
}

func (mw instrumentingMiddleware) Sum(ctx context.Context, a, b int) (int, error) {
	v, err := mw.next.Sum(ctx, a, b)
	if err == nil {
		mw.ints.Add(2)
	}
	return v, err
}

func (mw instrumentingMiddleware) Concat(ctx context.Context, a, b string) (string, error) {
	v, err := mw.next.Concat(ctx, a, b)
	mw.chars.Add(float64(len(v)))
	return v, err
}

// ErrUppercase is Concat's error when its result could not be upper-cased
// (step 9): the caller gets this text, never stringsvc's addresses or
// errors, which the trace's spans and addsvc_stringsvc_attempts_total show.
var ErrUppercase = errors.New("could not upper-case the result")

// UppercaseMiddleware returns a middleware that upper-cases the result of
// every successful Concat with upper (step 9: stringsvc's Uppercase, which
// cmd/addsvc builds from a balanced client). The rule is the service's:
// what Concat answers; how upper reaches stringsvc is the transport's,
// which this package does not know. An empty result is answered as it is,
// as upper-casing cannot change it (and stringsvc refuses it); when upper
// fails, Concat fails with ErrUppercase, or the context's error if the
// caller has gone.
func UppercaseMiddleware(upper func(ctx context.Context, s string) (string, error)) Middleware {
	return func(next Service) Service {
		return uppercaseMiddleware{upper: upper, Service: next}
	}
}

type uppercaseMiddleware struct {
	upper func(ctx context.Context, s string) (string, error)
	Service
}

func (mw uppercaseMiddleware) Concat(ctx context.Context, a, b string) (string, error) {
	v, err := mw.Service.Concat(ctx, a, b)
	if err != nil || v == "" {
		return v, err
	}
	u, err := mw.upper(ctx, v)
	if err != nil {
		return "", cmp.Or(ctx.Err(), ErrUppercase)
	}
	return u, nil
}
