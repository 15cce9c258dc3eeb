package main

import (
	"reflect"
	"testing"
)

func TestTrafficPlan(t *testing.T) {
	plan := trafficPlan(2)
	if got, want := len(plan), 2*2*len(requests()); got != want {
		t.Fatalf("len(plan) = %d, want %d", got, want)
	}
	// Every request over HTTP, then at once over gRPC.
	for i := 0; i < len(plan); i += 2 {
		if plan[i].transport != overHTTP || plan[i+1].transport != overGRPC || plan[i].request != plan[i+1].request {
			t.Fatalf("calls %d and %d = %s, %s; want one request over HTTP, then over gRPC", i, i+1, plan[i], plan[i+1])
		}
	}
	for _, r := range requests() {
		if (r.want == "") == (r.wantErr == "") && r.want != "" {
			t.Errorf("%s: want an answer or an error, not both", r)
		}
	}
}

func TestExpectCounts(t *testing.T) {
	got := expectCounts(trafficPlan(2))
	want := expectedCounts{
		calls: map[string]map[bool]int{
			"Sum":    {true: 12, false: 8},
			"Concat": {true: 12, false: 4},
		},
		integersSummed:         24,
		charactersConcatenated: 4 * (5 + 10 + 8), // gokit, helloworld, grüßdich
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCallResult(t *testing.T) {
	ok := call{request: request{method: "sum", a: "1", b: "2", want: "3"}, transport: overHTTP}
	bad := call{request: request{method: "sum", a: "0", b: "0", wantErr: "can't sum two zeroes"}, transport: overGRPC}
	tests := []struct {
		name        string
		r           callResult
		wantOK      bool
		wantOutcome string
	}{
		{"answered", callResult{call: ok, stdout: "3"}, true, "3"},
		{"a wrong answer", callResult{call: ok, stdout: "4"}, false, "4"},
		{"failed where it should answer", callResult{call: ok, exitCode: 1, stderr: "connection refused"}, false, "error: connection refused"},
		{"failed as it should", callResult{call: bad, exitCode: 1, stderr: "can't sum two zeroes"}, true, "error: can't sum two zeroes"},
		{"failed otherwise", callResult{call: bad, exitCode: 1, stderr: "integer overflow"}, false, "error: integer overflow"},
		{"answered where it should fail", callResult{call: bad, stdout: "0"}, false, "0"},
		{"usage error", callResult{call: bad, exitCode: 2, stderr: "usage: addcli ...\nmore"}, false, "error: usage: addcli ..."},
		{"killed", callResult{call: bad, exitCode: -1}, false, "addcli exit status -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.asExpected(); got != tt.wantOK {
				t.Errorf("asExpected() = %v, want %v", got, tt.wantOK)
			}
			if got := tt.r.outcome(); got != tt.wantOutcome {
				t.Errorf("outcome() = %q, want %q", got, tt.wantOutcome)
			}
		})
	}
}

func TestAddcliArgs(t *testing.T) {
	cli := addcli{path: "addcli", httpAddr: "127.0.0.1:8080", grpcAddr: "127.0.0.1:8081", zipkinURL: "http://127.0.0.1:9411/api/v2/spans"}
	tests := []struct {
		c    call
		want []string
	}{
		{
			call{request: request{method: "sum", a: "-7", b: "3"}, transport: overHTTP},
			[]string{"-http-addr", "127.0.0.1:8080", "-zipkin-url", "http://127.0.0.1:9411/api/v2/spans", "sum", "-7", "3"},
		},
		{
			call{request: request{method: "concat", a: "go", b: "kit"}, transport: overGRPC},
			[]string{"-grpc-addr", "127.0.0.1:8081", "-zipkin-url", "http://127.0.0.1:9411/api/v2/spans", "concat", "go", "kit"},
		},
	}
	for _, tt := range tests {
		if got := cli.args(tt.c); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("args(%s) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestEndpointAndSpanNames(t *testing.T) {
	tests := []struct {
		c                  call
		endpoint, spanName string
	}{
		{call{request: request{method: "sum"}, transport: overHTTP}, "Sum", "POST /sum"},
		{call{request: request{method: "sum"}, transport: overGRPC}, "Sum", "/addsvc.Add/Sum"},
		{call{request: request{method: "concat"}, transport: overHTTP}, "Concat", "POST /concat"},
		{call{request: request{method: "concat"}, transport: overGRPC}, "Concat", "/addsvc.Add/Concat"},
	}
	for _, tt := range tests {
		if got := tt.c.endpoint(); got != tt.endpoint {
			t.Errorf("endpoint() of %s = %q, want %q", tt.c, got, tt.endpoint)
		}
		if got := transportSpanName(tt.c); got != tt.spanName {
			t.Errorf("transportSpanName(%s) = %q, want %q", tt.c, got, tt.spanName)
		}
	}
}
