package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Step 5: the endpoint layer (slides 68–76).

// The answers of step 5's endpoint middlewares, as its transport writes them.
const (
	msgLimited     = "rate limit exceeded"
	msgBreakerOpen = "circuit breaker is open"
)

// requestDuration is the histogram of step 5's instrumenting endpoint
// middleware.
const requestDuration = "addsvc_request_duration_seconds"

// tinyBucket are the flags of a rate limiter that lets 2 requests through,
// then one every 1000 seconds.
var tinyBucket = []string{"-rate-limit", "0.001", "-rate-burst", "2"}

// step05Endpoints checks exercise 5.1: the endpoints call the service and
// carry its broken business rules inside their responses, where the circuit
// breaker never counts them.
func step05Endpoints() []Case {
	ok := http.StatusOK
	bad := http.StatusBadRequest
	repeated := func(name string, broken, then exchange) Case {
		return Case{
			Name: name,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				for i := 1; i <= 10; i++ {
					resp, err := s.Post(ctx, broken.path, broken.body)
					if err != nil {
						return err
					}
					if resp.Status == http.StatusServiceUnavailable {
						return fmt.Errorf("%s, sent for the %s time in a row, answered %s: the circuit breaker counted the broken rules as failures and opened. A broken rule is the caller's fault, not the service's: return it inside the response (its Err field) with a nil error, which the breaker does not count",
							broken, ordinal(i), resp)
					}
					if !broken.answered(resp) {
						return fmt.Errorf("%s, sent for the %s time in a row, answered %s, but it should answer %s", broken, ordinal(i), resp, broken.wanted())
					}
				}
				if _, err := then.do(ctx, s, "after ten broken rules, the breaker must still be closed: it never counted them"); err != nil {
					return err
				}
				return nil
			},
		}
	}
	return []Case{
		exchangesCase(`the endpoints call the service: 1 + 2 answers 3 and "x" + "y" answers "xy"`,
			"the endpoint takes the arguments out of the request, calls the service and puts the result in the response",
			sumOf(1, 2, ok, "3"), sumOf(-7, -8, ok, "-15"), concatOf("x", "y", ok, `"xy"`), concatOf("é", "ü", ok, `"éü"`)),
		exchangesCase("broken rules answer 400 with their message: 0 + 0, 2147483647 + 1, \"ééééé\" + \"a\"",
			"the broken rule must reach the caller: put it in the response's Err field",
			sumOf(0, 0, bad, msgTwoZeroes), sumOf(int32Max, 1, bad, msgOverflow), concatOf("ééééé", "a", bad, msgTooLong)),
		repeated("ten sums of 0 + 0 in a row answer 400 each, and 1 + 2 then answers 3: the breaker never counted them",
			sumOf(0, 0, bad, msgTwoZeroes), sumOf(1, 2, ok, "3")),
		repeated(`ten concatenations that are too long answer 400 each, and "x" + "y" then answers "xy": the breaker never counted them`,
			concatOf("0123456789", "!", bad, msgTooLong), concatOf("x", "y", ok, `"xy"`)),
		{
			Name: `the endpoint's log line shows the broken rule: layer=endpoint method=Sum err="can't sum two zeroes"`,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				x := sumOf(0, 0, bad, msgTwoZeroes)
				if _, err := x.do(ctx, s, "the broken rule must reach the caller: put it in the response's Err field"); err != nil {
					return err
				}
				endpointLine := func(r logRecord) bool { return r.values["layer"] == "endpoint" && isMethod(r, "Sum") }
				_, err = s.WaitLog(ctx, `with layer=endpoint method=Sum err="can't sum two zeroes"`, func(l string) bool {
					r, ok := parseLogfmt(l)
					return ok && endpointLine(r) && r.values["err"] == msgTwoZeroes
				})
				if err != nil {
					if rs := records(s, endpointLine); len(rs) > 0 {
						return fmt.Errorf(`after %s, the endpoint logged
    %s
but it should log err="can't sum two zeroes": the logging middleware finds a broken rule through the response's Failed method, which returns its Err field`, x, rs[0].line)
					}
					return err
				}
				return nil
			},
		},
	}
}

