package addsvc

import (
	"encoding/json"
	"net/http"
)

// ServeHTTP serves the service over HTTP and JSON by switching on the path
// (slides 36–43): POST /sum {"a":1,"b":2} answers {"v":3}, and
// POST /concat {"a":"x","b":"y"} answers {"v":"xy"}.
func (s *BasicService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		v, err := s.Sum(req.A, req.B)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
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
		v, err := s.Concat(req.A, req.B)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]string{"v": v})

	default:
		http.NotFound(w, r)
	}
}
