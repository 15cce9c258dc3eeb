package load

import (
	"testing"
	"time"
)

// run makes a measurement of perSecond requests a second for one second.
func run(p plan, perSecond int) measurement {
	return measurement{step: p.step, variant: p.variant, transport: p.transport,
		result: loadResult{requests: perSecond, elapsed: time.Second, total: perSecond,
			latencies: []time.Duration{time.Millisecond}},
		serverCPU: time.Second}
}

// TestSummarizeTakesEachRatioFromItsOwnPair: the machine's speed drifts
// from run to run, and a step that costs 2× step 1 reads 0.5× in both
// rounds, because each of its runs is compared with the baseline run just
// before it. The baseline's row sums up every run of it.
func TestSummarizeTakesEachRatioFromItsOwnPair(t *testing.T) {
	base := plan{step: step{num: 1}, transport: "HTTP"}
	seven := plan{step: step{num: 7}, transport: "HTTP"}
	if !base.isBaseline() || seven.isBaseline() {
		t.Fatal("step 1 over HTTP is the baseline, and step 7 is not")
	}
	plans := []plan{base, seven}
	rounds := [][]pairedRun{
		{{base: run(base, 40000), m: run(base, 40000)}, {base: run(base, 50000), m: run(seven, 25000)}},
		{{base: run(base, 20000), m: run(base, 20000)}, {base: run(base, 48000), m: run(seven, 24000)}},
	}
	sums := summarize(plans, rounds, true)
	half, one := stat{median: 0.5, min: 0.5, max: 0.5}, stat{median: 1, min: 1, max: 1}
	if sums[1].speed != half || sums[1].cpuRatio != half {
		t.Errorf("step 7: speed %+v, processor time %+v; want 0.5× in both rounds", sums[1].speed, sums[1].cpuRatio)
	}
	if sums[1].perSecond != 24500 {
		t.Errorf("step 7: %v req/s; want the median of its runs, 24500", sums[1].perSecond)
	}
	if sums[0].speed != one || sums[0].perSecond != 44000 {
		t.Errorf("step 1: speed %+v, %v req/s; want 1× and the median of its four runs, 44000", sums[0].speed, sums[0].perSecond)
	}

	unpaired := summarize([]plan{seven}, [][]pairedRun{{{m: run(seven, 20000)}}}, false)
	if unpaired[0].speed != (stat{}) {
		t.Errorf("without a baseline, step 7's speed is %+v; want none", unpaired[0].speed)
	}
}
