package load

import (
	"fmt"
	"slices"
	"time"
)

// summary is one plan's measurements over the rounds: medians, and the
// ratios to step 1 over HTTP, computed round by round. cpuRatio is step 1's
// processor time per request divided by this one's: the share of step 1's
// requests a second that this step would serve on a core of its own, which
// other work on the machine disturbs less than requests a second.
type summary struct {
	plan
	perSecond, p50, p99, cpu, loadCPU, logBytes float64
	speed, p99Ratio, cpuRatio                   stat // against step 1 over HTTP; zero without it
}

func (s summary) label() string { return measurement{step: s.step, variant: s.variant}.label() }

// stat is the median of a few values and their range.
type stat struct{ median, min, max float64 }

func newStat(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	return stat{median: median(v), min: slices.Min(v), max: slices.Max(v)}
}

// summarize sums the rounds up, plan by plan, with ratios to each run's
// baseline if there is one.
func summarize(plans []plan, rounds [][]pairedRun, withBase bool) []summary {
	sums := make([]summary, len(plans))
	for i, p := range plans {
		var perSecond, p50, p99, cpu, loadCPU, logBytes, speed, p99Ratio, cpuRatio []float64
		for _, run := range runsOf(rounds, i, withBase && p.isBaseline()) {
			m := run.m
			perSecond = append(perSecond, m.result.perSecond())
			p50 = append(p50, float64(m.result.quantile(0.5)))
			p99 = append(p99, float64(m.result.quantile(0.99)))
			cpu = append(cpu, m.cpuPerRequest())
			if m.loadCPU > 0 {
				loadCPU = append(loadCPU, float64(m.loadCPU)/float64(max(m.result.total, 1)))
			}
			logBytes = append(logBytes, float64(m.logBytes)/float64(max(m.result.total, 1)))
			if withBase {
				b := run.base
				speed = append(speed, m.result.perSecond()/b.result.perSecond())
				p99Ratio = append(p99Ratio, float64(m.result.quantile(0.99))/float64(b.result.quantile(0.99)))
				if m.cpuPerRequest() > 0 {
					cpuRatio = append(cpuRatio, b.cpuPerRequest()/m.cpuPerRequest())
				}
			}
		}
		sums[i] = summary{plan: p,
			perSecond: median(perSecond), p50: median(p50), p99: median(p99), cpu: median(cpu),
			loadCPU: median(loadCPU), logBytes: median(logBytes),
			speed: newStat(speed), p99Ratio: newStat(p99Ratio), cpuRatio: newStat(cpuRatio),
		}
	}
	return sums
}

// runsOf returns plan i's runs, one a round; for the baseline, every run of
// it, the ones made before each other plan included, each its own base.
func runsOf(rounds [][]pairedRun, i int, baseline bool) []pairedRun {
	var runs []pairedRun
	for _, round := range rounds {
		if !baseline {
			runs = append(runs, round[i])
			continue
		}
		for _, run := range round { // its own run is the base of itself
			runs = append(runs, pairedRun{base: run.base, m: run.base})
		}
	}
	return runs
}

// loadTable lays the summaries out, with the range of each ratio when there
// were several rounds.
func loadTable(sums []summary, ranges bool) *table {
	t := &table{head: []string{"step", "transport", "req/s", "vs step 1", "p50", "p99", "p99 vs step 1",
		"service CPU/req", "step 1's CPU/req ÷ this", "load CPU/req", "log bytes/req"}}
	ratioCell := func(s stat) string {
		if s.median == 0 {
			return "–"
		}
		if !ranges {
			return fmt.Sprintf("%.2f×", s.median)
		}
		return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.median, s.min, s.max)
	}
	for _, s := range sums {
		t.add(s.label(), s.transport, fmt.Sprintf("%.0f", s.perSecond), ratioCell(s.speed),
			dur(time.Duration(s.p50)), dur(time.Duration(s.p99)), ratioCell(s.p99Ratio),
			nanos(s.cpu), ratioCell(s.cpuRatio), nanos(s.loadCPU), fmt.Sprintf("%.0f", s.logBytes))
	}
	return t
}
