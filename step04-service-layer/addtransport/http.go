// Package addtransport is the outermost layer of the add service's onion: an
// HTTP handler that decodes a request, calls the service and encodes its
// answer (slide 67). It depends on the service; the service knows nothing of
// it.
package addtransport

import (
	"encoding/json"
	"net/http"

	"github.com/gokit-workshop/workshop/step04-service-layer/addservice"
)

// NewHTTPHandler returns the HTTP transport of svc: POST /sum {"a":1,"b":2}
// answers {"v":3}, and POST /concat {"a":"x","b":"y"} answers {"v":"xy"}.
// It decodes, calls the service with the request's context and encodes;
// logging and metrics are the middlewares' job now.
func NewHTTPHandler(svc addservice.Service) http.Handler {
	return httpHandler{svc: svc}
}

type httpHandler struct {
	svc addservice.Service
}

// ServeHTTP switches on the path, as in the earlier steps.
func (h httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/sum":
		var req struct {
			A int `json:"a"`
			B int `json:"b"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		v, err := h.svc.Sum(r.Context(), req.A, req.B)
		if err != nil {
			http.Error(w, err.Error(), errorStatus(err))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]int{"v": v})

	case "/concat":
		var req struct {
			A string `json:"a"`
			B string `json:"b"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		v, err := h.svc.Concat(r.Context(), req.A, req.B)
		if err != nil {
			http.Error(w, err.Error(), errorStatus(err))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]string{"v": v})

	default:
		http.NotFound(w, r)
	}
}

// errorStatus is the HTTP status of a service error: 400 for a broken
// business rule, 500 for anything else.
func errorStatus(err error) int {
	if addservice.IsBusinessError(err) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
