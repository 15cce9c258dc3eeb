// Package stringservice is the innermost layer of the string service's
// onion, the second service of step 9 (the talk's demo, slide 89): the
// Service interface, its business rule and error, and the service
// middlewares that log and count its calls. It has the layout of
// addservice, and knows nothing of any transport.
package stringservice

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// Service upper-cases strings and counts their bytes.
type Service interface {
	Uppercase(ctx context.Context, s string) (string, error)
	Count(ctx context.Context, s string) int
}

// ErrEmpty is returned by Uppercase for an empty string: a broken business
// rule, the caller's fault (HTTP 400).
var ErrEmpty = errors.New("empty string")

// IsBusinessError tells a broken business rule from any other error.
func IsBusinessError(err error) bool { return errors.Is(err, ErrEmpty) }

// NewBasicService returns the service with its business rule and nothing
// else.
func NewBasicService() Service { return basicService{} }

type basicService struct{}

// Uppercase returns s upper-cased, refusing the empty string.
func (basicService) Uppercase(_ context.Context, s string) (string, error) {
	if s == "" {
		return "", ErrEmpty
	}
	return strings.ToUpper(s), nil
}

// Count returns the length of s in bytes, as addservice's 10-byte rule
// counts.
func (basicService) Count(_ context.Context, s string) int { return len(s) }

// Middleware decorates a Service with one concern.
type Middleware func(Service) Service

// LoggingMiddleware logs every call with its method, argument, result,
// error and duration.
func LoggingMiddleware(logger log.Logger) Middleware {
	return func(next Service) Service { return loggingMiddleware{logger, next} }
}

type loggingMiddleware struct {
	logger log.Logger
	next   Service
}

func (mw loggingMiddleware) Uppercase(ctx context.Context, s string) (v string, err error) {
	defer func(begin time.Time) {
		mw.logger.Log("method", "Uppercase", "s", s, "v", v, "err", err, "took", time.Since(begin))
	}(time.Now())
	return mw.next.Uppercase(ctx, s)
}

func (mw loggingMiddleware) Count(ctx context.Context, s string) (n int) {
	defer func(begin time.Time) {
		mw.logger.Log("method", "Count", "s", s, "v", n, "took", time.Since(begin))
	}(time.Now())
	return mw.next.Count(ctx, s)
}

// InstrumentingMiddleware counts the business work done: the bytes
// upper-cased by successful Uppercase calls, and the bytes counted.
func InstrumentingMiddleware(upper, counted metrics.Counter) Middleware {
	return func(next Service) Service { return instrumentingMiddleware{upper, counted, next} }
}

type instrumentingMiddleware struct {
	upper, counted metrics.Counter
	next           Service
}

func (mw instrumentingMiddleware) Uppercase(ctx context.Context, s string) (string, error) {
	v, err := mw.next.Uppercase(ctx, s)
	if err == nil {
		mw.upper.Add(float64(len(v)))
	}
	return v, err
}

func (mw instrumentingMiddleware) Count(ctx context.Context, s string) int {
	n := mw.next.Count(ctx, s)
	mw.counted.Add(float64(n))
	return n
}
