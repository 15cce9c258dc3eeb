package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Step 9: the second service, and addsvc's balanced client of it.

// jsonEqual reports whether body is the JSON value want.
func jsonEqual(body, want string) bool {
	var a, b any
	if json.Unmarshal([]byte(body), &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// stringsvcCase is a request to stringsvc and the answer it must give.
type stringsvcCase struct {
	name, path, body string
	status           int
	want             string // the JSON body, or with wantError the text the error holds
	wantError        bool
}

// step09Transport checks exercise 9.1: stringsvc's HTTP transport decodes
// its requests and encodes its responses and broken rules.
func step09Transport() []Case {
	const where = "decodeUppercaseRequest, decodeCountRequest and encodeResponse in stringtransport/http.go"
	cases := []stringsvcCase{
		{"POST /uppercase {\"s\":\"gokit\"} answers 200 {\"v\":\"GOKIT\"} as JSON", "/uppercase", `{"s":"gokit"}`, 200, `{"v":"GOKIT"}`, false},
		{"POST /count {\"s\":\"héllo\"} answers 200 {\"v\":6}, the bytes", "/count", `{"s":"héllo"}`, 200, `{"v":6}`, false},
		{"POST /uppercase {\"s\":\"\"} answers 400 {\"error\":\"empty string\"}, the broken rule", "/uppercase", `{"s":""}`, 400, `{"error":"empty string"}`, false},
		{"POST /uppercase with a body that is not its JSON answers 400 with the decoding error", "/uppercase", `{"s":1}`, 400, "cannot unmarshal", true},
	}
	var out []Case
	for _, c := range cases {
		out = append(out, Case{
			Name:     c.name,
			Commands: []string{"stringsvc"},
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{Command: "stringsvc"})
				if err != nil {
					return err
				}
				resp, err := s.Post(ctx, c.path, c.body)
				if err != nil {
					return err
				}
				what := fmt.Sprintf("POST %s %s answered %s", c.path, c.body, resp)
				switch {
				case resp.Status != c.status:
					return fmt.Errorf("%s, want HTTP %d: look at %s", what, c.status, where)
				case c.wantError && (!jsonEqual(resp.Body, fmt.Sprintf(`{"error":%q}`, errorText(resp.Body))) || !strings.Contains(resp.Body, c.want)):
					return fmt.Errorf(`%s, want {"error":"…"} with the decoding error (%s): look at %s`, what, c.want, where)
				case !c.wantError && !jsonEqual(resp.Body, c.want):
					return fmt.Errorf("%s, want %s: look at %s", what, c.want, where)
				case !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
					return fmt.Errorf("%s with Content-Type %q, want application/json; charset=utf-8: look at encodeResponse in stringtransport/http.go",
						what, resp.Header.Get("Content-Type"))
				}
				return nil
			},
		})
	}
	return out
}

// errorText returns the error of a body {"error":"…"}, or "".
func errorText(body string) string {
	var e struct{ Error string }
	json.Unmarshal([]byte(body), &e)
	return e.Error
}

// balanced starts two stringsvc and an addsvc whose -stringsvc is both.
func balanced(ctx context.Context, env *Env) (add *Service, strs []*Service, err error) {
	for range 2 {
		s, err := env.Start(ctx, Options{Command: "stringsvc"})
		if err != nil {
			return nil, nil, err
		}
		strs = append(strs, s)
	}
	// In the order of their addresses, as go-kit's sd keeps the instances.
	sort.Slice(strs, func(i, j int) bool { return strs[i].HTTPAddr < strs[j].HTTPAddr })
	add, err = env.Start(ctx, Options{GRPC: true, Flags: []string{"-stringsvc", strs[0].HTTPAddr + "," + strs[1].HTTPAddr}})
	return add, strs, err
}

// concatUpper sends Concat go kit to add n times and returns an error for
// the first that does not answer {"v":"GOKIT"}.
func concatUpper(ctx context.Context, add *Service, n int, where string) error {
	for i := range n {
		resp, err := add.Post(ctx, "/concat", `{"a":"go","b":"kit"}`)
		if err != nil {
			return err
		}
		if resp.Status != 200 || !jsonEqual(resp.Body, `{"v":"GOKIT"}`) {
			return fmt.Errorf(`call %d of %d, POST /concat {"a":"go","b":"kit"}, answered %s, want {"v":"GOKIT"}: look at %s`, i+1, n, resp, where)
		}
	}
	return nil
}

