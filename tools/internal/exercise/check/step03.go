package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Step 3: metrics, tangled in (slides 47–49).

// requestsTotal is the counter of step 3: HTTP requests by outcome.
const requestsTotal = "addsvc_requests_total"

// step03ServeMetrics checks exercise 3.1: GET /metrics serves the
// registry.
func step03ServeMetrics() []Case {
	return []Case{
		{
			Name: "GET /metrics answers 200, in Prometheus's text format",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				_, err = s.Scrape(ctx)
				return err
			},
		},
		{
			Name: `/metrics shows addsvc_requests_total{outcome="success"} and {outcome="error"}, at 0 before any request`,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				m, err := s.Scrape(ctx)
				if err != nil {
					return err
				}
				for _, outcome := range []string{"success", "error"} {
					v, ok := m.Value(requestsTotal, "outcome", outcome)
					if !ok {
						return fmt.Errorf("/metrics has no series %s{outcome=%q}: is the registry that NewCounters registered on the one served? It shows:\n    %s",
							requestsTotal, outcome, orNothing(m.Named(requestsTotal).String()))
					}
					if v != 0 {
						return fmt.Errorf("%s{outcome=%q} is %g before any request, not 0", requestsTotal, outcome, v)
					}
				}
				return nil
			},
		},
		{
			Name: "/metrics shows the Go runtime's metrics, such as go_goroutines",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				m, err := s.Scrape(ctx)
				if err != nil {
					return err
				}
				if _, ok := m.Value("go_goroutines"); !ok {
					return fmt.Errorf("/metrics has no go_goroutines: register the Go collector (collectors.NewGoCollector()) on the registry")
				}
				return nil
			},
		},
		{
			Name: `the service still answers POST /sum {"a":1,"b":2} with {"v":3}`,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				req := request{http.MethodPost, "/sum", `{"a":1,"b":2}`, http.StatusOK}
				resp, err := req.send(ctx, s)
				if err != nil {
					return err
				}
				var got struct{ V *int }
				if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || got.V == nil || *got.V != 3 {
					return fmt.Errorf("%s answered %s, not {\"v\":3}", req, resp)
				}
				return nil
			},
		},
	}
}

// orNothing returns s, or "(nothing)" if it is empty.
func orNothing(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return s
}

// step03CountRequests checks exercise 3.2: the transport counts each request
// as a success or an error.
func step03CountRequests() []Case {
	var (
		goodSum    = request{http.MethodPost, "/sum", `{"a":1,"b":2}`, http.StatusOK}
		goodConcat = request{http.MethodPost, "/concat", `{"a":"x","b":"y"}`, http.StatusOK}
		badBody    = request{http.MethodPost, "/sum", `{`, http.StatusBadRequest}
		wrongType  = request{http.MethodPost, "/concat", `{"a":1,"b":"y"}`, http.StatusBadRequest}
		unknown    = request{http.MethodPost, "/nope", `{}`, http.StatusNotFound}
	)
	counts := func(name string, reqs []request, success, failures float64) Case {
		return Case{
			Name: name,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				for _, r := range reqs {
					if _, err := r.send(ctx, s); err != nil {
						return err
					}
				}
				return wantCounts(ctx, s, reqs, success, failures)
			},
		}
	}
	return []Case{
		counts(fmt.Sprintf(`a request that succeeds (%s) adds 1 to addsvc_requests_total{outcome="success"}`, goodSum),
			[]request{goodSum}, 1, 0),
		counts(fmt.Sprintf(`a body that is not JSON (%s) adds 1 to addsvc_requests_total{outcome="error"}`, badBody),
			[]request{badBody}, 0, 1),
		counts(fmt.Sprintf(`an unknown path (%s) adds 1 to addsvc_requests_total{outcome="error"}`, unknown),
			[]request{unknown}, 0, 1),
		counts("seven requests, four that succeed and three that fail, count 4 and 3",
			[]request{goodSum, badBody, goodConcat, goodSum, unknown, wrongType, goodConcat}, 4, 3),
		{
			Name: "reading /metrics is not counted",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				for range 3 {
					if _, err := s.Scrape(ctx); err != nil {
						return metricsFirst(err)
					}
				}
				return wantCounts(ctx, s, nil, 0, 0)
			},
		},
	}
}

// wantCounts reads the counters and compares them with what the requests
// sent should have counted.
func wantCounts(ctx context.Context, s *Service, sent []request, success, failures float64) error {
	m, err := s.Scrape(ctx)
	if err != nil {
		return metricsFirst(err)
	}
	gotSuccess, okS := m.Value(requestsTotal, "outcome", "success")
	gotErrors, okE := m.Value(requestsTotal, "outcome", "error")
	if okS && okE && gotSuccess == success && gotErrors == failures {
		return nil
	}
	var b strings.Builder
	switch len(sent) {
	case 0:
		b.WriteString("before any request")
	case 1:
		fmt.Fprintf(&b, "after %s (answered %d)", sent[0], sent[0].status)
	default:
		b.WriteString("after")
		for _, r := range sent {
			fmt.Fprintf(&b, "\n    %s (answered %d)", r, r.status)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, ", /metrics shows\n    %s\nbut it should show %s{outcome=\"success\"} %g and {outcome=\"error\"} %g: an answer of 200 is a success, any other answer an error",
		strings.ReplaceAll(orNothing(m.Named(requestsTotal).String()), "\n", "\n    "), requestsTotal, success, failures)
	return errors.New(b.String())
}

// metricsFirst explains an error reading /metrics in exercise 3.2, whose
// check needs exercise 3.1's /metrics.
func metricsFirst(err error) error {
	return fmt.Errorf("%w\n(this check reads the counters from /metrics, which exercise 3.1 serves: do 3.1 first)", err)
}
