package load

import (
	"fmt"
	"strings"
	"testing"
)

// sum is an HTTP summary of a run with the given median ratios to step 1:
// req/s, p99 and processor time.
func sum(s step, v variant, speed, p99, cpu float64) summary {
	return summary{plan: plan{step: s, variant: v, transport: "HTTP"},
		speed: stat{median: speed}, p99Ratio: stat{median: p99}, cpuRatio: stat{median: cpu}}
}

func TestTargets(t *testing.T) {
	var (
		one      = step{num: 1, name: "step01-naive"}
		five     = step{num: 5, name: "step05-endpoints"}
		six      = step{num: 6, name: "step06-transports"}
		seven    = step{num: 7, name: "step07-tracing"}
		eight    = step{num: 8, name: "step08-production"}
		ex       = step{name: "go-kit-addsvc", example: true}
		toLog    = variant{name: "spans to its log"}
		toCol    = variant{name: "spans to a collector", collector: true}
		rateZero = variant{name: "sample rate 0", args: []string{"-zipkin-sample-rate", "0"}}
		exToCol  = variant{name: "to a collector", collector: true}
	)
	base := sum(one, variant{}, 1, 1, 1)
	grpc := sum(six, variant{}, 2, 1, 2) // over gRPC: no target looks at it
	grpc.transport = "gRPC"
	for _, tc := range []struct {
		name string
		sums []summary
		want []string // the targets, as "what: got want verdict", in order
	}{
		{
			name: "steps 6, 7 and 8 against the example, all met",
			sums: []summary{base, grpc, sum(five, variant{}, 0.9, 1, 0.9),
				sum(six, variant{}, 0.57, 1.2, 0.6), sum(seven, toLog, 0.3, 2, 0.3), sum(seven, toCol, 0.38, 2, 0.4),
				sum(seven, rateZero, 0.5, 1.5, 0.5), sum(eight, toLog, 0.4, 2, 0.4), sum(eight, toCol, 0.56, 2.9, 0.6),
				sum(ex, variant{}, 0.6, 1.5, 0.5), sum(ex, exToCol, 0.4, 2.5, 0.4)},
			want: []string{
				"06-transports, req/s vs go-kit addsvc's: 0.95 ≥0.95 met cpu 1.20",
				"07-tracing, spans to a collector, req/s vs go-kit addsvc, to a collector's: 0.95 ≥0.95 met cpu 1.00",
				"08-production, spans to a collector, req/s: 0.56 ≥0.45 met cpu 0.60",
				"08-production, spans to a collector, req/s vs go-kit addsvc, to a collector's: 1.40 ≥1.40 met cpu 1.50",
				"08-production, spans to a collector, p99: 2.90 ≤3.00 met",
			},
		},
		{
			name: "missed",
			sums: []summary{base, sum(six, variant{}, 0.5, 1, 0), sum(seven, toCol, 0.3, 2, 0.3),
				sum(eight, toCol, 0.44, 3.1, 0.5), sum(ex, variant{}, 0.6, 1, 0.5), sum(ex, exToCol, 0.4, 2, 0.4)},
			want: []string{
				"06-transports, req/s vs go-kit addsvc's: 0.83 ≥0.95 MISSED",
				"07-tracing, spans to a collector, req/s vs go-kit addsvc, to a collector's: 0.75 ≥0.95 MISSED cpu 0.75",
				"08-production, spans to a collector, req/s: 0.44 ≥0.45 MISSED cpu 0.50",
				"08-production, spans to a collector, req/s vs go-kit addsvc, to a collector's: 1.10 ≥1.40 MISSED cpu 1.25",
				"08-production, spans to a collector, p99: 3.10 ≤3.00 MISSED",
			},
		},
		{
			name: "without -example",
			sums: []summary{base, sum(six, variant{}, 0.6, 1, 0.6), sum(seven, toCol, 0.4, 2, 0.4), sum(eight, toCol, 0.5, 2, 0.5)},
			want: []string{
				"06-transports, req/s vs go-kit addsvc's: needs -example",
				"07-tracing, spans to a collector, req/s vs go-kit addsvc, to a collector's: needs -example",
				"08-production, spans to a collector, req/s: 0.50 ≥0.45 met cpu 0.50",
				"08-production, spans to a collector, req/s vs go-kit addsvc, to a collector's: needs -example",
				"08-production, spans to a collector, p99: 2.00 ≤3.00 met",
			},
		},
		{
			name: "only the untraced example: step 7 against the traced one needs it",
			sums: []summary{base, sum(seven, toCol, 0.4, 2, 0.4), sum(ex, variant{}, 0.6, 1, 0.5)},
			want: []string{"07-tracing, spans to a collector, req/s vs go-kit addsvc, to a collector's: needs -example"},
		},
		{
			name: "no step with a target",
			sums: []summary{base, sum(five, variant{}, 0.9, 1, 0.9), sum(ex, variant{}, 0.6, 1, 0.5)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tg := range targets(tc.sums) {
				if tg.needs != "" {
					got = append(got, tg.what+": "+tg.needs)
					continue
				}
				op, verdict := "≥", "met"
				if tg.atMost {
					op = "≤"
				}
				if !tg.met() {
					verdict = "MISSED"
				}
				line := tg.what + ": " + ftoa(tg.got) + " " + op + ftoa(tg.want) + " " + verdict
				if tg.cpu > 0 {
					line += " cpu " + ftoa(tg.cpu)
				}
				got = append(got, line)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestWriteTargets(t *testing.T) {
	var b strings.Builder
	writeTargets(&b, []summary{sum(step{num: 1, name: "step01-naive"}, variant{}, 1, 1, 1),
		sum(step{num: 6, name: "step06-transports"}, variant{}, 0.6, 1, 0.6)})
	if want := "- 06-transports, req/s vs go-kit addsvc's: (≥ 0.95×) not checked, needs -example\n"; !strings.Contains(b.String(), want) {
		t.Errorf("without -example:\n%s\nwant a line %q", b.String(), want)
	}
	b.Reset()
	writeTargets(&b, []summary{sum(step{num: 6, name: "step06-transports"}, variant{}, 0, 0, 0)})
	if !strings.Contains(b.String(), "step 1 was not measured") {
		t.Errorf("without step 1: %s", b.String())
	}
}

func ftoa(v float64) string { return fmt.Sprintf("%.2f", v) }
