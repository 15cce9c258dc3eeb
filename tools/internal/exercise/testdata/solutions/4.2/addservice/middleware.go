package addservice

// A solution of exercise 4.2 that differs from the reference in its names and
// its shape: no defer and no named results; each method times the call
// itself, and one helper logs it.

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// Middleware decorates a Service with one concern.
type Middleware func(Service) Service

// LoggingMiddleware returns a middleware that logs every call.
func LoggingMiddleware(logger log.Logger) Middleware {
	return func(inner Service) Service {
		return logged{out: logger, inner: inner}
	}
}

type logged struct {
	out   log.Logger
	inner Service
}

// record logs one call, and how long it took since start.
func (l logged) record(start time.Time, method string, x, y, result any, err error) {
	elapsed := time.Since(start)
	l.out.Log("method", method, "a", x, "b", y, "v", result, "err", err, "took", elapsed)
}

func (l logged) Sum(ctx context.Context, x, y int) (int, error) {
	start := time.Now()
	total, err := l.inner.Sum(ctx, x, y)
	l.record(start, "Sum", x, y, total, err)
	return total, err
}

func (l logged) Concat(ctx context.Context, x, y string) (string, error) {
	start := time.Now()
	joined, err := l.inner.Concat(ctx, x, y)
	l.record(start, "Concat", x, y, joined, err)
	return joined, err
}

// InstrumentingMiddleware returns a middleware that counts the business
// work done, as the step's does.
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