// ordinal writes n as 1st, 2nd, 3rd, 4th…
func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return fmt.Sprintf("%dth", n)
	case n%10 == 1:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}

// limitWait is how long a check waits for a request that the rate limiter
// should refuse at once: a limiter that waits for a token instead (slide
// 76's) would hold it for 1000 seconds.
const limitWait = time.Second

// limited sends x and checks that the limiter refuses it at once: 429 and
// "rate limit exceeded", never 503.
func limited(ctx context.Context, s *Service, x exchange, after string) error {
	ctx, cancel := context.WithTimeout(ctx, limitWait)
	defer cancel()
	resp, err := s.Post(ctx, x.path, x.body)
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%s, %s, got no answer within %s: does the limiter wait for a token? This step refuses at once, with ratelimit.ErrLimited (go-kit's erroring limiter), and the caller decides whether to retry", x, after, limitWait)
	case err != nil:
		return err
	case resp.Status == http.StatusServiceUnavailable:
		return fmt.Errorf("%s, %s, answered %s: the circuit breaker opened, so it counted the limiter's refusals as failures. Put the limiter outside the breaker, so that a refused request never reaches it", x, after, resp)
	case resp.Status != http.StatusTooManyRequests || strings.TrimSpace(resp.Body) != msgLimited:
		return fmt.Errorf("%s, %s, answered %s, but the limiter should refuse it: HTTP 429: %s (the transport answers ratelimit.ErrLimited with 429)", x, after, resp, msgLimited)
	}
	return nil
}

// step05RateLimit checks exercise 5.2: each endpoint has a rate limiter of
// its own that refuses requests beyond its limits at once, outside the
// circuit breaker.
func step05RateLimit() []Case {
	ok := http.StatusOK
	// Only the status matters: this check is about the limiter.
	sum := sumOf(1, 2, ok, "3").statusOnly()
	concat := concatOf("x", "y", ok, `"xy"`).statusOnly()
	flags := strings.Join(tinyBucket, " ")
	return []Case{
		{
			Name: fmt.Sprintf("with %s, three sums answer 200, 200, then 429 %q", flags, msgLimited),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{Flags: tinyBucket})
				if err != nil {
					return err
				}
				for range 2 {
					if _, err := sum.do(ctx, s, "a bucket of 2 lets the first 2 requests through"); err != nil {
						return err
					}
				}
				return limited(ctx, s, sum, "sent after 2 sums with a bucket of 2")
			},
		},
		{
			Name: fmt.Sprintf("with %s, Concat has a bucket of its own: after three sums, two concatenations answer 200, the third 429", flags),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{Flags: tinyBucket})
				if err != nil {
					return err
				}
				for range 2 {
					if _, err := sum.do(ctx, s, "a bucket of 2 lets the first 2 requests through"); err != nil {
						return err
					}
				}
				if err := limited(ctx, s, sum, "sent after 2 sums with a bucket of 2"); err != nil {
					return err
				}
				for range 2 {
					if _, err := concat.do(ctx, s, "each endpoint has a limiter of its own: the sums never took Concat's tokens"); err != nil {
						return err
					}
				}
				return limited(ctx, s, concat, "sent after 2 concatenations with a bucket of 2")
			},
		},
		{
			Name: fmt.Sprintf("with %s, ten sums answer 200, 200, then 429 eight times, never 503: refused requests never open the breaker", flags),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{Flags: tinyBucket})
				if err != nil {
					return err
				}
				for range 2 {
					if _, err := sum.do(ctx, s, "a bucket of 2 lets the first 2 requests through"); err != nil {
						return err
					}
				}
				for i := 3; i <= 10; i++ {
					if err := limited(ctx, s, sum, fmt.Sprintf("the %s sum with a bucket of 2", ordinal(i))); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			Name: "with the default limits, 100 a second in bursts of 100, twenty sums in a row answer 200",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				for range 20 {
					if _, err := sum.do(ctx, s, "the limiter takes its rate and its burst from the flags -rate-limit and -rate-burst (100 and 100 by default), in Limits"); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
}

// durationCount is a series of the histogram's count, and the count it
// should have.
type durationCount struct {
	method, success string
	want            float64
}

func (d durationCount) String() string {
	return fmt.Sprintf("%s_count{method=%q,success=%q} %g", requestDuration, d.method, d.success, d.want)
}

// step05Durations checks exercise 5.3: the instrumenting endpoint middleware
// observes every call's duration, labelled by method and success, outside
// every other endpoint middleware.
func step05Durations() []Case {
	ok := http.StatusOK
	bad := http.StatusBadRequest
	observed := func(name string, flags []string, xs []exchange, want []durationCount) Case {
		return Case{
			Name: name,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{Flags: flags})
				if err != nil {
					return err
				}
				for _, x := range xs {
					resp, err := s.Post(ctx, x.path, x.body)
					if err != nil {
						return err
					}
					if resp.Status != x.status {
						return fmt.Errorf("%s answered %s, not HTTP %d as the finished step does (this check needs exercises 5.1 and 5.2 done, and the instrumenting middleware must not change the answers)", x, resp, x.status)
					}
				}
				return wantDurations(ctx, s, xs, want)
			},
		}
	}
	sum := sumOf(1, 2, ok, "3")
	return []Case{
		observed(`two sums, 1 + 2, are observed as success="true"`, nil,
			[]exchange{sum, sum},
			[]durationCount{{"Sum", "true", 2}}),
		observed(`broken rules are observed as success="false": two sums and a concatenation that break a rule, beside successful calls`, nil,
			[]exchange{sumOf(0, 0, bad, msgTwoZeroes), sum, sumOf(int32Max, 1, bad, msgOverflow),
				concatOf("x", "y", ok, `"xy"`), concatOf("0123456789", "!", bad, msgTooLong)},
			[]durationCount{{"Sum", "true", 1}, {"Sum", "false", 2}, {"Concat", "true", 1}, {"Concat", "false", 1}}),
		observed(fmt.Sprintf(`with %s, the limiter's refusal is observed too, as success="false": three sums count 2 and 1`, strings.Join(tinyBucket, " ")), tinyBucket,
			[]exchange{sum, sum, {sum.path, sum.body, http.StatusTooManyRequests, msgLimited, false}},
			[]durationCount{{"Sum", "true", 2}, {"Sum", "false", 1}}),
	}
}

