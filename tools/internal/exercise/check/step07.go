package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Step 7: tracing (slides 85–88).

// The names of step 7's spans as the collector gets them: Zipkin's JSON
// lowercases them ("POST /sum" becomes "post /sum").
const (
	spanHTTPSum    = "post /sum"
	spanHTTPConcat = "post /concat"
	spanGRPCSum    = "/addsvc.add/sum"
	spanGRPCConcat = "/addsvc.add/concat"
)

// The kinds of spans, as Zipkin's JSON writes them.
const (
	kindServer = "SERVER"
	kindClient = "CLIENT"
)

// b3 is the trace of a made-up caller: the IDs that it sends in its B3
// headers (or gRPC metadata), as a traced client would.
type b3 struct {
	traceID, spanID string
}

// newB3 makes up a caller's trace, with a trace ID of 128 bits (32 hex
// digits) or 64 (16), and a span ID of 64 bits.
func newB3(traceBits int) b3 {
	return b3{traceID: randomHex(traceBits / 8), spanID: randomHex(8)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	b[0] |= 0x10 // no leading zero, which a tracer might drop
	return hex.EncodeToString(b)
}

// headers returns the B3 headers (or gRPC metadata keys) of the trace, with
// the decision to sample it.
func (t b3) headers() [][2]string {
	return [][2]string{{"X-B3-TraceId", t.traceID}, {"X-B3-SpanId", t.spanID}, {"X-B3-Sampled", "1"}}
}

func (t b3) String() string {
	return fmt.Sprintf("X-B3-TraceId: %s, X-B3-SpanId: %s, X-B3-Sampled: 1", t.traceID, t.spanID)
}

// postTraced sends body to the service's path with POST, as JSON, with the
// B3 headers of t, and reads the answer.
func postTraced(ctx context.Context, s *Service, path, body string, t b3) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	what := fmt.Sprintf("POST %s %s (with %s)", path, body, t)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.HTTPAddr+path, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range t.headers() {
		req.Header.Set(h[0], h[1])
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s got no answer (%v); %s", what, err, s.LogExcerpt())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s: the answer broke off (%v)", what, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

// callTraced calls a gRPC method with the B3 metadata of t.
func callTraced(ctx context.Context, s *Service, method, req string, t b3) (*Reply, error) {
	var kv []string
	for _, h := range t.headers() {
		kv = append(kv, strings.ToLower(h[0]), h[1])
	}
	return s.CallGRPC(metadata.AppendToOutgoingContext(ctx, kv...), method, req)
}

// tracedService starts addsvc with HTTP, gRPC and -zipkin-url of a stand-in
// collector, with more flags if any.
func tracedService(ctx context.Context, env *Env, flags ...string) (*Service, *Zipkin, error) {
	z := env.Zipkin()
	s, err := env.Start(ctx, Options{GRPC: true, Flags: append([]string{"-zipkin-url", z.URL()}, flags...)})
	return s, z, err
}

// serviceOf returns the name of the service that reported the span.
func serviceOf(s Span) string {
	if s.LocalEndpoint == nil {
		return ""
	}
	return s.LocalEndpoint.ServiceName
}

// spanText describes a span in one line, for messages: SERVER span "post
// /sum" of addsvc (trace …), or span "sum" of addsvc (…) for a span with no
// kind.
func spanText(s Span) string {
	return strings.TrimSpace(s.String())
}

// findSpan returns the first span for which match is true.
func findSpan(spans []Span, match func(Span) bool) (Span, bool) {
	for _, s := range spans {
		if match(s) {
			return s, true
		}
	}
	return Span{}, false
}

// isServerSpan reports whether s is addsvc's server span called name.
func isServerSpan(s Span, name string) bool {
	return s.Kind == kindServer && s.Name == name && serviceOf(s) == "addsvc"
}

// listSpans writes spans one a line, indented, for a message.
func listSpans(spans []Span) string {
	if len(spans) == 0 {
		return "\n    (none)"
	}
	var b strings.Builder
	for i, s := range spans {
		if i == maxSpansShown {
			fmt.Fprintf(&b, "\n    … and %d more", len(spans)-i)
			break
		}
		b.WriteString("\n    " + spanText(s))
	}
	return b.String()
}

// extracted waits for addsvc's server span called name in the trace of t,
// a child of t's span, and returns it; its error says what came instead.
func extracted(ctx context.Context, z *Zipkin, t b3, name, sent string) (Span, error) {
	want := func(s Span) bool {
		return isServerSpan(s, name) && s.TraceID == t.traceID && s.ParentID == t.spanID
	}
	spans, err := z.WaitSpans(ctx, fmt.Sprintf("with a SERVER span %q in trace %s whose parent is %s", name, t.traceID, t.spanID),
		func(spans []Span) bool { _, ok := findSpan(spans, want); return ok })
	if err == nil {
		s, _ := findSpan(spans, want)
		return s, nil
	}
	if ctx.Err() != nil {
		return Span{}, err
	}
	server, ok := findSpan(spans, func(s Span) bool { return s.Kind == kindServer && serviceOf(s) == "addsvc" })
	switch {
	case !ok:
		return Span{}, fmt.Errorf("after %s, the service sent no SERVER span, only these:%s\nThe server's trace option starts a SERVER span for each request: give each go-kit server one (package kitzipkin)", sent, listSpans(spans))
	case server.Name != name:
		return Span{}, fmt.Errorf("after %s, the service sent a %s, but it should be called %q (Zipkin lowercases names): name it with kitzipkin.Name", sent, spanText(server), name)
	case server.TraceID != t.traceID:
		return Span{}, fmt.Errorf("after %s, the service's %s is in a trace of its own, not in the caller's trace %s: the server's trace option extracts the caller's trace from the B3 headers (or metadata)", sent, spanText(server), t.traceID)
	default:
		return Span{}, fmt.Errorf("after %s, the service's %s is not a child of the caller's span %s", sent, spanText(server), t.spanID)
	}
}

// step07Extract checks exercise 7.1: the servers extract the caller's trace
// and start a server span in it, a child of the caller's span.
func step07Extract() []Case {
	httpCase := func(path, body, name string, traceBits int) Case {
		return Case{
			Name: fmt.Sprintf("POST %s with B3 headers (a trace ID of %d bits) gives a SERVER span %q in the caller's trace, a child of the caller's span", path, traceBits, name),
			Run: func(ctx context.Context, env *Env) error {
				s, z, err := tracedService(ctx, env)
				if err != nil {
					return err
				}
				t := newB3(traceBits)
				resp, err := postTraced(ctx, s, path, body, t)
				if err != nil {
					return err
				}
				if resp.Status != http.StatusOK {
					return fmt.Errorf("POST %s %s answered %s, not 200: the trace must not change the answers", path, body, resp)
				}
				_, err = extracted(ctx, z, t, name, fmt.Sprintf("POST %s %s with %s", path, body, t))
				return err
			},
		}
	}
	return []Case{
		httpCase("/sum", `{"a":1,"b":2}`, spanHTTPSum, 128),
		httpCase("/concat", `{"a":"x","b":"y"}`, spanHTTPConcat, 64),
		{
			Name: fmt.Sprintf("gRPC Sum with B3 metadata gives a SERVER span %q in the caller's trace, a child of the caller's span", spanGRPCSum),
			Run: func(ctx context.Context, env *Env) error {
				s, z, err := tracedService(ctx, env)
				if err != nil {
					return err
				}
				t := newB3(128)
				r, err := callTraced(ctx, s, "Sum", `{"a":1,"b":2}`, t)
				if err != nil {
					return fmt.Errorf("gRPC Sum {\"a\":1,\"b\":2}: %w", err)
				}
				if v := r.Int("v"); v != 3 {
					return fmt.Errorf("gRPC Sum {\"a\":1,\"b\":2} answered v = %d, not 3: the trace must not change the answers", v)
				}
				_, err = extracted(ctx, z, t, spanGRPCSum, fmt.Sprintf("gRPC Sum {\"a\":1,\"b\":2} with the metadata %s", t))
				return err
			},
		},
		{
			Name: fmt.Sprintf("POST /sum without B3 headers starts a new trace: a SERVER span %q with no parent", spanHTTPSum),
			Run: func(ctx context.Context, env *Env) error {
				s, z, err := tracedService(ctx, env)
				if err != nil {
					return err
				}
				if _, err := sumOf(1, 2, http.StatusOK, "3").do(ctx, s, "the trace must not change the answers"); err != nil {
					return err
				}
				root := func(s Span) bool { return isServerSpan(s, spanHTTPSum) && s.ParentID == "" }
				spans, err := z.WaitSpans(ctx, fmt.Sprintf("with a SERVER span %q at the root of a trace", spanHTTPSum),
					func(spans []Span) bool { _, ok := findSpan(spans, root); return ok })
				if err != nil && ctx.Err() == nil {
					if server, ok := findSpan(spans, func(s Span) bool { return isServerSpan(s, spanHTTPSum) }); ok {
						return fmt.Errorf("after POST /sum {\"a\":1,\"b\":2} with no B3 headers, the service sent %s, with a parent: with no trace to extract, the server span starts a new one", server)
					}
				}
				return err
			},
		},
	}
}

// endpointSpan waits for addsvc's span of the endpoint called name in the
// trace of t, and checks that it is a child of the server span called
// server, and that its error tag is wantErr ("" for none). sent says what
// was sent, for messages.
func endpointSpan(ctx context.Context, z *Zipkin, t b3, server, name, wantErr, sent string) error {
	inTrace := func(s Span) bool { return s.TraceID == t.traceID && serviceOf(s) == "addsvc" }
	both := func(spans []Span) (Span, Span, bool) {
		srv, ok1 := findSpan(spans, func(s Span) bool { return inTrace(s) && isServerSpan(s, server) })
		ep, ok2 := findSpan(spans, func(s Span) bool { return inTrace(s) && s.Kind == "" && s.Name == name })
		return srv, ep, ok1 && ok2
	}
	spans, err := z.WaitSpans(ctx, fmt.Sprintf("with the SERVER span %q and the endpoint's span %q in trace %s", server, name, t.traceID),
		func(spans []Span) bool { _, _, ok := both(spans); return ok })
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		var mine []Span
		for _, s := range spans {
			if inTrace(s) {
				mine = append(mine, s)
			}
		}
		if _, ok := findSpan(mine, func(s Span) bool { return isServerSpan(s, server) }); !ok {
			return fmt.Errorf("after %s, the service sent no SERVER span %q in the caller's trace %s (exercise 7.1); its spans in that trace:%s", sent, server, t.traceID, listSpans(mine))
		}
		return fmt.Errorf("after %s, the service sent no span %q for the endpoint in the caller's trace; its spans in that trace:%s\nTracingMiddleware gives every call of the endpoint a span called name, a child of the span in the context", sent, name, listSpans(mine))
	}
	srv, ep, _ := both(spans)
	if ep.ParentID != srv.ID {
		return fmt.Errorf("after %s, the endpoint's %s is not a child of the %s: start it from the span in the call's context", sent, spanText(ep), spanText(srv))
	}
	got, tagged := ep.Tags["error"]
	switch {
	case wantErr == "" && tagged:
		return fmt.Errorf("after %s, which succeeded, the endpoint's %s is tagged error=%q: tag only a call that failed", sent, spanText(ep), got)
	case wantErr != "" && !tagged:
		return fmt.Errorf("after %s, the endpoint's %s has no tag error, but it should be tagged error=%q: tag the span with the error that the caller gets, the endpoint's own or the broken rule inside its response (callError); kitzipkin.TraceEndpoint tags neither", sent, spanText(ep), wantErr)
	case wantErr != "" && got != wantErr:
		return fmt.Errorf("after %s, the endpoint's %s is tagged error=%q, not error=%q: tag it with the error's message, err.Error()", sent, spanText(ep), got, wantErr)
	}
	return nil
}

// tracedCall is one call that exercise 7.2 checks: over HTTP, or over gRPC
// if grpcReq is set, and the error its endpoint span must be tagged with.
type tracedCall struct {
	x        exchange // the HTTP call, and its answer
	grpcReq  string   // the gRPC method and request, if over gRPC: "Concat {…}"
	server   string   // the name of the server span
	endpoint string   // the name of the endpoint's span
	wantErr  string   // the error tag of the endpoint's span, "" for none
}

// send makes the call with the trace t and checks its answer; it returns
// what was sent, for messages.
func (c tracedCall) send(ctx context.Context, s *Service, t b3) (string, error) {
	if c.grpcReq != "" {
		method, req, _ := strings.Cut(c.grpcReq, " ")
		sent := fmt.Sprintf("gRPC %s %s with the metadata %s", method, req, t)
		_, err := callTraced(ctx, s, method, req, t)
		if _, isStatus := status.FromError(err); err != nil && !isStatus {
			return sent, err
		}
		return sent, nil
	}
	sent := fmt.Sprintf("%s with %s", c.x, t)
	resp, err := postTraced(ctx, s, c.x.path, c.x.body, t)
	if err != nil {
		return sent, err
	}
	if resp.Status != c.x.status {
		return sent, fmt.Errorf("%s answered %s, not HTTP %d: the trace must not change the answers", sent, resp, c.x.status)
	}
	return sent, nil
}

// step07EndpointSpans checks exercise 7.2: each call of an endpoint gets a
// span, a child of the server's, tagged with the error that the caller gets.
func step07EndpointSpans() []Case {
	ok := http.StatusOK
	bad := http.StatusBadRequest
	traced := func(name string, flags []string, calls ...tracedCall) Case {
		return Case{
			Name: name,
			Run: func(ctx context.Context, env *Env) error {
				s, z, err := tracedService(ctx, env, flags...)
				if err != nil {
					return err
				}
				// Every call first, then their spans: waiting for spans
				// drains the service.
				traces := make([]b3, len(calls))
				sent := make([]string, len(calls))
				for i, c := range calls {
					traces[i] = newB3(64)
					if sent[i], err = c.send(ctx, s, traces[i]); err != nil {
						return err
					}
				}
				for i, c := range calls {
					if err := endpointSpan(ctx, z, traces[i], c.server, c.endpoint, c.wantErr, sent[i]); err != nil {
						return err
					}
				}
				return nil
			},
		}
	}
	sum := tracedCall{x: sumOf(1, 2, ok, "3"), server: spanHTTPSum, endpoint: "sum"}
	limitedSum := sum
	limitedSum.x = exchange{sum.x.path, sum.x.body, http.StatusTooManyRequests, "", true}
	limitedSum.wantErr = msgLimited
	return []Case{
		traced(`POST /sum 1 + 2 gives a span "sum", a child of the SERVER span "post /sum", with no error tag`, nil, sum),
		traced(`POST /sum 0 + 0 gives a span "sum" tagged error="can't sum two zeroes", though the endpoint returns no error`, nil,
			tracedCall{x: sumOf(0, 0, bad, msgTwoZeroes).statusOnly(), server: spanHTTPSum, endpoint: "sum", wantErr: msgTwoZeroes}),
		traced(`gRPC Concat "0123456789" + "!" gives a span "concat", a child of the SERVER span "/addsvc.add/concat", tagged error="result exceeds maximum size"; "x" + "y" none`, nil,
			tracedCall{grpcReq: `Concat {"a":"0123456789","b":"!"}`, server: spanGRPCConcat, endpoint: "concat", wantErr: msgTooLong},
			tracedCall{grpcReq: `Concat {"a":"x","b":"y"}`, server: spanGRPCConcat, endpoint: "concat"}),
		traced(fmt.Sprintf(`with %s, the third sum's span "sum" is tagged error="rate limit exceeded", the endpoint's own error`, strings.Join(tinyBucket, " ")), tinyBucket,
			sum, sum, limitedSum),
	}
}

// Where exercise 7.3's clients are, and how their spans are named.
var (
	clientFile     = map[string]string{"HTTP": "addtransport/http_client.go (NewHTTPClient)", "gRPC": "addtransport/grpc_client.go (NewGRPCClient)"}
	clientSpanName = map[string]string{"HTTP": `"POST /sum"`, "gRPC": "pb.Add_Sum_FullMethodName"}
	clientTrace    = map[string]string{"HTTP": "HTTPClientTrace", "gRPC": "GRPCClientTrace"}
)

// step07Inject checks exercise 7.3: the clients inject their trace, so that
// one addcli call is one trace across client and server.
func step07Inject() []Case {
	var cases []Case
	for _, tr := range transports {
		name := spanHTTPSum
		if tr.name == "gRPC" {
			name = spanGRPCSum
		}
		cases = append(cases, Case{
			Commands: []string{"addsvc", "addcli"},
			Name:     fmt.Sprintf("over %s, addcli -zipkin-url … sum 1 2 and addsvc share one trace: addcli's CLIENT span %q is the parent of addsvc's SERVER span", tr.name, name),
			Run: func(ctx context.Context, env *Env) error {
				s, z, err := tracedService(ctx, env)
				if err != nil {
					return err
				}
				args := []string{"-zipkin-url", z.URL(), tr.flag, tr.addr(s), "sum", "1", "2"}
				out, err := env.RunCommand(ctx, "addcli", args...)
				if err != nil {
					return err
				}
				ran := "addcli " + strings.Join(args, " ")
				if out.ExitCode != 0 || strings.TrimSpace(out.Stdout) != "3" {
					return fmt.Errorf("%s exited %d, printing on stdout %q and on stderr %q, but it should print 3 and exit 0",
						ran, out.ExitCode, strings.TrimSpace(out.Stdout), strings.TrimSpace(out.Stderr))
				}
				client := func(s Span) bool { return s.Kind == kindClient && s.Name == name && serviceOf(s) == "addcli" }
				linked := func(spans []Span) (Span, Span, bool) {
					c, ok := findSpan(spans, client)
					if !ok {
						return Span{}, Span{}, false
					}
					srv, ok := findSpan(spans, func(s Span) bool { return isServerSpan(s, name) && s.ParentID == c.ID && s.TraceID == c.TraceID })
					return c, srv, ok
				}
				spans, err := z.WaitSpans(ctx, fmt.Sprintf("with addcli's CLIENT span %q and addsvc's SERVER span %q, its child", name, name),
					func(spans []Span) bool { _, _, ok := linked(spans); return ok })
				if err == nil || ctx.Err() != nil {
					return err
				}
				c, ok := findSpan(spans, client)
				if !ok {
					other, named := findSpan(spans, func(s Span) bool { return s.Kind == kindClient && serviceOf(s) == "addcli" })
					if named {
						linkedToo := ""
						if _, ok := findSpan(spans, func(s Span) bool { return isServerSpan(s, name) && s.ParentID == other.ID }); ok {
							linkedToo = " (it is injected: addsvc's SERVER span is its child)"
						}
						return fmt.Errorf("after %s, addcli sent a %s%s, but it should be called %q (Zipkin lowercases names): name the client's trace option in %s with kitzipkin.Name(%s)",
							ran, spanText(other), linkedToo, name, clientFile[tr.name], clientSpanName[tr.name])
					}
					return fmt.Errorf("after %s, addcli sent no CLIENT span; the collector received:%s\nThe client's trace option (kitzipkin.%s, in %s) starts a CLIENT span around each request, a child of the span in the context, and injects its context into the request",
						ran, listSpans(spans), clientTrace[tr.name], clientFile[tr.name])
				}
				if srv, ok := findSpan(spans, func(s Span) bool { return isServerSpan(s, name) }); ok {
					return fmt.Errorf("after %s, addcli sent its %s, but addsvc's %s is not its child, in its trace: the client's trace option injects the CLIENT span's context into the request's B3 headers (or metadata), where the server finds it", ran, spanText(c), spanText(srv))
				}
				return errors.New(err.Error() + "\n(addsvc sent no SERVER span: exercise 7.1)")
			},
		})
	}
	return cases
}
