// Package stringtransport is the outermost layer of the string service's
// onion: go-kit's HTTP server around its endpoints, and the client that
// addsvc calls it with, balanced over its instances with go-kit's sd and lb
// packages (balance.go). It depends on the endpoints and the service;
// neither knows of it.
package stringtransport

// A solution of exercise 9.1 that differs from the reference in its names and
// its shape: one generic decoder for both requests, and an encoder that asks
// for a Failed method of its own interface rather than endpoint.Failer, and
// marshals the response itself.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	"github.com/go-kit/kit/transport"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"

	"github.com/gokit-workshop/workshop/step09-services/limits"
	"github.com/gokit-workshop/workshop/step09-services/stringendpoint"
	"github.com/gokit-workshop/workshop/step09-services/stringservice"
)

// MaxBodyBytes is the largest request body the server reads (413 above).
const MaxBodyBytes = 16 << 10

// NewHTTPHandler returns the HTTP transport of the endpoints: POST
// /uppercase {"s":"abc"} answers {"v":"ABC"}, and POST /count {"s":"abc"}
// answers {"v":3}. Every error answers {"error":"…"} with the status of
// errorStatus: 400 for the empty string. Each request gets a server span, a
// child of the caller's when its B3 headers carry one.
func NewHTTPHandler(endpoints stringendpoint.Set, tracer *zipkin.Tracer, logger log.Logger) http.Handler {
	opts := []httptransport.ServerOption{
		httptransport.ServerErrorEncoder(encodeError),
		httptransport.ServerErrorHandler(transport.ErrorHandlerFunc(func(_ context.Context, err error) {
			if !stringservice.IsBusinessError(err) { // the caller's business, not the operator's
				logger.Log("err", err)
			}
		})),
	}
	mux := http.NewServeMux()
	mux.Handle("/uppercase", postOnly(httptransport.NewServer(endpoints.UppercaseEndpoint, decodeUppercaseRequest, encodeResponse,
		append(opts, kitzipkin.HTTPServerTrace(tracer, kitzipkin.Name("POST /uppercase")))...)))
	mux.Handle("/count", postOnly(httptransport.NewServer(endpoints.CountEndpoint, decodeCountRequest, encodeResponse,
		append(opts, kitzipkin.HTTPServerTrace(tracer, kitzipkin.Name("POST /count")))...)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such path: "+limits.Escape(r.URL.Path, maxQuotedBytes))
	})
	return mux
}

// postOnly refuses every method but POST, and caps the body at MaxBodyBytes.
func postOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method "+limits.Escape(r.Method, maxQuotedBytes)+" not allowed: use POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// maxQuotedBytes is the most of a caller's text that an error quotes.
const maxQuotedBytes = 100

// decodeError is a request body that could not be decoded: 400, or 413.
type decodeError struct{ err error }

func (e decodeError) Error() string { return limits.Escape(e.err.Error(), maxQuotedBytes) }
func (e decodeError) Unwrap() error { return e.err }

// decodeJSONBody decodes the body, one JSON object of valid UTF-8, into v.
func decodeJSONBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body) // at most MaxBodyBytes: see postOnly
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err == nil && !utf8.Valid(body) {
		err = errors.New("the body is not valid UTF-8")
	}
	if err != nil {
		return decodeError{err}
	}
	return nil
}

func decodeUppercaseRequest(_ context.Context, r *http.Request) (any, error) {
	return decodeAs[stringendpoint.UppercaseRequest](r)
}

func decodeCountRequest(_ context.Context, r *http.Request) (any, error) {
	return decodeAs[stringendpoint.CountRequest](r)
}

// decodeAs decodes the body into a T.
func decodeAs[T any](r *http.Request) (any, error) {
	var v T
	err := decodeJSONBody(r, &v)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// encodeResponse writes a response as JSON, or the broken business rule
// that it carries as an error.
func encodeResponse(ctx context.Context, w http.ResponseWriter, response any) error {
	type failer interface{ Failed() error }
	if broken, ok := response.(failer); ok {
		if err := broken.Failed(); err != nil {
			writeError(w, errorStatus(err), err.Error())
			return nil
		}
	}
	body, err := json.Marshal(response)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(append(body, '\n'))
	return err
}

// encodeError writes err as {"error":"…"} with its status.
func encodeError(_ context.Context, err error, w http.ResponseWriter) {
	writeError(w, errorStatus(err), err.Error())
}

// errorBody is the JSON body of every error.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(errorBody{Error: msg})
}

// errorStatus is the HTTP status of an error, as addtransport's: 400 for
// a broken business rule or an undecodable body, 413 for a body too large,
// 429 over the rate limit, 503 while the breaker is open, 499 and 504 when
// the caller went away or its deadline passed, 500 for anything else.
func errorStatus(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, context.Canceled):
		return 499
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &decodeError{}), stringservice.IsBusinessError(err):
		return http.StatusBadRequest
	case errors.Is(err, ratelimit.ErrLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
