package addsvc

import (
	"encoding/json"
	"net/http"
)

// ServeHTTP serves the service over HTTP and JSON by switching on the path
// (slides 36–43): POST /sum {"a":1,"b":2} answers {"v":3}, and
// POST /concat {"a":"x","b":"y"} answers {"v":"xy"}. It logs one line per
// request with the remote address, the URL and the status code (slide 45),
// and counts it as a success or an error (slide 48).
func (s *BasicService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/sum":
		var req struct {
			A int `json:"a"`
			B int `json:"b"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			code := http.StatusBadRequest
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			// exercise 3.2 begin
			s.counters.Error.Inc()
			// exercise 3.2 end
			http.Error(w, err.Error(), code)
			return
		}
		v, err := s.Sum(req.A, req.B)
		if err != nil {
			code := http.StatusInternalServerError
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			// exercise 3.2 begin
			s.counters.Error.Inc()
			// exercise 3.2 end
			http.Error(w, err.Error(), code)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]int{"v": v})
		s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, http.StatusOK)
		// exercise 3.2 begin
		s.counters.Success.Inc()
		// exercise 3.2 end

	case "/concat":
		var req struct {
			A string `json:"a"`
			B string `json:"b"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			code := http.StatusBadRequest
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			// exercise 3.2 begin
			s.counters.Error.Inc()
			// exercise 3.2 end
			http.Error(w, err.Error(), code)
			return
		}
		v, err := s.Concat(req.A, req.B)
		if err != nil {
			code := http.StatusInternalServerError
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			// exercise 3.2 begin
			s.counters.Error.Inc()
			// exercise 3.2 end
			http.Error(w, err.Error(), code)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]string{"v": v})
		s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, http.StatusOK)
		// exercise 3.2 begin
		s.counters.Success.Inc()
		// exercise 3.2 end

	default:
		s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, http.StatusNotFound)
		// exercise 3.2 begin
		s.counters.Error.Inc()
		// exercise 3.2 end
		http.NotFound(w, r)
	}
}
