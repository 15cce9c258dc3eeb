package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/components"
	"github.com/prometheus/common/model"
)

// The counters of the service's business work.
const (
	integersSummed         = "addsvc_integers_summed_total"
	charactersConcatenated = "addsvc_characters_concatenated_total"
)

// window returns the time since start in whole seconds, rounded up, as a
// PromQL range: queries over it leave out what Prometheus kept from
// earlier runs.
func window(start time.Time) string {
	return fmt.Sprintf("%ds", max(int(math.Ceil(time.Since(start).Seconds())), 1))
}

// promQueries returns the demo's PromQL over window w, by name. The counts
// take the last value in the window (the service's counters start at 0
// with it), the rate and the durations what Prometheus computes from the
// samples; p99 is estimated from the histogram's buckets.
func promQueries(w string) map[string]string {
	last := func(series string) string { return "last_over_time(" + series + "[" + w + "])" }
	return map[string]string{
		"calls":                "sum by (method, success) (" + last("addsvc_request_duration_seconds_count") + ")",
		"req/s":                "sum by (method) (rate(addsvc_request_duration_seconds_count[" + w + "]))",
		"avg":                  "sum by (method) (" + last("addsvc_request_duration_seconds_sum") + ") / sum by (method) (" + last("addsvc_request_duration_seconds_count") + ")",
		"p99":                  "histogram_quantile(0.99, sum by (method, le) (" + last("addsvc_request_duration_seconds_bucket") + "))",
		"buckets":              "sum by (method) (" + last(`addsvc_request_duration_seconds_bucket{le="+Inf"}`) + ")",
		integersSummed:         "sum(" + last(integersSummed) + ")",
		charactersConcatenated: "sum(" + last(charactersConcatenated) + ")",
	}
}

// query evaluates expr now with Prometheus' API client and returns the
// resulting vector.
func (d *demo) query(ctx context.Context, expr string) (model.Vector, error) {
	v, _, _, err := d.prom.Query(ctx, expr, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query Prometheus for %s: %w", expr, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query Prometheus for %s: got a %s, want a vector", expr, v.Type())
	}
	return vec, nil
}

// promReport is Prometheus' answers to promQueries over window: by query,
// the value of each method ("Sum"; the calls also by success, "Sum true"),
// or of the service ("").
type promReport struct {
	window string
	values map[string]map[string]float64
}

// promReport asks Prometheus every query over the time since start.
func (d *demo) promReport(ctx context.Context, start time.Time) (promReport, error) {
	r := promReport{window: window(start), values: map[string]map[string]float64{}}
	for name, expr := range promQueries(r.window) {
		v, err := d.query(ctx, expr)
		if err != nil {
			return r, err
		}
		r.values[name] = map[string]float64{}
		for _, s := range v {
			r.values[name][strings.TrimSpace(string(s.Metric["method"])+" "+string(s.Metric["success"]))] = float64(s.Value)
		}
	}
	return r, nil
}

// methods returns the methods that Prometheus counted calls of: Sum, then
// Concat, then any other.
func (r promReport) methods() []string {
	var ms []string
	for key := range r.values["calls"] {
		if m := strings.Fields(key)[0]; !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	order := func(m string) int { return (slices.Index([]string{"Sum", "Concat"}, m) + 3) % 3 } // others last
	slices.SortFunc(ms, func(a, b string) int { return cmp.Or(cmp.Compare(order(a), order(b)), strings.Compare(a, b)) })
	return ms
}

// calls returns the calls of method that Prometheus counted, by success.
func (r promReport) calls(method string) (ok, failed float64) {
	return r.values["calls"][method+" true"], r.values["calls"][method+" false"]
}

// showMetrics waits until Prometheus has scraped every call, then shows
// the calls, rate and durations per method and the business counters, over
// the time since the traffic began.
func (d *demo) showMetrics(ctx context.Context, calls []call) (promReport, error) {
	d.stage("Prometheus: what it scraped from http://%s/metrics (every 2s), through its query API", d.svcHTTP)
	var r promReport
	waited := time.Now()
	err := poll(ctx, scrapeTimeout, time.Second, func() (bool, error) {
		var err error
		if r, err = d.promReport(ctx, calls[0].start); err != nil {
			return true, err
		}
		counted := 0.0
		for _, v := range r.values["calls"] {
			counted += v
		}
		if counted != float64(len(calls)) {
			return false, fmt.Errorf("Prometheus has counted %s of the %d calls", formatCount(counted), len(calls))
		}
		return true, nil
	})
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	if err != nil {
		d.say("Prometheus does not count every call yet: %v", err)
	} else {
		d.say("(Prometheus had counted every call %s after the traffic ended)", formatElapsed(time.Since(waited)))
	}
	fmt.Fprintln(d.out)
	rows := [][]string{{"METHOD", "CALLS", "OK", "FAILED", "REQ/S", "AVG", "P99*"}}
	for _, m := range r.methods() {
		ok, failed := r.calls(m)
		rows = append(rows, []string{m, formatCount(ok + failed), formatCount(ok), formatCount(failed),
			fmt.Sprintf("%.2f", r.values["req/s"][m]), formatSeconds(r.values["avg"][m]), formatSeconds(r.values["p99"][m])})
	}
	d.table(rows...)
	fmt.Fprintln(d.out)
	counter := func(name, note string) []string {
		if v, ok := r.values[name][""]; ok {
			return []string{name, formatCount(v), note}
		}
		return []string{name, "(no such series)", note}
	}
	d.table(counter(integersSummed, "(2 for each successful Sum)"),
		counter(charactersConcatenated, "(the characters of the successful Concat results)"))
	fmt.Fprintln(d.out)
	d.say("* P99 is estimated from the histogram's buckets, the smallest of which is 5ms: for calls this fast it")
	d.say("  reads high. AVG (sum / count) is exact. REQ/S is rate() over the %s since the traffic began; it", r.window)
	d.say("  reads low here, as rate() misses the calls before a series' first scrape.")
	d.say("The PromQL behind the table, to paste at http://%s/graph ([%s] leaves out earlier runs):", components.PrometheusAddr, r.window)
	q := promQueries(r.window)
	d.table([]string{"  calls", q["calls"]}, []string{"  req/s", q["req/s"]}, []string{"  avg", q["avg"]}, []string{"  p99", q["p99"]})
	return r, nil
}

// formatCount prints a count without decimals when it is whole.
func formatCount(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatSeconds formats a duration given in seconds, as formatMicros does;
// "-" when there is none (NaN, as Prometheus says for no calls).
func formatSeconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "-"
	}
	return formatMicros(int64(math.Round(s * 1e6)))
}
