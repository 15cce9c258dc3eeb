package load

import (
	"fmt"
	"io"
)

// The targets of the issue that asked for this load test, as ratios to step
// 1 over HTTP in the same run, and go-kit's own addsvc example's figures on
// the same harness, which every step should beat.
const (
	targetCollector  = 0.60 // step 7, every request traced to a collector
	targetSampleZero = 0.85 // step 7 with -zipkin-sample-rate 0
	targetP99        = 2.0  // step 7's p99, at most this times step 1's
	goKitUntraced    = 0.60 // go-kit's addsvc example without tracing
	goKitWithTracing = 0.38 // and with Zipkin
	stepWithTracing  = 7
)

// writeTargets says which targets the HTTP measurements meet.
func writeTargets(w io.Writer, results []measurement) {
	var base *measurement
	for i, r := range results {
		if r.step.num == 1 && r.transport == "HTTP" && r.variant.name == "" {
			base = &results[i]
		}
	}
	if base == nil {
		fmt.Fprintln(w, "Targets: not checked, step 1 was not measured.")
		return
	}
	fmt.Fprintln(w, "Targets (HTTP, ratios to step 1 in this run):")
	check := func(what string, got, want float64, atMost bool) {
		ok := got >= want
		op := "≥"
		if atMost {
			ok, op = got <= want, "≤"
		}
		verdict := "met"
		if !ok {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "- %s: %.2f× (%s %.2f×) %s\n", what, got, op, want, verdict)
	}
	speed := func(r measurement) float64 { return r.result.perSecond() / base.result.perSecond() }
	p99 := func(r measurement) float64 {
		return float64(r.result.quantile(0.99)) / float64(base.result.quantile(0.99))
	}
	for _, r := range results {
		if r.transport != "HTTP" || r.step.num == 1 {
			continue
		}
		switch {
		case r.variant.collector:
			check(r.label()+", req/s", speed(r), targetCollector, false)
			check(r.label()+", p99", p99(r), targetP99, true)
		case r.variant.name == "sample rate 0":
			check(r.label()+", req/s", speed(r), targetSampleZero, false)
			check(r.label()+", p99", p99(r), targetP99, true)
		case r.step.num >= stepWithTracing:
			check(r.label()+", req/s, against go-kit's example with Zipkin", speed(r), goKitWithTracing, false)
		default:
			check(r.label()+", req/s, against go-kit's example untraced", speed(r), goKitUntraced, false)
		}
	}
}
