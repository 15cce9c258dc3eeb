package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// promClient asks Prometheus' HTTP API (/api/v1/query).
type promClient struct {
	base string // e.g. http://127.0.0.1:9090
	http *http.Client
}

// promSample is one series of an instant vector: its labels and value.
type promSample struct {
	labels map[string]string
	value  float64
}

// query evaluates the PromQL expr now and returns the resulting vector.
func (p promClient) query(ctx context.Context, expr string) ([]promSample, error) {
	u := p.base + "/api/v1/query?" + url.Values{"query": {expr}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("query Prometheus: %w", err)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query Prometheus: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return nil, fmt.Errorf("query Prometheus: read the answer: %w", err)
	}
	samples, err := parsePromResponse(body)
	if err != nil {
		return nil, fmt.Errorf("query Prometheus for %s: %s: %w", expr, resp.Status, err)
	}
	return samples, nil
}

// parsePromResponse returns the instant vector in an answer of Prometheus'
// query API, or the error that the answer reports.
func parsePromResponse(body []byte) ([]promSample, error) {
	var r struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("not an answer of the query API: %w", err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("result of type %q, want a vector", r.Data.ResultType)
	}
	samples := make([]promSample, 0, len(r.Data.Result))
	for _, res := range r.Data.Result {
		if len(res.Value) != 2 {
			return nil, fmt.Errorf("value %v: want [time, \"value\"]", res.Value)
		}
		s, ok := res.Value[1].(string)
		if !ok {
			return nil, fmt.Errorf("value %v: want the value as a string", res.Value[1])
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("value %q: %w", s, err)
		}
		samples = append(samples, promSample{labels: res.Metric, value: v})
	}
	return samples, nil
}

// promQueries are the PromQL expressions of the demo, over a window that
// reaches back to when the traffic began (or the service started), so that
// what Prometheus kept from earlier runs does not count. The counts take the last value in the
// window (the service's counters start at 0 with it), the rate and the
// durations what Prometheus computes from the samples.
type promQueries struct {
	window string // e.g. "23s"
}

// newPromQueries returns the queries over the time since start, in whole
// seconds, rounded up.
func newPromQueries(start, now time.Time) promQueries {
	secs := int(math.Ceil(now.Sub(start).Seconds()))
	return promQueries{window: fmt.Sprintf("%ds", max(secs, 1))}
}

// calls counts the calls by method and success.
func (q promQueries) calls() string {
	return fmt.Sprintf(`sum by (method, success) (last_over_time(addsvc_request_duration_seconds_count[%s]))`, q.window)
}

// rate is the requests a second by method.
func (q promQueries) rate() string {
	return fmt.Sprintf(`sum by (method) (rate(addsvc_request_duration_seconds_count[%s]))`, q.window)
}

// average is the average duration of a call by method, in seconds.
func (q promQueries) average() string {
	return fmt.Sprintf(`sum by (method) (last_over_time(addsvc_request_duration_seconds_sum[%[1]s])) / sum by (method) (last_over_time(addsvc_request_duration_seconds_count[%[1]s]))`, q.window)
}

// quantile is the duration under which a fraction phi of the calls took,
// by method, as estimated from the histogram's buckets.
func (q promQueries) quantile(phi float64) string {
	return fmt.Sprintf(`histogram_quantile(%g, sum by (method, le) (last_over_time(addsvc_request_duration_seconds_bucket[%s])))`, phi, q.window)
}

// bucketTotal is the count of the histogram's +Inf bucket by method, which
// must equal the count of calls.
func (q promQueries) bucketTotal() string {
	return fmt.Sprintf(`sum by (method) (last_over_time(addsvc_request_duration_seconds_bucket{le="+Inf"}[%s]))`, q.window)
}

// counter is the last value of the counter called name.
func (q promQueries) counter(name string) string {
	return fmt.Sprintf(`sum(last_over_time(%s[%s]))`, name, q.window)
}

// up is 1 when Prometheus' last scrape of the service succeeded.
func (q promQueries) up() string {
	return fmt.Sprintf(`last_over_time(up{job="addsvc"}[%s])`, q.window)
}

