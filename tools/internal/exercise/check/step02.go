package check

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Step 2: logging, tangled in (slides 44–46).

// request is one HTTP call that a check makes, and the status it expects.
type request struct {
	method, path, body string
	status             int
}

func (r request) String() string {
	s := r.method + " " + r.path
	if r.body != "" {
		s += " " + clip(r.body)
	}
	return s
}

// send makes the call and checks its status: the exercises add logging and
// metrics, and must not change the answers.
func (r request) send(ctx context.Context, s *Service) (*Response, error) {
	resp, err := s.Do(ctx, r.method, r.path, "application/json", r.body)
	if err != nil {
		return nil, err
	}
	if resp.Status != r.status {
		return nil, fmt.Errorf("%s answered %s, but the step answers %d; %s", r, resp, r.status, s.LogExcerpt())
	}
	return resp, nil
}

// step02LogRequests checks exercise 2.1: the transport logs one line per
// request, with the caller's address, the URL and the status code.
func step02LogRequests() []Case {
	reqs := []struct {
		what string
		req  request
	}{
		{"a sum", request{http.MethodPost, "/sum", `{"a":1,"b":2}`, http.StatusOK}},
		{"a concat", request{http.MethodPost, "/concat", `{"a":"x","b":"y"}`, http.StatusOK}},
		{"a body that is not JSON", request{http.MethodPost, "/sum", `{`, http.StatusBadRequest}},
		{"a number for a string", request{http.MethodPost, "/concat", `{"a":1,"b":"y"}`, http.StatusBadRequest}},
		{"an unknown path", request{http.MethodPost, "/nope?x=1", `{}`, http.StatusNotFound}},
	}
	var cases []Case
	for _, r := range reqs {
		cases = append(cases, Case{
			Name: fmt.Sprintf("%s (%s) is logged once, with the caller's address, %s and %d", r.what, r.req, r.req.path, r.req.status),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				return checkRequestLine(ctx, s, r.req)
			},
		})
	}
	return cases
}

// checkRequestLine sends req and checks that the service logs it once, with
// the caller's address, the URL and the status code.
func checkRequestLine(ctx context.Context, s *Service, req request) error {
	resp, err := req.send(ctx, s)
	if err != nil {
		return err
	}
	line, err := s.WaitLog(ctx, fmt.Sprintf("with the caller's address %s, for %s", resp.Client, req),
		func(l string) bool { return strings.Contains(l, resp.Client) })
	if err != nil {
		return err
	}
	rest := strings.Replace(line, resp.Client, "", 1)
	if !strings.Contains(rest, req.path) {
		return fmt.Errorf("the line logged for %s does not show its URL, %s:\n    %s", req, req.path, line)
	}
	rest = strings.Replace(rest, req.path, "", 1)
	if !hasNumber(rest, req.status) {
		return fmt.Errorf("the line logged for %s does not show its status code, %d:\n    %s", req, req.status, line)
	}
	s.Settle(ctx)
	var lines []string
	for _, l := range s.Log() {
		if strings.Contains(l, resp.Client) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return fmt.Errorf("%s was logged %d times, not once:\n    %s", req, len(lines), strings.Join(lines, "\n    "))
	}
	return nil
}

// step02LogCalls checks exercise 2.2: the service logs each call with its
// arguments and results.
func step02LogCalls() []Case {
	sum := func(a, b int) Case {
		req := request{http.MethodPost, "/sum", fmt.Sprintf(`{"a":%d,"b":%d}`, a, b), http.StatusOK}
		return Case{
			Name: fmt.Sprintf("Sum(%d, %d) is logged once, with its arguments and its result, %d", a, b, a+b),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				if _, err := req.send(ctx, s); err != nil {
					return err
				}
				return checkCallLine(ctx, s, fmt.Sprintf("Sum(%d, %d)", a, b), fmt.Sprint(a+b),
					func(l string) bool { return hasNumber(l, a) && hasNumber(l, b) },
					func(l string) bool { return hasNumber(l, a) && hasNumber(l, b) && hasNumber(l, a+b) })
			},
		}
	}
	concat := func(a, b string) Case {
		req := request{http.MethodPost, "/concat", fmt.Sprintf(`{"a":%q,"b":%q}`, a, b), http.StatusOK}
		return Case{
			Name: fmt.Sprintf("Concat(%q, %q) is logged once, with its arguments and its result, %q", a, b, a+b),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				if _, err := req.send(ctx, s); err != nil {
					return err
				}
				return checkCallLine(ctx, s, fmt.Sprintf("Concat(%q, %q)", a, b), fmt.Sprintf("%q", a+b),
					func(l string) bool { return strings.Contains(l, a) && strings.Contains(l, b) },
					func(l string) bool {
						// The result holds both arguments: find it, then
						// the arguments in the rest of the line.
						rest, ok := cutOnce(l, a+b)
						return ok && strings.Contains(rest, a) && strings.Contains(rest, b)
					})
			},
		}
	}
	return []Case{sum(17, 25), sum(-7, -8), concat("stone", "wall")}
}

// checkCallLine waits for the one line that logs call: a line that names
// the method (in any case) and for which whole is true. args is true of a
// line that shows the arguments, to tell a line that lacks only the result,
// result.
func checkCallLine(ctx context.Context, s *Service, call, result string, args, whole func(string) bool) error {
	method, _, _ := strings.Cut(call, "(")
	names := func(l string) bool { return strings.Contains(strings.ToLower(l), strings.ToLower(method)) }
	line := func(l string) bool { return names(l) && whole(l) }
	if _, err := s.WaitLog(ctx, fmt.Sprintf("for the call %s with its arguments and its result", call), line); err != nil {
		for _, l := range s.Log() {
			if names(l) && args(l) {
				return fmt.Errorf("the line that logs the call %s does not show its result, %s:\n    %s", call, result, l)
			}
		}
		return err
	}
	s.Settle(ctx)
	var lines []string
	for _, l := range s.Log() {
		if line(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return fmt.Errorf("the call %s was logged %d times, not once:\n    %s", call, len(lines), strings.Join(lines, "\n    "))
	}
	return nil
}

// hasNumber reports whether the integer n is written in s as a number of
// its own: 17 is in "a=17," but not in "170" or "-17".
func hasNumber(s string, n int) bool {
	want := fmt.Sprint(n)
	for i := 0; ; {
		j := strings.Index(s[i:], want)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(want)
		before := start == 0 || !isDigit(s[start-1]) && (n < 0 || s[start-1] != '-')
		after := end == len(s) || !isDigit(s[end])
		if before && after {
			return true
		}
		i = start + 1
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// cutOnce returns s without the first occurrence of sub, and whether there
// was one.
func cutOnce(s, sub string) (string, bool) {
	before, after, ok := strings.Cut(s, sub)
	return before + after, ok
}