// wantDurations reads the histogram's counts and compares them with want;
// every other series of the histogram must be absent or 0. It also checks
// that the durations add up to something plausible, in seconds.
func wantDurations(ctx context.Context, s *Service, sent []exchange, want []durationCount) error {
	m, err := s.Scrape(ctx)
	if err != nil {
		return err
	}
	counts := m.Named(requestDuration + "_count")
	fail := func(why string) error {
		var b strings.Builder
		b.WriteString("after")
		for _, x := range sent {
			fmt.Fprintf(&b, "\n    %s (answered %d)", x, x.status)
		}
		fmt.Fprintf(&b, "\n/metrics shows\n    %s\nbut it should show", strings.ReplaceAll(orNothing(counts.String()), "\n", "\n    "))
		for _, w := range want {
			fmt.Fprintf(&b, "\n    %s", w)
		}
		fmt.Fprintf(&b, "\n%s", why)
		return errors.New(b.String())
	}
	total := 0.0
	for _, w := range want {
		got, ok := m.Value(requestDuration+"_count", "method", w.method, "success", w.success)
		if !ok || got != w.want {
			return fail(`each call is observed once, outside the other endpoint middlewares, with the label success="false" when the call failed: an error of the endpoint's own, or a broken rule inside its response (Failed says which)`)
		}
		total += w.want
	}
	sum := 0.0
	for _, c := range counts {
		sum += c.Value
	}
	if sum != total {
		return fail("each call is observed once, and nothing else")
	}
	var seconds float64
	for _, smp := range m.Named(requestDuration + "_sum") {
		seconds += smp.Value
	}
	if seconds <= 0 || seconds > total {
		return fmt.Errorf("after %d calls, the durations observed in %s add up to %g: observe each call's duration in seconds, time.Since(begin).Seconds(), measured from before the call to after it",
			int(total), requestDuration, seconds)
	}
	return nil
}
