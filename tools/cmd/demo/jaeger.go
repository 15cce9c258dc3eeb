package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gokit-workshop/workshop/tools/internal/components"
)

// jaegerTrace is a trace as Jaeger's query API (/api/traces) gives it, in
// Jaeger's own JSON (which encoding/json matches to these names without
// regard to case): spans, each naming the process (service) that reported
// it. Times are in microseconds.
type jaegerTrace struct {
	TraceID string
	Spans   []struct {
		TraceID, SpanID, OperationName, ProcessID string
		StartTime, Duration                       int64
		References                                []struct{ RefType, TraceID, SpanID string }
		Tags                                      []struct {
			Key   string
			Value any // a string, a number or a boolean
		}
	}
	Processes map[string]struct{ ServiceName string }
}

// traces returns the traces that have spans of service and began between
// start and end.
func (d *demo) traces(ctx context.Context, service string, start, end time.Time) ([]jaegerTrace, error) {
	u := "http://" + components.JaegerQueryAddr + "/api/traces?" + url.Values{
		"service": {service}, "limit": {"1000"},
		"start": {strconv.FormatInt(start.UnixMicro(), 10)}, "end": {strconv.FormatInt(end.UnixMicro(), 10)},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("ask Jaeger: %w", err)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask Jaeger: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   []jaegerTrace
		Errors []struct{ Msg string }
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 50<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("ask Jaeger for %s: %s: %w", u, resp.Status, err)
	}
	if len(r.Errors) > 0 {
		return nil, fmt.Errorf("ask Jaeger for %s: %s", u, r.Errors[0].Msg)
	}
	return r.Data, nil
}

// span is a span in the tree of its trace.
type span struct {
	id, parent string // parent is "" for a root
	service    string // the process that reported the span, e.g. "addcli"
	name       string
	kind       string // "client", "server" or "" (the span.kind tag)
	start      int64  // microseconds since the epoch
	duration   int64  // microseconds
	err        string // the error tag, "" when there is none
	orphan     bool   // its parent is not in the trace, e.g. not received yet
	children   []*span
}

// tree returns the roots of the trace's span tree, linked by the spans'
// parents, with children in the order that they began. A span whose parent
// is missing from the trace is a root too, marked as an orphan.
func (t jaegerTrace) tree() []*span {
	byID := map[string]*span{}
	var all, roots []*span
	for _, s := range t.Spans {
		n := &span{id: s.SpanID, service: t.Processes[s.ProcessID].ServiceName, name: s.OperationName,
			start: s.StartTime, duration: s.Duration}
		for _, r := range s.References {
			if r.TraceID == s.TraceID && (n.parent == "" || r.RefType == "CHILD_OF") {
				n.parent = r.SpanID
			}
		}
		for _, tag := range s.Tags {
			// Jaeger turns Zipkin's error="message" into that and
			// error=true: the message wins.
			switch v := fmt.Sprint(tag.Value); {
			case tag.Key == "span.kind":
				n.kind = v
			case tag.Key == "error" && (n.err == "" || v != "true"):
				n.err = v
			}
		}
		byID[n.id] = n
		all = append(all, n)
	}
	slices.SortFunc(all, func(a, b *span) int { return cmp.Or(cmp.Compare(a.start, b.start), strings.Compare(a.id, b.id)) })
	for _, n := range all {
		parent, ok := byID[n.parent]
		if n.parent == "" || !ok || parent == n {
			n.orphan = n.parent != ""
			roots = append(roots, n)
		} else {
			parent.children = append(parent.children, n)
		}
	}
	return roots
}

// callTrace is a call of the traffic and the trace that Jaeger has of it.
type callTrace struct {
	call
	trace jaegerTrace
	roots []*span
}

// complete reports whether the trace holds the whole chain of a call: one
// root, and under it the client's transport span, the server's transport
// span and the server's endpoint span.
func (c callTrace) complete() bool {
	depth, n := 0, c.roots
	for ; len(n) > 0; n = n[0].children {
		depth++
	}
	return len(c.roots) == 1 && depth >= 4
}

