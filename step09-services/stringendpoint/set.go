// Package stringendpoint is the middle layer of the string service's
// onion: one go-kit endpoint per method, the request and response types,
// and the endpoint middlewares around them. The middlewares are
// addendpoint's, which know nothing of the add service: a rate limiter, a
// circuit breaker, logging, a duration histogram and a tracing span.
package stringendpoint

import (
	"context"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
)

// UppercaseRequest is the request of the Uppercase endpoint.
type UppercaseRequest struct {
	S string `json:"s"`
}

// UppercaseResponse is the response of the Uppercase endpoint; a broken
// business rule travels in Err, as in addendpoint.
type UppercaseResponse struct {
	V   string `json:"v"`
	Err error  `json:"-"`
}

// Failed implements endpoint.Failer.
func (r UppercaseResponse) Failed() error { return r.Err }

// CountRequest is the request of the Count endpoint.
type CountRequest struct {
	S string `json:"s"`
}

// CountResponse is the response of the Count endpoint.
type CountResponse struct {
	V int `json:"v"`
}

// Set collects the service's endpoints.
type Set struct {
	UppercaseEndpoint endpoint.Endpoint
	CountEndpoint     endpoint.Endpoint
}

// MakeUppercaseEndpoint returns an endpoint that calls svc.Uppercase.
func MakeUppercaseEndpoint(svc stringservice.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.Uppercase(ctx, request.(UppercaseRequest).S)
		if err != nil && !stringservice.IsBusinessError(err) {
			return nil, err
		}
		return UppercaseResponse{V: v, Err: err}, nil
	}
}

// MakeCountEndpoint returns an endpoint that calls svc.Count.
func MakeCountEndpoint(svc stringservice.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		return CountResponse{V: svc.Count(ctx, request.(CountRequest).S)}, nil
	}
}

// New returns the endpoints of svc, each in the endpoint middlewares of
// addendpoint.New, in the same order.
func New(svc stringservice.Service, logger log.Logger, duration metrics.Histogram, tracer *zipkin.Tracer, limits addendpoint.Limits) Set {
	return Set{
		UppercaseEndpoint: protect("Uppercase", MakeUppercaseEndpoint(svc), logger, duration, tracer, limits),
		CountEndpoint:     protect("Count", MakeCountEndpoint(svc), logger, duration, tracer, limits),
	}
}

func protect(method string, e endpoint.Endpoint, logger log.Logger, duration metrics.Histogram, tracer *zipkin.Tracer, limits addendpoint.Limits) endpoint.Endpoint {
	e = addendpoint.CircuitBreaker(method)(e)
	e = addendpoint.RateLimiter(limits)(e)
	e = addendpoint.LoggingMiddleware(log.With(logger, "method", method))(e)
	e = addendpoint.InstrumentingMiddleware(duration.With("method", method))(e)
	e = addendpoint.TracingMiddleware(tracer, method)(e)
	e = addendpoint.RefuseDone(e)
	return e
}
