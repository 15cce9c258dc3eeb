// Package addtransport is the outermost layer of the add service's onion
// (slides 77–82): go-kit's HTTP and gRPC servers around the same endpoints,
// each with the functions that decode requests and encode responses, and
// clients for both transports that are addservice.Services themselves. It
// depends on the endpoints and the service; neither knows of it.
package addtransport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/ratelimit"
	kitzipkin "github.com/go-kit/kit/tracing/zipkin"
	httptransport "github.com/go-kit/kit/transport/http"
	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go"
	"github.com/sony/gobreaker"

	"github.com/gokit-workshop/workshop/step08-production/addendpoint"
	"github.com/gokit-workshop/workshop/step08-production/addservice"
)

// MaxBodyBytes is the largest request body the HTTP transport reads; a
// larger one answers 413.
const MaxBodyBytes = 1 << 20

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
		writeHTTPError(w, http.StatusNotFound, "no such path: "+clip(r.URL.Path))
	})
	return mux
}

// postOnly refuses every method but POST, and caps the body at MaxBodyBytes.
func postOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeHTTPError(w, http.StatusMethodNotAllowed, "method "+clip(r.Method)+" not allowed: use POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// decodeError is a request body that could not be decoded: the caller's
// fault, so it answers 400 (or 413 when the body was too large).
type decodeError struct{ err error }

func (e decodeError) Error() string { return e.err.Error() }
func (e decodeError) Unwrap() error { return e.err }

// decodeJSONBody decodes the one JSON object of the body into v. Its errors
// say what is wrong in plain words (see plainJSONError).
//
// The body must be UTF-8, as JSON must. encoding/json would quietly replace
// bytes that are not with U+FFFD, so that "\xff" would become the three bytes
// of "\uFFFD", and the service would see a string that the caller never sent.
// So the whole body is read first (postOnly caps it) and checked.
func decodeJSONBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError{plainJSONError(err)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return decodeError{plainJSONError(err)}
	}
	if !errors.Is(dec.Decode(&struct{}{}), io.EOF) {
		return decodeError{errors.New("unexpected data after the JSON object")}
	}
	if !utf8.Valid(body) {
		return decodeError{notUTF8(body)}
	}
	return nil
}

// requestFields are the fields of the requests, which hold their strings.
var requestFields = []string{"a", "b"}

// notUTF8 is the error of a body that is not UTF-8: the error of its field
// (see checkUTF8), or of the body as a whole when the bytes are elsewhere.
func notUTF8(body []byte) error {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(body, &fields) // it decoded once already
	for _, name := range requestFields {
		if raw, ok := fields[name]; ok && !utf8.Valid(raw) {
			return errNotUTF8(name)
		}
	}
	return errors.New("the body is not valid UTF-8")
}

// checkUTF8 returns the error of the first of the named strings that is not
// valid UTF-8, or nil: strings must be UTF-8, over HTTP as over gRPC, and
// both transports refuse them with this same message.
func checkUTF8(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if !utf8.ValidString(fields[i+1]) {
			return errNotUTF8(fields[i])
		}
	}
	return nil
}

func errNotUTF8(field string) error {
	return fmt.Errorf("%q must be valid UTF-8", field)
}

// maxQuotedBytes is the most of the caller's own text, such as a number or
// a path, that an error message quotes: the message goes into the log and
// back to the caller, and must stay short whatever the caller sent.
const maxQuotedBytes = 32

// clip returns s whole if it is at most maxQuotedBytes long, or else its
// start, cut between two characters, and its length: "1111…(1048576 bytes)".
func clip(s string) string {
	if len(s) <= maxQuotedBytes {
		return s
	}
	cut := maxQuotedBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}

// plainJSONError turns an error of encoding/json into one that names the
// field and the problem in the caller's words, such as `"a" must be an
// integer, not "x"`, instead of the decoder's Go types. A body over the
// size limit keeps its own error, which errorStatus answers with 413.
func plainJSONError(err error) error {
	var (
		tooLarge  *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, io.EOF):
		return errors.New(`the body is empty: send a JSON object such as {"a":1,"b":2}`)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the body ends in the middle of its JSON object")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("the body is not valid JSON: %s", strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Errorf("the body must be a JSON object, not %s", kindOf(typeErr.Value))
	case errors.As(err, &typeErr):
		want := "a string"
		if typeErr.Type.Kind() == reflect.Int {
			want = "an integer"
			if n, ok := strings.CutPrefix(typeErr.Value, "number "); ok && !strings.ContainsAny(n, ".eE") {
				return fmt.Errorf("%q is out of range: %s does not fit in 64 bits", typeErr.Field, clip(n))
			}
		}
		return fmt.Errorf("%q must be %s, not %s", typeErr.Field, want, kindOf(typeErr.Value))
	default:
		return err
	}
}

// kindOf names a JSON value as UnmarshalTypeError.Value describes it
// ("string", "number 1.5", "array"), for a person.
func kindOf(value string) string {
	switch {
	case value == "array", value == "object":
		return "an " + value
	case value == "bool":
		return "true or false"
	case strings.HasPrefix(value, "number "):
		return clip(strings.TrimPrefix(value, "number "))
	default:
		return "a " + value
	}
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
// went away: no standard status says it, and no caller reads it, but the
// metrics and the log do.
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
// 429 over the rate limit, 503 while the circuit breaker is open, 499 (as
// nginx logs it) when the caller went away before its call ran, 504 when the
// call's deadline passed, the status of an error that has one (go-kit's
// StatusCoder, such as a limit's 503), and 500 for anything else.
func errorStatus(err error) int {
	var (
		tooLarge *http.MaxBytesError
		coder    httptransport.StatusCoder
	)
	switch {
	case errors.Is(err, context.Canceled):
		return statusClientClosedRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &coder):
		return coder.StatusCode()
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
