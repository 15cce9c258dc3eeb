package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unicode/utf8"
)

// Transports, as the demo prints them.
const (
	overHTTP = "HTTP"
	overGRPC = "gRPC"
)

// request is one request of the demo's traffic, as addcli takes it, and
// what the service answers: want if it succeeds, or the error wantErr.
type request struct {
	method  string // "sum" or "concat"
	a, b    string
	want    string
	wantErr string
}

// requests returns the requests of one round of traffic: successes, and
// every business rule of the service broken (slide 57 and the design's
// step 4): two zeroes, a sum past 32 bits, a concatenation over 10 bytes.
func requests() []request {
	return []request{
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
}

// endpoint returns the name of r's endpoint, as the metrics label it and
// the traces name its spans: "Sum" or "Concat".
func (r request) endpoint() string {
	if r.method == "" {
		return ""
	}
	return strings.ToUpper(r.method[:1]) + r.method[1:]
}

// String returns r as addcli's arguments, e.g. "sum 1 2".
func (r request) String() string {
	return r.method + " " + r.a + " " + r.b
}

// call is a request sent over one transport.
type call struct {
	request
	transport string // overHTTP or overGRPC
}

// String returns c as, e.g., "gRPC sum 0 0".
func (c call) String() string {
	return c.transport + " " + c.request.String()
}

// trafficPlan returns the calls of the demo's traffic, in order: rounds
// times every request, each over HTTP and then over gRPC.
func trafficPlan(rounds int) []call {
	var plan []call
	for range rounds {
		for _, r := range requests() {
			plan = append(plan, call{request: r, transport: overHTTP}, call{request: r, transport: overGRPC})
		}
	}
	return plan
}

// callResult is what a call gave, and when it ran.
type callResult struct {
	call
	start, end time.Time
	exitCode   int    // addcli's: 0 answered, 1 failed, -1 not run to the end
	stdout     string // the answer, trimmed
	stderr     string // the error, trimmed, without addcli's "addcli: "
}

// asExpected reports whether the call gave its request's answer or error.
func (r callResult) asExpected() bool {
	if r.wantErr != "" {
		return r.exitCode == 1 && strings.Contains(r.stderr, r.wantErr)
	}
	return r.exitCode == 0 && r.stdout == r.want
}

// outcome describes what the call gave, e.g. "3" or "error: integer overflow".
func (r callResult) outcome() string {
	switch {
	case r.exitCode == 0:
		return r.stdout
	case r.stderr != "":
		return "error: " + firstLine(r.stderr)
	default:
		return fmt.Sprintf("addcli exit status %d", r.exitCode)
	}
}

// expectation describes what the call should give, e.g. "3" or
// "error: integer overflow".
func (c call) expectation() string {
	if c.wantErr != "" {
		return "error: " + c.wantErr
	}
	return c.want
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// expectedCounts is what the service's metrics count once every call of a
// plan has been served.
type expectedCounts struct {
	calls                  map[string]map[bool]int // endpoint ("Sum") → success → calls
	integersSummed         int                     // two per successful Sum
	charactersConcatenated int                     // the characters (runes) of successful Concat results
}

// expectCounts returns what the service's metrics count after plan.
func expectCounts(plan []call) expectedCounts {
	e := expectedCounts{calls: map[string]map[bool]int{}}
	for _, c := range plan {
		ep := c.endpoint()
		if e.calls[ep] == nil {
			e.calls[ep] = map[bool]int{}
		}
		ok := c.wantErr == ""
		e.calls[ep][ok]++
		if !ok {
			continue
		}
		switch c.method {
		case "sum":
			e.integersSummed += 2
		case "concat":
			e.charactersConcatenated += utf8.RuneCountInString(c.want)
		}
	}
	return e
}

// addcli runs the step's CLI client for calls.
type addcli struct {
	path      string // the built binary
	httpAddr  string
	grpcAddr  string
	zipkinURL string
}

// args returns addcli's arguments for c.
func (a addcli) args(c call) []string {
	addr := []string{"-http-addr", a.httpAddr}
	if c.transport == overGRPC {
		addr = []string{"-grpc-addr", a.grpcAddr}
	}
	return append(addr, "-zipkin-url", a.zipkinURL, c.method, c.a, c.b)
}

// run makes call c with addcli and returns what it gave. An error means
// addcli could not be run at all; a failed call is a result.
func (a addcli) run(ctx context.Context, c call) (callResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, a.path, a.args(c)...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	r := callResult{call: c, start: time.Now()}
	err := cmd.Run()
	r.end = time.Now()
	r.stdout = strings.TrimSpace(stdout.String())
	r.stderr = strings.TrimPrefix(strings.TrimSpace(stderr.String()), "addcli: ")
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.exitCode = exit.ExitCode()
	default:
		return r, fmt.Errorf("run %s: %w", a.path, err)
	}
	return r, nil
}

// sendTraffic makes every call of the plan with addcli, spread over
// trafficSpread, and prints what they gave: the first round in full, then
// only what differed from what was expected.
func (d *demo) sendTraffic(ctx context.Context, cli addcli) ([]callResult, error) {
	plan := trafficPlan(trafficRounds)
	perRound := len(plan) / trafficRounds
	d.stage("traffic: %d calls with bin/%s over ~%s, each request over HTTP and over gRPC, errors included",
		len(plan), cliBinary, trafficSpread)
	d.say("%s %s", d.rel(cli.path), strings.Join(cli.args(plan[0]), " "))
	d.say("%s %s", d.rel(cli.path), strings.Join(cli.args(plan[1]), " "))
	d.say("...")
	fmt.Fprintln(d.out)
	d.say("%-20s  %-36s  %s", "request", "over HTTP", "over gRPC")
	interval := trafficSpread / time.Duration(len(plan))
	begin := time.Now()
	results := make([]callResult, 0, len(plan))
	var unexpected []callResult
	for i, c := range plan {
		if err := sleep(ctx, time.Until(begin.Add(time.Duration(i)*interval))); err != nil {
			return nil, err
		}
		r, err := cli.run(ctx, c)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		results = append(results, r)
		if !r.asExpected() {
			unexpected = append(unexpected, r)
		}
		if i < perRound && c.transport == overGRPC {
			h := results[i-1]
			d.say("%-20s  %-36s  %s", c.request, mark(h), mark(r))
		}
		if (i+1)%perRound == 0 && i+1 > perRound {
			same := "the same answers"
			for _, r := range results[i+1-perRound:] {
				if !r.asExpected() {
					same = "not all as expected (see below)"
				}
			}
			d.say("round %d of %d: the same %d calls again: %s", (i+1)/perRound, trafficRounds, perRound, same)
		}
	}
	failed := 0
	for _, r := range results {
		if r.exitCode != 0 {
			failed++
		}
	}
	d.say("%d calls in %s: %d answered, %d failed", len(results), formatElapsed(time.Since(begin)), len(results)-failed, failed)
	if len(unexpected) == 0 {
		d.say("every call gave the answer or the error that the service's business rules say")
	}
	for _, r := range unexpected {
		d.say("UNEXPECTED: %s gave %q, want %q", r.call, r.outcome(), r.expectation())
	}
	if d.check {
		var err error
		if len(unexpected) > 0 {
			err = fmt.Errorf("%d of %d calls did not give what they should, e.g. %s gave %q, want %q",
				len(unexpected), len(results), unexpected[0].call, unexpected[0].outcome(), unexpected[0].expectation())
		}
		d.checks.add("traffic", fmt.Sprintf("%d calls over HTTP and gRPC, each gave its answer or its business error", len(results)), err)
	}
	return results, nil
}

// mark returns the outcome of r, flagged when it is not what it should be.
func mark(r callResult) string {
	if r.asExpected() {
		return r.outcome()
	}
	return r.outcome() + " (UNEXPECTED)"
}
