package load

import (
	"fmt"
	"io"
	"math"
	"slices"
)

// The targets of the issue that asked for this load test, on the medians of
// the ratios to step 1 over HTTP, each run's to the run of step 1 just before
// it. Some are against go-kit's own addsvc example on the same harness
// (Options.Example): a step's ratio divided by the example's.
const (
	// Steps 6 and 7 (to a collector) cost no more than go-kit's example,
	// untraced and traced to the same collector: within 5 %.
	targetVsExample = 0.95
	// Step 8, tracing every request to a collector: at least this ratio to
	// step 1, this times the traced example's ratio, and a p99 at most this
	// times step 1's.
	targetStep8          = 0.45
	targetStep8VsExample = 1.4
	targetStep8P99       = 3.0
)

// target is one target, checked or not.
type target struct {
	what   string
	got    float64 // as printed: rounded to 2 decimals
	want   float64
	atMost bool    // got must be ≤ want, rather than ≥
	cpu    float64 // the same comparison by processor time per request; 0 if unknown
	needs  string  // why it was not checked, such as "needs -example"; "" if it was
}

func (t target) met() bool {
	if t.atMost {
		return t.got <= t.want
	}
	return t.got >= t.want
}

// targets returns the targets, from the HTTP summaries: those of the
// steps and example that were measured.
func targets(sums []summary) []target {
	find := func(match func(summary) bool) (summary, bool) {
		i := slices.IndexFunc(sums, func(s summary) bool { return s.transport == "HTTP" && match(s) })
		if i < 0 {
			return summary{}, false
		}
		return sums[i], true
	}
	stepRun := func(num int, collector bool) func(summary) bool {
		return func(s summary) bool {
			return !s.step.example && s.step.num == num && s.variant.collector == collector &&
				(collector || len(s.variant.args) == 0)
		}
	}
	example := func(collector bool) func(summary) bool {
		return func(s summary) bool { return s.step.example && s.variant.collector == collector }
	}
	var ts []target
	// vsExample compares s's req/s ratio with the example's.
	vsExample := func(s summary, collector bool, want float64) {
		exName := exampleLabel
		if collector {
			exName += ", to a collector"
		}
		what := s.label() + ", req/s vs " + exName + "'s"
		ex, ok := find(example(collector))
		if !ok || ex.speed.median <= 0 {
			ts = append(ts, target{what: what, want: want, needs: "needs -example"})
			return
		}
		t := target{what: what, got: round2(s.speed.median / ex.speed.median), want: want}
		if s.cpuRatio.median > 0 && ex.cpuRatio.median > 0 {
			t.cpu = s.cpuRatio.median / ex.cpuRatio.median
		}
		ts = append(ts, t)
	}
	if s, ok := find(stepRun(6, false)); ok {
		vsExample(s, false, targetVsExample)
	}
	if s, ok := find(stepRun(7, true)); ok {
		vsExample(s, true, targetVsExample)
	}
	if s, ok := find(stepRun(8, true)); ok {
		ts = append(ts, target{what: s.label() + ", req/s", got: round2(s.speed.median), want: targetStep8, cpu: s.cpuRatio.median})
		vsExample(s, true, targetStep8VsExample)
		ts = append(ts, target{what: s.label() + ", p99", got: round2(s.p99Ratio.median), want: targetStep8P99, atMost: true})
	}
	return ts
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// writeTargets says which targets the HTTP medians meet.
func writeTargets(w io.Writer, sums []summary) {
	if !slices.ContainsFunc(sums, func(s summary) bool { return s.speed.median > 0 }) {
		fmt.Fprintln(w, "Targets: not checked, step 1 was not measured.")
		return
	}
	ts := targets(sums)
	if len(ts) == 0 {
		fmt.Fprintln(w, "Targets: none for these steps (they are on steps 6, 7 and 8).")
		return
	}
	fmt.Fprintln(w, "Targets (HTTP, medians of the ratios to the run of step 1 just before each; \"vs go-kit addsvc's\": that ratio divided by the example's; in brackets, the same by processor time per request):")
	for _, t := range ts {
		op := "≥"
		if t.atMost {
			op = "≤"
		}
		if t.needs != "" {
			fmt.Fprintf(w, "- %s: (%s %.2f×) not checked, %s\n", t.what, op, t.want, t.needs)
			continue
		}
		verdict := "met"
		if !t.met() {
			verdict = "MISSED"
		}
		byCPU := ""
		if t.cpu > 0 {
			byCPU = fmt.Sprintf(" [by processor time %.2f×]", t.cpu)
		}
		fmt.Fprintf(w, "- %s: %.2f× (%s %.2f×) %s%s\n", t.what, t.got, op, t.want, verdict, byCPU)
	}
}
