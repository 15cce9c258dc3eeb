// Package addtransport is the outermost layer of the add service's onion: an
// HTTP handler that decodes a request, calls its endpoint and encodes the
// response (slide 67). It depends on the endpoints and the service; neither
// knows of it.
package addtransport

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-kit/kit/ratelimit"
	"github.com/sony/gobreaker"

	"github.com/gokit-workshop/workshop/step05-endpoints/addendpoint"
	"github.com/gokit-workshop/workshop/step05-endpoints/addservice"
)

// NewHTTPHandler returns the HTTP transport of the endpoints: POST /sum
// {"a":1,"b":2} answers {"v":3}, and POST /concat {"a":"x","b":"y"} answers
// {"v":"xy"}. It decodes a request, calls its endpoint and encodes the
// response; the endpoint middlewares do the rest.
func NewHTTPHandler(endpoints addendpoint.Set) http.Handler {
	return httpHandler{endpoints: endpoints}
}

type httpHandler struct {
	endpoints addendpoint.Set
}

// ServeHTTP switches on the path, as in the earlier steps.
func (h httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/sum":
		var req addendpoint.SumRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := h.endpoints.SumEndpoint(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), errorStatus(err))
			return
		}
		if err := resp.(addendpoint.SumResponse).Err; err != nil {
			http.Error(w, err.Error(), errorStatus(err))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(resp)

	case "/concat":
		var req addendpoint.ConcatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := h.endpoints.ConcatEndpoint(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), errorStatus(err))
			return
		}
		if err := resp.(addendpoint.ConcatResponse).Err; err != nil {
			http.Error(w, err.Error(), errorStatus(err))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(resp)

	default:
		http.NotFound(w, r)
	}
}

// errorStatus is the HTTP status of an error: 400 for a broken business
// rule, 429 over the rate limit, 503 while the circuit breaker is open, and
// 500 for anything else.
func errorStatus(err error) int {
	switch {
	case addservice.IsBusinessError(err):
		return http.StatusBadRequest
	case errors.Is(err, ratelimit.ErrLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
