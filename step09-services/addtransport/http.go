// Package addtransport is the outermost layer of the add service's onion
// (slides 77–82): go-kit's HTTP and gRPC servers around the same endpoints,
// each with the functions that decode requests and encode responses, and
// clients for both transports that are addservice.Services themselves. It
// depends on the endpoints and the service; neither knows of it.
package addtransport

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
	"github.com/gokit-workshop/workshop/step09-services/limits"
)

// MaxBodyBytes is the largest request body the HTTP transport reads; a
// larger one answers 413. No valid request comes near it, and each
// connection may hold one while it is read: -max-conns of them fit in a few
// megabytes.
const MaxBodyBytes = 16 << 10

// NewHTTPHandler returns the HTTP transport of the endpoints, built from
// go-kit's transport/http (slide 79): one server per endpoint, each with a
// function that decodes the request and one that encodes the response.
//
// POST /sum {"a":1,"b":2} answers {"v":3}, and POST /concat
// {"a":"x","b":"y"} answers {"v":"xy"}. Every error answers a JSON body
// {"error":"…"} with the status of errorStatus; other methods answer 405 and
// other paths 404. Errors are logged to logger.
//
// Each request gets a server span from tracer, a child of the caller's span
// when the request carries one in its B3 headers (slide 88: extract).
func NewHTTPHandler(endpoints addendpoint.Set, tracer *zipkin.Tracer, logger log.Logger) http.Handler {
	opts := []httptransport.ServerOption{
		httptransport.ServerErrorEncoder(encodeHTTPError),
		httptransport.ServerErrorHandler(newErrorHandler(logger)),
	}
	sumTrace := kitzipkin.HTTPServerTrace(tracer, kitzipkin.Name("POST /sum"))
	concatTrace := kitzipkin.HTTPServerTrace(tracer, kitzipkin.Name("POST /concat"))
	mux := http.NewServeMux()
	mux.Handle("/sum", postOnly(httptransport.NewServer(
		endpoints.SumEndpoint, decodeHTTPSumRequest, encodeHTTPResponse, append(opts, sumTrace)...)))
	mux.Handle("/concat", postOnly(httptransport.NewServer(
		endpoints.ConcatEndpoint, decodeHTTPConcatRequest, encodeHTTPResponse, append(opts, concatTrace)...)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeHTTPError(w, http.StatusNotFound, "no such path: "+r.URL.Path)
	})
	return mux
}

// postOnly refuses every method but POST, and caps the body at MaxBodyBytes.
func postOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeHTTPError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// maxQuotedBytes is the most of a decoding error's message that the
// transport quotes: it goes back to the caller and into the log.
const maxQuotedBytes = 100

// decodeError is a request body that could not be decoded: the caller's
// fault, so it answers 400 (or 413 when the body was too large).
type decodeError struct{ err error }

// Error is the decoding error's message, which quotes the caller's text
// (a number, a field's value): escaped, and cut to maxQuotedBytes.
func (e decodeError) Error() string { return limits.Escape(e.err.Error(), maxQuotedBytes) }
func (e decodeError) Unwrap() error { return e.err }

// decodeJSONBody decodes the body, one JSON object, into v.
func decodeJSONBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body) // at most MaxBodyBytes: see postOnly
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		return decodeError{err}
	}
	// encoding/json turns bytes that are not UTF-8 into U+FFFD: the service
	// would see a string that the caller never sent.
	if !utf8.Valid(body) {
		return decodeError{errors.New("the body is not valid UTF-8")}
	}
	return nil
}

func decodeHTTPSumRequest(_ context.Context, r *http.Request) (any, error) {
	var req addendpoint.SumRequest
	err := decodeJSONBody(r, &req)
	return req, err
}

func decodeHTTPConcatRequest(_ context.Context, r *http.Request) (any, error) {
	var req addendpoint.ConcatRequest
	err := decodeJSONBody(r, &req)
	return req, err
}

// encodeHTTPResponse writes a response as JSON, or the broken business rule
// that it carries as an error.
func encodeHTTPResponse(ctx context.Context, w http.ResponseWriter, response any) error {
	if f, ok := response.(endpoint.Failer); ok && f.Failed() != nil {
		encodeHTTPError(ctx, f.Failed(), w)
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(response)
}

// encodeHTTPError writes err as {"error":"…"} with its status.
func encodeHTTPError(_ context.Context, err error, w http.ResponseWriter) {
	writeHTTPError(w, errorStatus(err), err.Error())
}

// statusClientClosedRequest is nginx's status for a request whose caller
// went away before its call ran: no standard status says it, and no caller
// reads it, but the metrics and the log do.
const statusClientClosedRequest = 499

// errorBody is the JSON body of every error.
type errorBody struct {
	Error string `json:"error"`
}

func writeHTTPError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(errorBody{Error: msg})
}

// errorStatus is the HTTP status of an error: 400 for a broken business
// rule or a body that can't be decoded, 413 for a body over MaxBodyBytes,
// 429 over the rate limit, 503 while the circuit breaker is open, 499 when
// the caller went away before its call ran, 504 when its deadline passed,
// and 500 for anything else.
func errorStatus(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, context.Canceled):
		return statusClientClosedRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &decodeError{}), addservice.IsBusinessError(err):
		return http.StatusBadRequest
	case errors.Is(err, ratelimit.ErrLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
