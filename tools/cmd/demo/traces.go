package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// showTraces waits until Jaeger holds the traces of a few calls, draws
// two of them (one over each transport, one of them with a business error)
// and, with -check, checks all of them.
func (d *demo) showTraces(ctx context.Context, results []callResult) error {
	jaeger := jaegerClient{base: "http://" + jaegerQueryAddr, http: d.http}
	d.stage("Jaeger: the traces of two calls, through its query API at http://%s/api/traces", jaegerQueryAddr)

	// The first round's sum 1 2 and sum 0 0, over each transport.
	var picked []callResult
	for _, r := range results[:len(results)/trafficRounds] {
		if r.method == "sum" && (r.a == "1" && r.b == "2" || r.a == "0" && r.b == "0") {
			picked = append(picked, r)
		}
	}
	found := make([]jaegerTrace, len(picked))
	chains := make([]string, len(picked))
	problems := make([][]string, len(picked))
	from, to := results[0].start.Add(-time.Second), results[len(results)-1].end.Add(time.Second)
	waited := time.Now()
	err := poll(ctx, spansTimeout, time.Second, func() (bool, error) {
		traces, err := jaeger.traces(ctx, "addcli", from, to)
		if err != nil {
			return true, err
		}
		missing := 0
		for i, r := range picked {
			t, ok := findCallTrace(traces, r)
			if !ok {
				problems[i] = []string{fmt.Sprintf("no trace of service addcli began while the call ran (%s to %s)",
					r.start.Format("15:04:05.000"), r.end.Format("15:04:05.000"))}
				missing++
				continue
			}
			if t, err = jaeger.trace(ctx, t.TraceID); err != nil {
				return true, err
			}
			found[i] = t
			chains[i], problems[i] = checkCallTrace(t, r.call)
			if len(problems[i]) > 0 {
				missing++
			}
		}
		if missing > 0 {
			return false, fmt.Errorf("%d of %d traces are not complete yet", missing, len(picked))
		}
		return true, nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		d.say("Jaeger does not hold every trace yet: %v", err)
	} else {
		d.say("(Jaeger had received every span %s after the traffic ended)", formatElapsed(time.Since(waited)))
	}
	d.say("One line per span: its service, its name, its kind, how long it took, and its error tag;")
	d.say("children under their parent. Zipkin's reporter sends span names in lower case.")

	for i, r := range picked {
		show := r.transport == overHTTP && r.wantErr == "" || r.transport == overGRPC && r.wantErr != ""
		if !show {
			continue
		}
		fmt.Fprintln(d.out)
		if found[i].TraceID == "" {
			d.say("%s → %s: no trace found", r.call, r.outcome())
			continue
		}
		d.say("%s → %s   (trace %s)", r.call, r.outcome(), found[i].TraceID)
		for _, line := range renderTree(buildTree(found[i])) {
			d.say("  %s", line)
		}
	}

	if d.check {
		for i, r := range picked {
			var err error
			if len(problems[i]) > 0 {
				err = errors.New(strings.Join(problems[i], "; "))
				if found[i].TraceID != "" {
					err = fmt.Errorf("%w; the trace %s holds:\n%s", err, found[i].TraceID, strings.Join(renderTree(buildTree(found[i])), "\n"))
				}
			}
			d.checks.add("Jaeger: "+r.call.String(), chains[i], err)
		}
	}
	return nil
}
