package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCheckCallTrace(t *testing.T) {
	sumZeroes := request{method: "sum", a: "0", b: "0", wantErr: "can't sum two zeroes"}
	sumOK := request{method: "sum", a: "1", b: "2", want: "3"}
	grpcZeroes := call{request: sumZeroes, transport: overGRPC}
	httpOK := call{request: sumOK, transport: overHTTP}

	// changed returns the trace with span i changed by f.
	changed := func(tr jaegerTrace, i int, f func(*jaegerSpan)) jaegerTrace {
		spans := append([]jaegerSpan(nil), tr.Spans...)
		f(&spans[i])
		tr.Spans = spans
		return tr
	}
	tests := []struct {
		name      string
		trace     jaegerTrace
		call      call
		wantChain string
		wantProbs []string // each a part of one problem, in order
	}{
		{
			name: "gRPC with its error tagged", trace: grpcSumZeroes(), call: grpcZeroes,
			wantChain: `trace 0a44e619fa490d18: addcli sum → addcli /addsvc.add/sum (client) → addsvc /addsvc.add/sum (server) → addsvc sum, error="can't sum two zeroes" tagged`,
		},
		{
			name: "HTTP with no error", trace: httpSumOK(), call: httpOK,
			wantChain: "trace 67798d5bfd3fec63: addcli sum → addcli post /sum (client) → addsvc post /sum (server) → addsvc sum",
		},
		{
			name: "names in their original case", call: httpOK,
			trace:     changed(changed(httpSumOK(), 1, func(s *jaegerSpan) { s.OperationName = "POST /sum" }), 0, func(s *jaegerSpan) { s.OperationName = "Sum" }),
			wantChain: "trace 67798d5bfd3fec63: addcli Sum → addcli POST /sum (client)",
		},
		{
			name: "the other transport's trace", trace: httpSumOK(), call: call{request: sumOK, transport: overGRPC},
			wantProbs: []string{`missing the client's transport span (service addcli, name "/addsvc.Add/Sum", kind client) under addcli "sum"`},
		},
		{
			name: "the server's spans not there yet", call: grpcZeroes,
			trace:     func() jaegerTrace { tr := grpcSumZeroes(); tr.Spans = tr.Spans[:2]; return tr }(),
			wantProbs: []string{"missing the service's transport span"},
		},
		{
			name: "only the server's spans there yet", call: grpcZeroes,
			trace:     func() jaegerTrace { tr := grpcSumZeroes(); tr.Spans = tr.Spans[2:]; return tr }(),
			wantProbs: []string{"missing the client's endpoint span"},
		},
		{
			name: "a server span that is a second root", call: grpcZeroes,
			trace:     changed(grpcSumZeroes(), 2, func(s *jaegerSpan) { s.References = nil }),
			wantProbs: []string{"want one root span, got 2 (addcli sum, addsvc /addsvc.add/sum)"},
		},
		{
			name: "a server span of kind client", call: grpcZeroes,
			trace:     changed(grpcSumZeroes(), 2, func(s *jaegerSpan) { s.Tags[2].Value = "client" }),
			wantProbs: []string{`missing the service's transport span (service addsvc, name "/addsvc.Add/Sum", kind server)`},
		},
		{
			name: "a span of another trace", call: grpcZeroes,
			trace: changed(grpcSumZeroes(), 3, func(s *jaegerSpan) { s.TraceID = "ffff" }),
			// Its parent link names the other trace, so it is a root too.
			wantProbs: []string{"has trace ID ffff, not the trace's 0a44e619fa490d18", "want one root span, got 2"},
		},
		{
			name: "the error not tagged on the service's span", call: grpcZeroes,
			trace:     changed(grpcSumZeroes(), 3, func(s *jaegerSpan) { s.Tags = nil }),
			wantChain: "trace 0a44e619fa490d18",
			wantProbs: []string{`addsvc "sum" has no error tag, want "can't sum two zeroes"`},
		},
		{
			name: "another error", call: grpcZeroes,
			trace:     changed(grpcSumZeroes(), 0, func(s *jaegerSpan) { s.Tags[0].Value = "integer overflow" }),
			wantChain: "trace 0a44e619fa490d18",
			wantProbs: []string{`addcli "sum" has error="integer overflow", want "can't sum two zeroes"`},
		},
		{
			name: "an error where none should be", call: call{request: sumOK, transport: overGRPC},
			trace:     grpcSumZeroes(),
			wantChain: "trace 0a44e619fa490d18",
			wantProbs: []string{`addcli "sum" has error="can't sum two zeroes", want none`, `addsvc "sum" has error=`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, problems := checkCallTrace(tt.trace, tt.call)
			if len(problems) != len(tt.wantProbs) {
				t.Fatalf("problems = %q, want %d like %q", problems, len(tt.wantProbs), tt.wantProbs)
			}
			for i, p := range problems {
				if !strings.Contains(p, tt.wantProbs[i]) {
					t.Errorf("problem %d = %q, want it to say %q", i, p, tt.wantProbs[i])
				}
			}
			if !strings.HasPrefix(chain, tt.wantChain) {
				t.Errorf("chain = %q, want it to begin with %q", chain, tt.wantChain)
			}
		})
	}
}

func TestChecksPrint(t *testing.T) {
	tests := []struct {
		name    string
		add     func(c *checks)
		want    string
		wantBad int
	}{
		{
			name: "all pass",
			add: func(c *checks) {
				c.add("one", "fine", nil)
				c.add("two", "", nil)
			},
			want: "PASS  one: fine\nPASS  two\ne2e: PASS (all 2 checks passed)\n",
		},
		{
			name: "a failure, over two lines",
			add: func(c *checks) {
				c.add("one", "fine", nil)
				c.add("two", "fine", errors.New("broken\nhere"))
			},
			want:    "PASS  one: fine\nFAIL  two: broken\n      here\ne2e: FAIL (1 of 2 checks failed)\n",
			wantBad: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c checks
			tt.add(&c)
			var buf bytes.Buffer
			c.print(&buf)
			if buf.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
			if c.failed() != tt.wantBad {
				t.Errorf("failed() = %d, want %d", c.failed(), tt.wantBad)
			}
		})
	}
}