// findCallTrace returns, among traces, the trace of call c, if there is
// one: the one whose root span is addcli's span of c's endpoint and began
// while addcli ran for c. The demo's calls run one after the other, so no
// other call's trace began then.
func findCallTrace(traces []jaegerTrace, c call) jaegerTrace {
	const slack = 50 * time.Millisecond
	from, to := c.start.Add(-slack).UnixMicro(), c.end.Add(slack).UnixMicro()
	for _, t := range traces {
		for _, r := range t.tree() {
			if r.service == "addcli" && !r.orphan && strings.EqualFold(r.name, c.endpoint()) && r.start >= from && r.start <= to {
				return t
			}
		}
	}
	return jaegerTrace{}
}

// showTraces waits until Jaeger holds the traces of four calls of the first
// round (sum 1 2 and sum 0 0, over each transport) and draws two of them:
// sum 1 2 over HTTP and sum 0 0, a business error, over gRPC.
func (d *demo) showTraces(ctx context.Context, calls []call) ([]callTrace, error) {
	d.stage("Jaeger: the traces of two calls, through its query API at http://%s/api/traces", components.JaegerQueryAddr)
	var picked []callTrace
	for _, c := range calls[:len(calls)/trafficRounds] {
		if c.request() == "sum 1 2" || c.request() == "sum 0 0" {
			picked = append(picked, callTrace{call: c})
		}
	}
	from, to := calls[0].start.Add(-time.Second), calls[len(calls)-1].end.Add(time.Second)
	waited := time.Now()
	err := poll(ctx, spansTimeout, time.Second, func() (bool, error) {
		traces, err := d.traces(ctx, "addcli", from, to)
		if err != nil {
			return true, err
		}
		missing := 0
		for i := range picked {
			picked[i].trace = findCallTrace(traces, picked[i].call)
			picked[i].roots = picked[i].trace.tree()
			if !picked[i].complete() {
				missing++
			}
		}
		if missing > 0 {
			return false, fmt.Errorf("%d of %d traces are not complete yet", missing, len(picked))
		}
		return true, nil
	})
	if ctx.Err() != nil {
		return picked, ctx.Err()
	}
	if err != nil {
		d.say("Jaeger does not hold every trace yet: %v", err)
	} else {
		d.say("(Jaeger had received every span %s after the traffic ended)", formatElapsed(time.Since(waited)))
	}
	d.say("One line per span: its service, its name, its kind, how long it took, and its error tag;")
	d.say("children under their parent. Zipkin's reporter sends span names in lower case.")
	for _, p := range picked {
		if (p.transport == "HTTP") != (p.wantErr == "") {
			continue
		}
		fmt.Fprintln(d.out)
		if p.trace.TraceID == "" {
			d.say("%s → %s: no trace found", p.call, p.outcome())
			continue
		}
		d.say("%s → %s   (trace %s)", p.call, p.outcome(), p.trace.TraceID)
		d.table(treeRows(p.roots, "  ", true)...)
	}
	return picked, nil
}

// treeRows draws the span trees under nodes, one span a row after lead:
// below the top, indented by parent links; with its service, name, kind,
// duration and error.
func treeRows(nodes []*span, lead string, top bool) [][]string {
	var rows [][]string
	for i, n := range nodes {
		branch, next := "", ""
		if !top {
			branch, next = "├─ ", "│  "
			if i == len(nodes)-1 {
				branch, next = "└─ ", "   "
			}
		}
		label := lead + branch + n.service + "  " + n.name
		if n.orphan {
			label += " (its parent is missing)"
		}
		row := []string{label, n.kind, formatMicros(n.duration)}
		if n.err != "" {
			row = append(row, "error="+strconv.Quote(n.err))
		}
		rows = append(rows, row)
		rows = append(rows, treeRows(n.children, lead+next, false)...)
	}
	return rows
}
