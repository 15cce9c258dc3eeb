package addsvc

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Counters count the requests that the HTTP transport has answered, by
// outcome (slide 48).
type Counters struct {
	Success prometheus.Counter // answered 200
	Error   prometheus.Counter // answered with an error status
}

// NewCounters registers the counter addsvc_requests_total on reg and returns
// its two series, outcome="success" and outcome="error".
func NewCounters(reg prometheus.Registerer) (Counters, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "addsvc",
		Name:      "requests_total",
		Help:      "HTTP requests answered, by outcome (success or error).",
	}, []string{"outcome"})
	if err := reg.Register(requests); err != nil {
		return Counters{}, fmt.Errorf("register addsvc_requests_total: %w", err)
	}
	return Counters{
		Success: requests.WithLabelValues("success"),
		Error:   requests.WithLabelValues("error"),
	}, nil
}