// The counters of the service's business work.
const (
	integersSummed         = "addsvc_integers_summed_total"
	charactersConcatenated = "addsvc_characters_concatenated_total"
)

// methodStats is what Prometheus knows about the calls of one method.
type methodStats struct {
	method      string
	ok, failed  float64 // calls, by success
	rate        float64 // calls a second
	avg         float64 // seconds
	p99         float64 // seconds, estimated from the buckets
	bucketTotal float64 // the +Inf bucket's count
}

// promReport is what the demo shows from Prometheus, and checks.
type promReport struct {
	queries                promQueries
	methods                []methodStats // Sum, then Concat, then any other
	integersSummed         *float64      // nil when Prometheus has no such series
	charactersConcatenated *float64
}

// promResults holds the answers of the report's queries.
type promResults struct {
	calls, rate, average, p99, bucketTotal []promSample
	integersSummed, charactersConcatenated []promSample
}

// fetchPromReport asks Prometheus every query of the report.
func fetchPromReport(ctx context.Context, p promClient, q promQueries) (promReport, error) {
	var res promResults
	for _, x := range []struct {
		expr string
		dst  *[]promSample
	}{
		{q.calls(), &res.calls},
		{q.rate(), &res.rate},
		{q.average(), &res.average},
		{q.quantile(0.99), &res.p99},
		{q.bucketTotal(), &res.bucketTotal},
		{q.counter(integersSummed), &res.integersSummed},
		{q.counter(charactersConcatenated), &res.charactersConcatenated},
	} {
		samples, err := p.query(ctx, x.expr)
		if err != nil {
			return promReport{}, err
		}
		*x.dst = samples
	}
	return buildPromReport(q, res), nil
}

// buildPromReport puts the answers of the queries together, one row per
// method.
func buildPromReport(q promQueries, res promResults) promReport {
	r := promReport{queries: q}
	byMethod := map[string]*methodStats{}
	var order []string
	stats := func(s promSample) *methodStats {
		m := s.labels["method"]
		if byMethod[m] == nil {
			byMethod[m] = &methodStats{method: m}
			order = append(order, m)
		}
		return byMethod[m]
	}
	for _, s := range res.calls {
		if s.labels["success"] == "true" {
			stats(s).ok += s.value
		} else {
			stats(s).failed += s.value
		}
	}
	for _, s := range res.rate {
		stats(s).rate = s.value
	}
	for _, s := range res.average {
		stats(s).avg = s.value
	}
	for _, s := range res.p99 {
		stats(s).p99 = s.value
	}
	for _, s := range res.bucketTotal {
		stats(s).bucketTotal = s.value
	}
	for _, m := range []string{"Sum", "Concat"} {
		if st := byMethod[m]; st != nil {
			r.methods = append(r.methods, *st)
		}
	}
	for _, m := range order {
		if m != "Sum" && m != "Concat" {
			r.methods = append(r.methods, *byMethod[m])
		}
	}
	if len(res.integersSummed) == 1 {
		r.integersSummed = &res.integersSummed[0].value
	}
	if len(res.charactersConcatenated) == 1 {
		r.charactersConcatenated = &res.charactersConcatenated[0].value
	}
	return r
}

// method returns the stats of the method called name, if Prometheus has
// any.
func (r promReport) method(name string) (methodStats, bool) {
	for _, m := range r.methods {
		if m.method == name {
			return m, true
		}
	}
	return methodStats{}, false
}

// countsMatch reports whether the calls that Prometheus counted are those
// of want, or else what differs.
func (r promReport) countsMatch(want expectedCounts) error {
	for _, ep := range []string{"Sum", "Concat"} {
		got, _ := r.method(ep)
		ok, failed := want.calls[ep][true], want.calls[ep][false]
		if got.ok != float64(ok) || got.failed != float64(failed) {
			return fmt.Errorf("%s: Prometheus has %s ok and %s failed, the traffic made %d and %d",
				ep, formatCount(got.ok), formatCount(got.failed), ok, failed)
		}
	}
	return nil
}

// formatCount prints a count without decimals when it is whole.
func formatCount(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
