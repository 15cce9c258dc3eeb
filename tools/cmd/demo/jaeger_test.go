package main

import (
	"strings"
	"testing"
	"time"
)

// spanSpec describes a span of a test trace compactly.
type spanSpec struct {
	id, parent, service, name, kind, err string
	start, duration                      int64
}

// testTrace builds a Jaeger trace with ID traceID from specs, with
// processes and tags as Jaeger's query API gives them for Zipkin spans.
func testTrace(traceID string, specs ...spanSpec) jaegerTrace {
	t := jaegerTrace{TraceID: traceID, Processes: map[string]jaegerProcess{}}
	pids := map[string]string{}
	for _, s := range specs {
		pid, ok := pids[s.service]
		if !ok {
			pid = "p" + string(rune('1'+len(pids)))
			pids[s.service] = pid
			t.Processes[pid] = jaegerProcess{ServiceName: s.service}
		}
		span := jaegerSpan{TraceID: traceID, SpanID: s.id, OperationName: s.name, StartTime: s.start, Duration: s.duration, ProcessID: pid}
		if s.parent != "" {
			span.References = []jaegerRef{{RefType: "CHILD_OF", TraceID: traceID, SpanID: s.parent}}
		}
		if s.err != "" {
			span.Tags = append(span.Tags,
				jaegerTag{Key: "error", Type: "string", Value: s.err},
				jaegerTag{Key: "error", Type: "bool", Value: true})
		}
		if s.kind != "" {
			span.Tags = append(span.Tags, jaegerTag{Key: "span.kind", Type: "string", Value: s.kind})
		}
		t.Spans = append(t.Spans, span)
	}
	return t
}

// grpcSumZeroes is the trace of "gRPC sum 0 0" as Jaeger gives it.
func grpcSumZeroes() jaegerTrace {
	return testTrace("0a44e619fa490d18",
		spanSpec{id: "0a44e619fa490d18", service: "addcli", name: "sum", err: "can't sum two zeroes", start: 1_000_000, duration: 2037},
		spanSpec{id: "40371c2b7c361f4e", parent: "0a44e619fa490d18", service: "addcli", name: "/addsvc.add/sum", kind: "client",
			err: "rpc error: code = InvalidArgument desc = can't sum two zeroes", start: 1_000_003, duration: 2028},
		spanSpec{id: "1b3a23be6e42df9d", parent: "40371c2b7c361f4e", service: "addsvc", name: "/addsvc.add/sum", kind: "server",
			err: "can't sum two zeroes", start: 1_000_528, duration: 412},
		spanSpec{id: "5c2c0e0f4d0c9a11", parent: "1b3a23be6e42df9d", service: "addsvc", name: "sum", err: "can't sum two zeroes", start: 1_000_600, duration: 87},
	)
}

// httpSumOK is the trace of "HTTP sum 1 2" as Jaeger gives it.
func httpSumOK() jaegerTrace {
	return testTrace("67798d5bfd3fec63",
		spanSpec{id: "67798d5bfd3fec63", service: "addcli", name: "sum", start: 5_000_000, duration: 2100},
		spanSpec{id: "28ec9a7532ec7f51", parent: "67798d5bfd3fec63", service: "addcli", name: "post /sum", kind: "client", start: 5_000_010, duration: 1900},
		spanSpec{id: "01ea0aa4965b54d3", parent: "28ec9a7532ec7f51", service: "addsvc", name: "post /sum", kind: "server", start: 5_000_600, duration: 190},
		spanSpec{id: "3ba3a5ceb4a9f343", parent: "01ea0aa4965b54d3", service: "addsvc", name: "sum", start: 5_000_650, duration: 79},
	)
}

func TestParseJaegerResponse(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantTraces int
		wantSpans  int
		wantErr    string
	}{
		{
			name: "a trace",
			body: `{"data":[{"traceID":"67798d5bfd3fec63","spans":[
				{"traceID":"67798d5bfd3fec63","spanID":"67798d5bfd3fec63","operationName":"concat","references":[],
				 "startTime":1795737312157802,"duration":1319,
				 "tags":[{"key":"error","type":"string","value":"result exceeds maximum size"},{"key":"error","type":"bool","value":true}],
				 "logs":[],"processID":"p1","warnings":null},
				{"traceID":"67798d5bfd3fec63","spanID":"28ec9a7532ec7f51","operationName":"post /concat",
				 "references":[{"refType":"CHILD_OF","traceID":"67798d5bfd3fec63","spanID":"67798d5bfd3fec63"}],
				 "startTime":1795737312157819,"duration":1227,"tags":[{"key":"span.kind","type":"string","value":"client"},
				 {"key":"net.host.port","type":"int64","value":18080}],"processID":"p1"}],
				"processes":{"p1":{"serviceName":"addcli","tags":[]}},"warnings":null}],
				"total":0,"limit":0,"offset":0,"errors":null}`,
			wantTraces: 1, wantSpans: 2,
		},
		{name: "no traces", body: `{"data":null,"total":0,"limit":0,"offset":0,"errors":null}`},
		{name: "an error", body: `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`, wantErr: "trace not found"},
		{name: "not JSON", body: `404 page not found`, wantErr: "not an answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			traces, err := parseJaegerResponse([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one that says %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != tt.wantTraces {
				t.Fatalf("got %d traces, want %d", len(traces), tt.wantTraces)
			}
			if tt.wantTraces > 0 && len(traces[0].Spans) != tt.wantSpans {
				t.Errorf("got %d spans, want %d", len(traces[0].Spans), tt.wantSpans)
			}
		})
	}
}

func TestTag(t *testing.T) {
	span := grpcSumZeroes().Spans[2]
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		// Jaeger gives error="message" and error=true: the message wins.
		{"error", "can't sum two zeroes", true},
		{"span.kind", "server", true},
		{"http.url", "", false},
	}
	for _, tt := range tests {
		got, ok := tag(span, tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("tag(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
	onlyBool := jaegerSpan{Tags: []jaegerTag{{Key: "error", Type: "bool", Value: true}}}
	if got, ok := tag(onlyBool, "error"); got != "true" || !ok {
		t.Errorf("tag(error) of a span with error=true only = %q, %v; want \"true\", true", got, ok)
	}
}

func TestFindCallTrace(t *testing.T) {
	at := func(us int64) time.Time { return time.UnixMicro(us) }
	traces := []jaegerTrace{httpSumOK(), grpcSumZeroes()}
	sum := request{method: "sum", a: "0", b: "0", wantErr: "can't sum two zeroes"}
	tests := []struct {
		name   string
		result callResult
		want   string // trace ID, "" for none
	}{
		{
			name:   "the call that ran when the trace began",
			result: callResult{call: call{request: sum, transport: overGRPC}, start: at(900_000), end: at(1_100_000)},
			want:   "0a44e619fa490d18",
		},
		{
			name:   "the other call",
			result: callResult{call: call{request: sum, transport: overHTTP}, start: at(4_900_000), end: at(5_100_000)},
			want:   "67798d5bfd3fec63",
		},
		{
			name:   "another method at the same time",
			result: callResult{call: call{request: request{method: "concat"}, transport: overGRPC}, start: at(900_000), end: at(1_100_000)},
		},
		{
			name:   "long after",
			result: callResult{call: call{request: sum, transport: overGRPC}, start: at(10_000_000), end: at(11_000_000)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := findCallTrace(traces, tt.result)
			if ok != (tt.want != "") || got.TraceID != tt.want {
				t.Errorf("findCallTrace = %q, %v; want %q", got.TraceID, ok, tt.want)
			}
		})
	}
}
