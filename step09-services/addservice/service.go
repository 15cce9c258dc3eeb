// Package addservice is the innermost layer of the add service's onion
// (slides 50–67): the Service interface, its business rules and their
// errors, and the service middlewares that log and count its calls. It knows
// nothing of HTTP, JSON or any other transport.
package addservice

import (
	"context"
	"errors"
)

// Service sums integers and concatenates strings (slide 55). Every method
// takes the request's context.
type Service interface {
	Sum(ctx context.Context, a, b int) (int, error)
	Concat(ctx context.Context, a, b string) (string, error)
}

// The business rules' errors (slides 57–58). They are the caller's fault:
// the transports answer them with HTTP 400 and the gRPC status InvalidArgument.
var (
	// ErrTwoZeroes is returned by Sum when both arguments are 0.
	ErrTwoZeroes = errors.New("can't sum two zeroes")
	// ErrIntOverflow is returned by Sum when the result does not fit in 32 bits.
	ErrIntOverflow = errors.New("integer overflow")
	// ErrMaxSizeExceeded is returned by Concat when the result would be longer
	// than 10 bytes.
	ErrMaxSizeExceeded = errors.New("result exceeds maximum size")
)

// The bounds of the business rules: results are 32-bit integers and strings
// of at most maxLen bytes.
const (
	intMax = 1<<31 - 1
	intMin = -(intMax + 1)
	maxLen = 10
)

// IsBusinessError tells a broken business rule, which is the caller's fault,
// from any other error.
func IsBusinessError(err error) bool {
	return errors.Is(err, ErrTwoZeroes) ||
		errors.Is(err, ErrIntOverflow) ||
		errors.Is(err, ErrMaxSizeExceeded)
}

// BusinessError returns the business rule's error whose message is msg, or
// nil: errors cross a transport as text, and clients turn them back into
// the service's own errors with it.
func BusinessError(msg string) error {
	for _, err := range []error{ErrTwoZeroes, ErrIntOverflow, ErrMaxSizeExceeded} {
		if msg == err.Error() {
			return err
		}
	}
	return nil
}

// NewBasicService returns the service with its business rules and nothing
// else: no logging, no metrics, no transport.
func NewBasicService() Service {
	return basicService{}
}

type basicService struct{}

// Sum returns a + b, refusing two zeroes, and arguments and results beyond
// 32 bits.
func (s basicService) Sum(_ context.Context, a, b int) (int, error) {
	if a == 0 && b == 0 {
		return 0, ErrTwoZeroes
	}
	if a > intMax || a < intMin || b > intMax || b < intMin {
		return 0, ErrIntOverflow // an argument is already beyond 32 bits
	}
	if (b > 0 && a > (intMax-b)) || (b < 0 && a < (intMin-b)) {
		return 0, ErrIntOverflow
	}
	return a + b, nil
}

// Concat returns a followed by b, refusing results longer than maxLen bytes.
func (s basicService) Concat(_ context.Context, a, b string) (string, error) {
	if len(a)+len(b) > maxLen {
		return "", ErrMaxSizeExceeded
	}
	return a + b, nil
}
