package load

import (
	"fmt"
	"io"
	"math"
	"slices"
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

// writeTargets says which targets the HTTP medians meet.
func writeTargets(w io.Writer, sums []summary) {
	if !slices.ContainsFunc(sums, func(s summary) bool { return s.speed.median > 0 }) {
		fmt.Fprintln(w, "Targets: not checked, step 1 was not measured.")
		return
	}
	fmt.Fprintln(w, "Targets (HTTP, medians of the ratios to the run of step 1 just before each; in brackets, the ratio of processor time per request):")
	check := func(what string, got, want float64, atMost bool, cpu stat) {
		got = math.Round(got*100) / 100 // as printed
		ok, op := got >= want, "≥"
		if atMost {
			ok, op = got <= want, "≤"
		}
		verdict := "met"
		if !ok {
			verdict = "MISSED"
		}
		byCPU := ""
		if cpu.median > 0 {
			byCPU = fmt.Sprintf(" [by processor time %.2f×]", cpu.median)
		}
		fmt.Fprintf(w, "- %s: %.2f× (%s %.2f×) %s%s\n", what, got, op, want, verdict, byCPU)
	}
	for _, s := range sums {
		if s.transport != "HTTP" || s.step.num == 1 {
			continue
		}
		switch {
		case s.variant.collector:
			check(s.label()+", req/s", s.speed.median, targetCollector, false, s.cpuRatio)
			check(s.label()+", p99", s.p99Ratio.median, targetP99, true, stat{})
		case s.variant.name == "sample rate 0":
			check(s.label()+", req/s", s.speed.median, targetSampleZero, false, s.cpuRatio)
			check(s.label()+", p99", s.p99Ratio.median, targetP99, true, stat{})
		case s.step.num >= stepWithTracing:
			check(s.label()+", req/s, against go-kit's example with Zipkin", s.speed.median, goKitWithTracing, false, s.cpuRatio)
		default:
			check(s.label()+", req/s, against go-kit's example untraced", s.speed.median, goKitUntraced, false, s.cpuRatio)
		}
	}
}
