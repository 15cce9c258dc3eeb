package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// TestE2E runs the demo with the real Prometheus, Jaeger and step 7, and
// checks what they saw: every call gave its answer or its business error;
// Prometheus counted every call of each method, in its counter, its
// histogram and the business counters; Jaeger holds, over HTTP and over
// gRPC, a trace whose client and server spans chain with the right parents,
// the business error tagged. make e2e and CI run it (WORKSHOP_E2E=1); it
// needs ports 9090, 9411 and 16686, and a few minutes the first time, to
// build Jaeger.
func TestE2E(t *testing.T) {
	if os.Getenv("WORKSHOP_E2E") != "1" {
		t.Skip("the demo with Prometheus and Jaeger: make e2e runs it (WORKSHOP_E2E=1)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := newDemo(os.Stdout, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.run(ctx)
	d.stopAll()
	if ctx.Err() != nil {
		t.Fatal("interrupted; everything the demo started is stopped")
	}
	if err != nil {
		t.Fatalf("the demo failed: %v", err)
	}

	for _, c := range s.calls {
		if !c.asExpected() {
			t.Errorf("traffic: %s gave %q, want %q", c, c.outcome(), c.expectation())
		}
	}

	want, m := expect(s.calls), s.metrics
	for _, ep := range []string{"Sum", "Concat"} {
		if ok, failed := m.calls(ep); ok != float64(want.calls[ep][true]) || failed != float64(want.calls[ep][false]) {
			t.Errorf("Prometheus: addsvc_request_duration_seconds_count{method=%q}: %v ok and %v failed, want %d and %d as sent",
				ep, ok, failed, want.calls[ep][true], want.calls[ep][false])
		}
		if ok, failed := m.calls(ep); m.values["buckets"][ep] != ok+failed || !(m.values["avg"][ep] > 0) {
			t.Errorf("Prometheus: histogram of %s: +Inf bucket %v for %v calls, average %v s", ep, m.values["buckets"][ep], ok+failed, m.values["avg"][ep])
		}
	}
	for name, n := range map[string]int{integersSummed: want.integersSummed, charactersConcatenated: want.charactersConcatenated} {
		if got, ok := m.values[name][""]; !ok || got != float64(n) {
			t.Errorf("Prometheus: %s = %v (found: %v), want %d as sent", name, got, ok, n)
		}
	}

	if len(s.traces) != 4 {
		t.Fatalf("Jaeger: %d traces picked, want sum 1 2 and sum 0 0 over each transport", len(s.traces))
	}
	for _, c := range s.traces {
		checkTrace(t, c)
	}
}

// checkTrace checks that c's trace is the chain of a call: the client's
// endpoint span, its transport span (kind client), the service's transport
// span (kind server) and its endpoint span, one under the other, in c's
// trace; and that the endpoint spans carry c's business error, if any.
// Zipkin's reporter sends span names in lower case.
func checkTrace(t *testing.T, c callTrace) {
	t.Helper()
	for _, s := range c.trace.Spans {
		if s.TraceID != c.trace.TraceID {
			t.Errorf("Jaeger: %s: span %s has trace ID %s, not %s", c.call, s.SpanID, s.TraceID, c.trace.TraceID)
		}
	}
	transport := "post /" + c.method
	if c.transport == "gRPC" {
		transport = "/addsvc.add/" + c.method
	}
	want := []string{"addcli " + c.method, "addcli " + transport + " client", "addsvc " + transport + " server", "addsvc " + c.method}
	var got []string
	for n := c.roots; len(n) > 0; n = n[0].children {
		got = append(got, strings.TrimSpace(n[0].service+" "+strings.ToLower(n[0].name)+" "+n[0].kind))
		if i := len(got) - 1; (i == 0 || i == 3) && n[0].err != c.wantErr {
			t.Errorf("Jaeger: %s: %s has error=%q, want %q", c.call, got[i], n[0].err, c.wantErr)
		}
	}
	if len(c.roots) != 1 || strings.Join(got, " → ") != strings.Join(want, " → ") {
		t.Errorf("Jaeger: %s: trace %s has %d root span(s) and the chain\n  %s\nwant one root and\n  %s",
			c.call, c.trace.TraceID, len(c.roots), strings.Join(got, " → "), strings.Join(want, " → "))
	}
}

// expected is what the service's metrics count once every call has been
// served.
type expected struct {
	calls                  map[string]map[bool]int // endpoint ("Sum") → success → calls
	integersSummed         int                     // two per successful Sum
	charactersConcatenated int                     // the bytes of successful Concat results, as slide 86 counts them
}

// expect returns what the service's metrics count after calls.
func expect(calls []call) expected {
	e := expected{calls: map[string]map[bool]int{"Sum": {}, "Concat": {}}}
	for _, c := range calls {
		e.calls[c.endpoint()][c.wantErr == ""]++
		switch {
		case c.wantErr != "":
		case c.method == "sum":
			e.integersSummed += 2
		default:
			e.charactersConcatenated += len(c.want) // bytes, as slide 86 counts them
		}
	}
	return e
}
