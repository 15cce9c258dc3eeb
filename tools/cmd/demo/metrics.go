package main

import (
	"context"
	"fmt"
	"time"
)

// showMetrics waits until Prometheus has scraped every call, then shows
// the calls, rate and durations per method and the business counters, over
// the time since the traffic began.
func (d *demo) showMetrics(ctx context.Context, results []callResult) error {
	plan := make([]call, len(results))
	for i, r := range results {
		plan[i] = r.call
	}
	want := expectCounts(plan)
	prom := promClient{base: "http://" + prometheusAddr, http: d.http}
	d.stage("Prometheus: what it scraped from http://%s/metrics (every 2s), through its query API", serviceHTTPAddr)

	var report promReport
	waited := time.Now()
	err := poll(ctx, scrapeTimeout, time.Second, func() (bool, error) {
		var err error
		report, err = fetchPromReport(ctx, prom, newPromQueries(results[0].start, time.Now()))
		if err != nil {
			return true, err
		}
		if err := report.countsMatch(want); err != nil {
			return false, err
		}
		return true, nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		d.say("Prometheus does not count every call yet: %v", err)
	} else {
		d.say("(Prometheus had counted every call %s after the traffic ended)", formatElapsed(time.Since(waited)))
	}
	fmt.Fprintln(d.out)

	var rows [][]string
	for _, m := range report.methods {
		rows = append(rows, []string{m.method, formatCount(m.ok + m.failed), formatCount(m.ok), formatCount(m.failed),
			fmt.Sprintf("%.2f", m.rate), formatSeconds(m.avg), formatSeconds(m.p99)})
	}
	numbers := []bool{false, true, true, true, true, true, true}
	for _, line := range formatTable([]string{"METHOD", "CALLS", "OK", "FAILED", "REQ/S", "AVG", "P99*"}, rows, numbers) {
		d.say("%s", line)
	}
	fmt.Fprintln(d.out)
	counter := func(v *float64) string {
		if v == nil {
			return "(no such series)"
		}
		return formatCount(*v)
	}
	for _, line := range formatTable(nil, [][]string{
		{integersSummed, counter(report.integersSummed), "(2 for each successful Sum)"},
		{charactersConcatenated, counter(report.charactersConcatenated), "(the characters of the successful Concat results)"},
	}, []bool{false, true, false}) {
		d.say("%s", line)
	}
	fmt.Fprintln(d.out)
	q := report.queries
	d.say("* P99 is estimated from the histogram's buckets, the smallest of which is 5ms: for calls this fast it")
	d.say("  reads high. AVG (sum / count) is exact. REQ/S is rate() over the %s since the traffic began; it", q.window)
	d.say("  reads low here, as rate() misses the calls before a series' first scrape.")
	d.say("The PromQL behind the table, to paste at http://%s/graph ([%s] leaves out earlier runs):", prometheusAddr, q.window)
	for _, line := range formatTable(nil, [][]string{
		{"calls", q.calls()},
		{"req/s", q.rate()},
		{"avg", q.average()},
		{"p99", q.quantile(0.99)},
	}, nil) {
		d.say("  %s", line)
	}

	if d.check {
		d.checkMetrics(report, want, err)
	}
	return nil
}

// checkMetrics records -check's assertions about what Prometheus scraped.
func (d *demo) checkMetrics(report promReport, want expectedCounts, waitErr error) {
	for _, ep := range []string{"Sum", "Concat"} {
		what := fmt.Sprintf("Prometheus: addsvc_request_duration_seconds_count{method=%q}", ep)
		got, ok := report.method(ep)
		wantOK, wantFailed := want.calls[ep][true], want.calls[ep][false]
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("no series (waiting: %v)", waitErr)
		case got.ok != float64(wantOK) || got.failed != float64(wantFailed):
			err = fmt.Errorf("%s ok and %s failed, want %d and %d as sent", formatCount(got.ok), formatCount(got.failed), wantOK, wantFailed)
		case got.ok+got.failed <= 0:
			err = fmt.Errorf("count is 0")
		}
		d.checks.add(what, fmt.Sprintf("%d calls: %d ok, %d failed, as sent", wantOK+wantFailed, wantOK, wantFailed), err)

		what = fmt.Sprintf("Prometheus: histogram addsvc_request_duration_seconds{method=%q}", ep)
		err = nil
		switch {
		case !ok:
			err = fmt.Errorf("no series")
		case got.bucketTotal != got.ok+got.failed:
			err = fmt.Errorf("its +Inf bucket counts %s, its count is %s", formatCount(got.bucketTotal), formatCount(got.ok+got.failed))
		case !(got.avg > 0):
			err = fmt.Errorf("its sum / count is %v, want a duration > 0", got.avg)
		}
		d.checks.add(what, fmt.Sprintf("buckets up to +Inf count all %s calls, average %s", formatCount(got.bucketTotal), formatSeconds(got.avg)), err)
	}
	for _, x := range []struct {
		name string
		got  *float64
		want int
	}{
		{integersSummed, report.integersSummed, want.integersSummed},
		{charactersConcatenated, report.charactersConcatenated, want.charactersConcatenated},
	} {
		var err error
		switch {
		case x.got == nil:
			err = fmt.Errorf("no series")
		case *x.got != float64(x.want):
			err = fmt.Errorf("%s, want %d as sent", formatCount(*x.got), x.want)
		}
		d.checks.add("Prometheus: "+x.name, fmt.Sprintf("%d, as sent", x.want), err)
	}
}
