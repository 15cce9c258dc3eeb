package addsvc

// A solution of exercise 3.2 that differs from the reference in its names and
// its shape: each request is counted once, after it is answered, by a
// wrapper that remembers the status code, instead of in seven places.

import (
	"encoding/json"
	"net/http"
)

// codeRecorder remembers the status code that a handler answers.
type codeRecorder struct {
	http.ResponseWriter
	code int
}

func (rec *codeRecorder) WriteHeader(code int) {
	rec.code = code
	rec.ResponseWriter.WriteHeader(code)
}

// ServeHTTP counts each request once, as a success or an error.
func (s *BasicService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &codeRecorder{ResponseWriter: w, code: http.StatusOK}
	defer s.count(rec)
	s.serve(rec, r)
}

// count adds the request that rec answered to its outcome's counter.
func (s *BasicService) count(rec *codeRecorder) {
	outcome := s.counters.Error
	if rec.code == http.StatusOK {
		outcome = s.counters.Success
	}
	outcome.Add(1)
}

// serve is the step's ServeHTTP without its counting.
func (s *BasicService) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/sum":
		var req struct {
			A int `json:"a"`
			B int `json:"b"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			code := http.StatusBadRequest
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			http.Error(w, err.Error(), code)
			return
		}
		v, err := s.Sum(req.A, req.B)
		if err != nil {
			code := http.StatusInternalServerError
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			http.Error(w, err.Error(), code)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]int{"v": v})
		s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, http.StatusOK)

	case "/concat":
		var req struct {
			A string `json:"a"`
			B string `json:"b"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			code := http.StatusBadRequest
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			http.Error(w, err.Error(), code)
			return
		}
		v, err := s.Concat(req.A, req.B)
		if err != nil {
			code := http.StatusInternalServerError
			s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
			http.Error(w, err.Error(), code)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]string{"v": v})
		s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, http.StatusOK)

	default:
		s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, http.StatusNotFound)
		http.NotFound(w, r)
	}
}
