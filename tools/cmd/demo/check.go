package main

import (
	"fmt"
	"io"
	"strings"
)

// checkResult is one assertion of -check mode.
type checkResult struct {
	ok     bool
	what   string
	detail string // why it failed, or what passed
}

// checks collects the assertions of -check mode.
type checks struct {
	results []checkResult
}

// add records an assertion: it passed when err is nil.
func (c *checks) add(what string, detail string, err error) {
	r := checkResult{ok: err == nil, what: what, detail: detail}
	if err != nil {
		r.detail = err.Error()
	}
	c.results = append(c.results, r)
}

// failed counts the assertions that failed.
func (c *checks) failed() int {
	n := 0
	for _, r := range c.results {
		if !r.ok {
			n++
		}
	}
	return n
}

// print writes one PASS or FAIL line per assertion, then a summary line.
func (c *checks) print(w io.Writer) {
	for _, r := range c.results {
		word := "PASS"
		if !r.ok {
			word = "FAIL"
		}
		line := word + "  " + r.what
		if r.detail != "" {
			line += ": " + strings.ReplaceAll(r.detail, "\n", "\n      ")
		}
		fmt.Fprintln(w, line)
	}
	if n := c.failed(); n > 0 {
		fmt.Fprintf(w, "e2e: FAIL (%d of %d checks failed)\n", n, len(c.results))
	} else {
		fmt.Fprintf(w, "e2e: PASS (all %d checks passed)\n", len(c.results))
	}
}

// transportSpanName returns the name of the transport spans of a call, as
// step 7 names them: "POST /sum" over HTTP, "/addsvc.Add/Sum" over gRPC.
func transportSpanName(c call) string {
	if c.transport == overGRPC {
		return "/addsvc.Add/" + c.endpoint()
	}
	return "POST /" + c.method
}

// checkCallTrace returns what is wrong with t as the trace of call c: the
// client's span of the endpoint as the root, from addcli; under it the
// client's transport span (kind client); under that the service's
// transport span (kind server) from addsvc; under that the service's span
// of the endpoint; all with t's trace ID, and the business error, if c
// breaks a rule, tagged on both endpoint spans. Zipkin's reporter sends
// span names in lower case, so names compare without case. It returns no
// problems and a description of the chain when t is right.
func checkCallTrace(t jaegerTrace, c call) (chain string, problems []string) {
	for _, s := range t.Spans {
		if s.TraceID != t.TraceID {
			problems = append(problems, fmt.Sprintf("span %s %q has trace ID %s, not the trace's %s", s.SpanID, s.OperationName, s.TraceID, t.TraceID))
		}
	}
	roots := buildTree(t)
	if len(roots) != 1 {
		names := make([]string, len(roots))
		for i, r := range roots {
			names[i] = r.service + " " + r.name
		}
		return "", append(problems, fmt.Sprintf("want one root span, got %d (%s); spans may still be on their way", len(roots), strings.Join(names, ", ")))
	}

	type want struct {
		role, service, name, kind string
	}
	steps := []want{
		{"the client's endpoint span", "addcli", c.endpoint(), ""},
		{"the client's transport span", "addcli", transportSpanName(c), "client"},
		{"the service's transport span", "addsvc", transportSpanName(c), "server"},
		{"the service's endpoint span", "addsvc", c.endpoint(), ""},
	}
	var found []*spanNode
	var parent *spanNode
	for _, w := range steps {
		candidates := roots
		if parent != nil {
			candidates = parent.children
		}
		var n *spanNode
		for _, cand := range candidates {
			if cand.service == w.service && strings.EqualFold(cand.name, w.name) && (w.kind == "" || cand.kind == w.kind) {
				n = cand
				break
			}
		}
		if n == nil {
			where := "as the root"
			if parent != nil {
				where = fmt.Sprintf("under %s %q", parent.service, parent.name)
			}
			desc := fmt.Sprintf("service %s, name %q", w.service, w.name)
			if w.kind != "" {
				desc += ", kind " + w.kind
			}
			return "", append(problems, fmt.Sprintf("missing %s (%s) %s; spans may still be on their way", w.role, desc, where))
		}
		found = append(found, n)
		parent = n
	}

	for _, n := range []*spanNode{found[0], found[3]} {
		switch {
		case c.wantErr != "" && !n.hasErr:
			problems = append(problems, fmt.Sprintf("%s %q has no error tag, want %q", n.service, n.name, c.wantErr))
		case c.wantErr != "" && n.err != c.wantErr:
			problems = append(problems, fmt.Sprintf("%s %q has error=%q, want %q", n.service, n.name, n.err, c.wantErr))
		case c.wantErr == "" && n.hasErr:
			problems = append(problems, fmt.Sprintf("%s %q has error=%q, want none", n.service, n.name, n.err))
		}
	}
	chain = fmt.Sprintf("trace %s: %s %s → %s %s (client) → %s %s (server) → %s %s",
		t.TraceID, found[0].service, found[0].name, found[1].service, found[1].name,
		found[2].service, found[2].name, found[3].service, found[3].name)
	if c.wantErr != "" {
		chain += fmt.Sprintf(", error=%q tagged", c.wantErr)
	}
	return chain, problems
}
