package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// call is one call of the demo's traffic: a request as addcli takes it,
// over one transport ("HTTP" or "gRPC"), what the service should answer (want
// or the error wantErr), and, once made, what it gave.
type call struct {
	transport, method, a, b string
	want, wantErr           string

	start, end time.Time
	exitCode   int    // addcli's: 0 answered, 1 failed
	stdout     string // the answer, trimmed
	stderr     string // the error, trimmed, without addcli's "addcli: "
}

// trafficPlan returns the calls of the demo's traffic, in order: rounds
// times every request, each over HTTP and then over gRPC. The requests
// succeed, or break one of the service's business rules (slide 57 and the
// design's step 4): two zeroes, a sum past 32 bits, a concatenation over 10
// bytes.
func trafficPlan(rounds int) []call {
	requests := []call{
		{method: "sum", a: "1", b: "2", want: "3"},
		{method: "sum", a: "20", b: "22", want: "42"},
		{method: "sum", a: "-7", b: "3", want: "-4"},
		{method: "sum", a: "0", b: "0", wantErr: "can't sum two zeroes"},
		{method: "sum", a: "2147483647", b: "1", wantErr: "integer overflow"},
		{method: "concat", a: "go", b: "kit", want: "gokit"},
		{method: "concat", a: "hello", b: "world", want: "helloworld"},
		{method: "concat", a: "grüß", b: "dich", want: "grüßdich"}, // 10 bytes, 8 characters
		{method: "concat", a: "hello", b: "world!", wantErr: "result exceeds maximum size"},
	}
	var plan []call
	for range rounds {
		for _, r := range requests {
			h, g := r, r
			h.transport, g.transport = "HTTP", "gRPC"
			plan = append(plan, h, g)
		}
	}
	return plan
}

// endpoint returns the name of c's endpoint, as the metrics label it and
// the traces name its spans: "Sum" or "Concat".
func (c call) endpoint() string { return strings.ToUpper(c.method[:1]) + c.method[1:] }

// request returns c as addcli's arguments, e.g. "sum 1 2".
func (c call) request() string { return c.method + " " + c.a + " " + c.b }

// String returns c as, e.g., "gRPC sum 0 0".
func (c call) String() string { return c.transport + " " + c.request() }

// asExpected reports whether the call gave its answer or its error.
func (c call) asExpected() bool {
	if c.wantErr != "" {
		return c.exitCode == 1 && strings.Contains(c.stderr, c.wantErr)
	}
	return c.exitCode == 0 && c.stdout == c.want
}

// outcome describes what the call gave, e.g. "3" or "error: integer overflow".
func (c call) outcome() string {
	switch {
	case c.exitCode == 0:
		return c.stdout
	case c.stderr != "":
		return "error: " + strings.SplitN(c.stderr, "\n", 2)[0]
	default:
		return fmt.Sprintf("addcli exit status %d", c.exitCode)
	}
}

// expectation describes what the call should give, as outcome does.
func (c call) expectation() string {
	if c.wantErr != "" {
		return "error: " + c.wantErr
	}
	return c.want
}

// mark returns the outcome of c, flagged when it is not what it should be.
func (c call) mark() string {
	if c.asExpected() {
		return c.outcome()
	}
	return c.outcome() + " (UNEXPECTED)"
}

// addcli runs the step's CLI client (path) for calls.
type addcli struct{ path, httpAddr, grpcAddr, zipkinURL string }

// args returns addcli's arguments for c.
func (a addcli) args(c call) []string {
	addr := []string{"-http-addr", a.httpAddr}
	if c.transport == "gRPC" {
		addr = []string{"-grpc-addr", a.grpcAddr}
	}
	return append(addr, "-zipkin-url", a.zipkinURL, c.method, c.a, c.b)
}

// run makes call c with addcli and returns c with what it gave. An error
// means addcli could not be run at all; a failed call is a result.
func (a addcli) run(ctx context.Context, c call) (call, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, a.path, a.args(c)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	c.start = time.Now()
	err := cmd.Run()
	c.end = time.Now()
	c.stdout = strings.TrimSpace(stdout.String())
	c.stderr = strings.TrimPrefix(strings.TrimSpace(stderr.String()), "addcli: ")
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		c.exitCode, err = exit.ExitCode(), nil
	}
	if err != nil {
		return c, fmt.Errorf("run %s: %w", a.path, err)
	}
	return c, nil
}

// sendTraffic makes every call of the plan with addcli, spread over
// trafficSpread, and prints what they gave: the first round in full, then
// only what differed from what was expected.
func (d *demo) sendTraffic(ctx context.Context, cli addcli) ([]call, error) {
	plan := trafficPlan(trafficRounds)
	perRound := len(plan) / trafficRounds
	d.stage("traffic: %d calls with bin/%s over ~%s, each request over HTTP and over gRPC, errors included",
		len(plan), cliBinary, trafficSpread)
	d.say("%s %s", d.rel(cli.path), strings.Join(cli.args(plan[0]), " "))
	d.say("%s %s", d.rel(cli.path), strings.Join(cli.args(plan[1]), " "))
	d.say("...")
	fmt.Fprintln(d.out)
	// Printed as the calls run, so not through a tabwriter, which prints
	// nothing until it has every line.
	const row = "%-20s  %-36s  %s"
	d.say(row, "request", "over HTTP", "over gRPC")
	interval := trafficSpread / time.Duration(len(plan))
	begin := time.Now()
	var unexpected []call
	failed := 0
	for i, c := range plan {
		if err := sleep(ctx, time.Until(begin.Add(time.Duration(i)*interval))); err != nil {
			return nil, err
		}
		c, err := cli.run(ctx, c)
		if err := errors.Join(ctx.Err(), err); err != nil {
			return nil, err
		}
		plan[i] = c
		if !c.asExpected() {
			unexpected = append(unexpected, c)
		}
		if c.exitCode != 0 {
			failed++
		}
		if i < perRound && c.transport == "gRPC" {
			d.say(row, c.request(), plan[i-1].mark(), c.mark())
		}
		if (i+1)%perRound == 0 && i+1 > perRound {
			same := "the same answers"
			for _, c := range plan[i+1-perRound : i+1] {
				if !c.asExpected() {
					same = "not all as expected (see below)"
				}
			}
			d.say("round %d of %d: the same %d calls again: %s", (i+1)/perRound, trafficRounds, perRound, same)
		}
	}
	d.say("%d calls in %s: %d answered, %d failed", len(plan), formatElapsed(time.Since(begin)), len(plan)-failed, failed)
	if len(unexpected) == 0 {
		d.say("every call gave the answer or the error that the service's business rules say")
	}
	for _, c := range unexpected {
		d.say("UNEXPECTED: %s gave %q, want %q", c, c.outcome(), c.expectation())
	}
	return plan, nil
}