// step09Balancing checks exercise 9.2: addsvc's client of stringsvc
// balances over the instances and retries round a dead one.
func step09Balancing() []Case {
	const where = "the endpoint made from endpointer in NewUppercase (stringtransport/balance.go)"
	const uppercased = "stringsvc_request_duration_seconds_count"
	return []Case{
		{
			Name:     "Concat's calls are upper-cased by both stringsvc replicas, in turn",
			Commands: []string{"addsvc", "stringsvc"},
			Run: func(ctx context.Context, env *Env) error {
				add, strs, err := balanced(ctx, env)
				if err != nil {
					return err
				}
				if err := concatUpper(ctx, add, 10, where); err != nil {
					return err
				}
				for i, s := range strs {
					m, err := s.Scrape(ctx)
					if err != nil {
						return err
					}
					if n, _ := m.Sum(uppercased, "method", "Uppercase"); n < 3 {
						return fmt.Errorf("after 10 Concat calls, stringsvc %d of 2 (%s) counts %v Uppercase calls in its /metrics (%s), want about 5: balance them round robin, in %s",
							i+1, s.HTTPAddr, n, uppercased, where)
					}
				}
				return nil
			},
		},
		{
			Name:     "with one of the two stringsvc killed, every Concat still answers, upper-cased",
			Commands: []string{"addsvc", "stringsvc"},
			Run: func(ctx context.Context, env *Env) error {
				add, strs, err := balanced(ctx, env)
				if err != nil {
					return err
				}
				if err := concatUpper(ctx, add, 2, where); err != nil {
					return err
				}
				strs[0].Stop()
				if err := concatUpper(ctx, add, 20, where); err != nil {
					return fmt.Errorf("with stringsvc %s killed: %w (retry a failed call on the next instance: lb.Retry)", strs[0].HTTPAddr, err)
				}
				return nil
			},
		},
	}
}

// step09Inject checks exercise 9.3: addsvc's client of stringsvc carries
// the trace to stringsvc.
func step09Inject() []Case {
	const where = "the trace option in NewUppercase's factory (stringtransport/balance.go)"
	const name = "post /uppercase"
	return []Case{{
		Name:     `a Concat with B3 headers is one trace through both: addsvc's CLIENT span "post /uppercase" is the parent of stringsvc's SERVER span`,
		Commands: []string{"addsvc", "stringsvc"},
		Run: func(ctx context.Context, env *Env) error {
			z := env.Zipkin()
			str, err := env.Start(ctx, Options{Command: "stringsvc", Flags: []string{"-zipkin-url", z.URL()}})
			if err != nil {
				return err
			}
			add, err := env.Start(ctx, Options{GRPC: true, Flags: []string{"-zipkin-url", z.URL(), "-stringsvc", str.HTTPAddr}})
			if err != nil {
				return err
			}
			caller := newB3(128)
			resp, err := postTraced(ctx, add, "/concat", `{"a":"go","b":"kit"}`, caller)
			if err != nil {
				return err
			}
			if resp.Status != 200 || !jsonEqual(resp.Body, `{"v":"GOKIT"}`) {
				return fmt.Errorf(`POST /concat {"a":"go","b":"kit"} (with %s) answered %s, want {"v":"GOKIT"}: look at %s`, caller, resp, where)
			}
			client := func(s Span) bool {
				return s.Kind == kindClient && s.Name == name && serviceOf(s) == "addsvc" && s.TraceID == caller.traceID
			}
			server := func(s Span) bool { return s.Kind == kindServer && s.Name == name && serviceOf(s) == "stringsvc" }
			linked := func(spans []Span) bool {
				c, ok := findSpan(spans, client)
				if !ok {
					return false
				}
				_, ok = findSpan(spans, func(s Span) bool { return server(s) && s.ParentID == c.ID && s.TraceID == c.TraceID })
				return ok
			}
			spans, err := z.WaitSpans(ctx, fmt.Sprintf("with addsvc's CLIENT span %q and stringsvc's SERVER span %q, its child", name, name), linked)
			if err == nil || ctx.Err() != nil {
				return err
			}
			if _, ok := findSpan(spans, client); !ok {
				if other, ok := findSpan(spans, func(s Span) bool { return s.Kind == kindClient && serviceOf(s) == "addsvc" }); ok {
					return fmt.Errorf("addsvc sent a %s, but it should be called %q (Zipkin lowercases names), in the caller's trace %s: name it with kitzipkin.Name in %s",
						spanText(other), name, caller.traceID, where)
				}
				return fmt.Errorf("addsvc sent no CLIENT span for its call to stringsvc; the collector received:%s\nkitzipkin.HTTPClientTrace, in %s, starts one for each attempt and injects its context into the B3 headers",
					listSpans(spans), where)
			}
			if srv, ok := findSpan(spans, server); ok {
				return fmt.Errorf("addsvc sent its CLIENT span %q, but stringsvc's %s is not its child, in its trace: the client's trace option must inject the span's context into the request's B3 headers (%s)",
					name, spanText(srv), where)
			}
			return errors.New(err.Error() + "\n(stringsvc sent no SERVER span)")
		},
	}}
}
