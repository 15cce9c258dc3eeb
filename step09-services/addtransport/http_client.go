package addtransport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// NewHTTPClient returns a Service that calls the HTTP transport at instance
// ("127.0.0.1:8080" or "http://host:port"). It is an onion too: each method
// is a go-kit HTTP client endpoint behind its own rate limiter and circuit
// breaker (see clientEndpoint). The service's errors come back as
// themselves: errors.Is(err, addservice.ErrTwoZeroes) holds.
//
// Each call gets a span from tracer, and a client span around the request
// whose context travels in B3 headers to the server (slide 88: inject).
func NewHTTPClient(instance string, tracer *zipkin.Tracer, limits addendpoint.Limits) (addservice.Service, error) {
	base, err := parseInstance(instance)
	if err != nil {
		return nil, err
	}
	sumTrace := kitzipkin.HTTPClientTrace(tracer, kitzipkin.Name("POST /sum"))
	concatTrace := kitzipkin.HTTPClientTrace(tracer, kitzipkin.Name("POST /concat"))
	sum := httptransport.NewClient(http.MethodPost, base.JoinPath("/sum"),
		encodeHTTPRequest, decodeHTTPSumResponse, sumTrace).Endpoint()
	concat := httptransport.NewClient(http.MethodPost, base.JoinPath("/concat"),
		encodeHTTPRequest, decodeHTTPConcatResponse, concatTrace).Endpoint()
	return addendpoint.Set{
		SumEndpoint:    clientEndpoint("Sum", sum, tracer, limits),
		ConcatEndpoint: clientEndpoint("Concat", concat, tracer, limits),
	}, nil
}

// parseInstance returns the base URL of the HTTP transport at instance:
// host:port, or an http:// or https:// URL with a host.
func parseInstance(instance string) (*url.URL, error) {
	if !strings.Contains(instance, "://") {
		if _, _, err := net.SplitHostPort(instance); err != nil {
			return nil, fmt.Errorf("HTTP instance %q: want host:port or an http:// URL: %w", instance, err)
		}
		instance = "http://" + instance
	}
	base, err := url.Parse(instance)
	switch {
	case err != nil:
		return nil, fmt.Errorf("parse HTTP instance %q: %w", instance, err)
	case base.Scheme != "http" && base.Scheme != "https", base.Host == "":
		return nil, fmt.Errorf("HTTP instance %q: want host:port or an http:// URL", instance)
	}
	return base, nil
}

// clientEndpoint wraps the client endpoint called method in a rate limiter
// and a circuit breaker, with the settings of the server's (addendpoint.New):
// a client stops calling a server that keeps failing. A span around the
// limiter and the breaker is the root of the call's trace.
func clientEndpoint(method string, e endpoint.Endpoint, tracer *zipkin.Tracer, limits addendpoint.Limits) endpoint.Endpoint {
	e = addendpoint.CircuitBreaker(method)(e)
	e = addendpoint.RateLimiter(limits)(e)
	e = addendpoint.TracingMiddleware(tracer, method)(e)
	return e
}

// encodeHTTPRequest writes a request as the JSON body.
func encodeHTTPRequest(_ context.Context, r *http.Request, request any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(request); err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Body = io.NopCloser(&buf)
	r.ContentLength = int64(buf.Len())
	return nil
}

func decodeHTTPSumResponse(_ context.Context, r *http.Response) (any, error) {
	var resp addendpoint.SumResponse
	err := decodeHTTPResponse(r, &resp, &resp.Err)
	return resp, err
}

func decodeHTTPConcatResponse(_ context.Context, r *http.Response) (any, error) {
	var resp addendpoint.ConcatResponse
	err := decodeHTTPResponse(r, &resp, &resp.Err)
	return resp, err
}

// decodeHTTPResponse decodes a 200 answer into resp. A broken business rule,
// or the server's refusal for its rate limit, goes into *failed, so that it
// travels inside the response and never trips the client's breaker: as in
// step 5, a refusal is not a failure. Any other error answer is the returned
// error.
func decodeHTTPResponse(r *http.Response, resp any, failed *error) error {
	body := io.LimitReader(r.Body, MaxBodyBytes)
	if r.StatusCode != http.StatusOK {
		err := errorFromHTTP(r.StatusCode, body)
		if addservice.IsBusinessError(err) || errors.Is(err, ratelimit.ErrLimited) {
			*failed = err
			return nil
		}
		return err
	}
	if err := decodeReply(body, resp); err != nil {
		return fmt.Errorf("decode HTTP response: %w", err)
	}
	return nil
}

// decodeReply decodes the one JSON value of a reply's body into v, and
// refuses anything after it: a reply with more is not one that this
// package's server sends.
func decodeReply(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if !errors.Is(dec.Decode(&struct{}{}), io.EOF) {
		return errors.New("unexpected data after the JSON reply")
	}
	return nil
}

// errorFromHTTP turns an HTTP error answer back into the error the server
// had: one of the service's errors, or an error that wraps
// ratelimit.ErrLimited (429) or gobreaker.ErrOpenState (503).
func errorFromHTTP(status int, body io.Reader) error {
	var e errorBody
	if err := decodeReply(io.LimitReader(body, MaxBodyBytes), &e); err != nil || e.Error == "" {
		return fmt.Errorf("HTTP status %d with no error message", status)
	}
	switch {
	case status == http.StatusBadRequest && addservice.BusinessError(e.Error) != nil:
		return addservice.BusinessError(e.Error)
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("server: %w", ratelimit.ErrLimited)
	case status == http.StatusServiceUnavailable && e.Error == gobreaker.ErrOpenState.Error():
		return fmt.Errorf("server: %w", gobreaker.ErrOpenState)
	default:
		return fmt.Errorf("server: HTTP status %d: %s", status, e.Error)
	}
}
