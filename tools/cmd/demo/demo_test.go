package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// testTrace returns the trace traceID as Jaeger's query API gives it, with
// a span for each spec: "id parent service name kind start duration", "-"
// for no parent or kind, then the error tag if there is one.
func testTrace(t *testing.T, traceID string, specs ...string) jaegerTrace {
	t.Helper()
	var spans []map[string]any
	processes := map[string]any{}
	for _, spec := range specs {
		f := strings.SplitN(spec, " ", 8)
		s := map[string]any{"traceID": traceID, "spanID": f[0], "operationName": f[3], "processID": f[2],
			"startTime": json.Number(f[5]), "duration": json.Number(f[6])}
		processes[f[2]] = map[string]string{"serviceName": f[2]}
		if f[1] != "-" {
			s["references"] = []map[string]string{{"refType": "CHILD_OF", "traceID": traceID, "spanID": f[1]}}
		}
		var tags []map[string]any
		if len(f) == 8 { // as Jaeger gives Zipkin's error tag: the message, then true
			tags = append(tags, map[string]any{"key": "error", "value": f[7]}, map[string]any{"key": "error", "value": true})
		}
		if f[4] != "-" {
			tags = append(tags, map[string]any{"key": "span.kind", "value": f[4]})
		}
		s["tags"] = tags
		spans = append(spans, s)
	}
	b, err := json.Marshal(map[string]any{"traceID": traceID, "spans": spans, "processes": processes})
	if err != nil {
		t.Fatal(err)
	}
	var tr jaegerTrace
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// grpcSumZeroes is the trace of "gRPC sum 0 0", its spans out of order.
func grpcSumZeroes(t *testing.T) jaegerTrace {
	return testTrace(t, "0a44e619fa490d18",
		"c 2 addsvc /addsvc.add/sum server 1000528 412 can't sum two zeroes",
		"1 - addcli sum - 1000000 2037 can't sum two zeroes",
		"2 1 addcli /addsvc.add/sum client 1000003 2028 rpc error: code = InvalidArgument desc = can't sum two zeroes",
		"d c addsvc sum - 1000600 87 can't sum two zeroes",
	)
}

func TestTreeRows(t *testing.T) {
	tests := []struct {
		name  string
		trace jaegerTrace
		want  string
	}{{
		name: "a call over gRPC with a business error", trace: grpcSumZeroes(t),
		want: `
      addcli  sum                            2.0ms  error="can't sum two zeroes"
      └─ addcli  /addsvc.add/sum     client  2.0ms  error="rpc error: code = InvalidArgument desc = can't sum two zeroes"
         └─ addsvc  /addsvc.add/sum  server  412µs  error="can't sum two zeroes"
            └─ addsvc  sum                   87µs   error="can't sum two zeroes"
`,
	}, {
		name: "siblings in the order they began, and an orphan",
		trace: testTrace(t, "t", "r - a root - 0 1500", "c2 r a second - 20 10", "c1 r a first - 10 10",
			"g c1 b grandchild - 11 5", "o missing b lost - 5 12345"),
		want: `
      a  root                          1.5ms
      ├─ a  first                      10µs
      │  └─ b  grandchild              5µs
      └─ a  second                     10µs
      b  lost (its parent is missing)  12ms
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			d := &demo{out: &out}
			d.table(treeRows(tt.trace.tree(), "  ", true)...)
			if got := "\n" + out.String(); got != tt.want {
				t.Errorf("got:%s\nwant:%s", got, tt.want)
			}
		})
	}
}

func TestFindCallTrace(t *testing.T) {
	at := func(us int64) time.Time { return time.UnixMicro(us) }
	traces := []jaegerTrace{testTrace(t, "other", "1 - addcli sum - 5000000 100"), grpcSumZeroes(t)}
	tests := []struct {
		name string
		call call
		want string // trace ID, "" for none
	}{
		{"the call that ran when the trace began", call{method: "sum", start: at(900_000), end: at(1_100_000)}, "0a44e619fa490d18"},
		{"the other call", call{method: "sum", start: at(4_900_000), end: at(5_100_000)}, "other"},
		{"another method at the same time", call{method: "concat", start: at(900_000), end: at(1_100_000)}, ""},
		{"long after", call{method: "sum", start: at(10_000_000), end: at(11_000_000)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findCallTrace(traces, tt.call).TraceID; got != tt.want {
				t.Errorf("findCallTrace = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPromReport asks a stand-in Prometheus, which answers each query of
// the report as the real one does.
func TestPromReport(t *testing.T) {
	answers := map[string]string{
		"calls": `{"metric":{"method":"Concat","success":"true"},"value":[1,"12"]},{"metric":{"method":"Concat","success":"false"},"value":[1,"4"]},` +
			`{"metric":{"method":"Sum","success":"true"},"value":[1,"12"]},{"metric":{"method":"Other","success":"false"},"value":[1,"1"]}`,
		"req/s":        `{"metric":{"method":"Sum"},"value":[1,"1.5"]}`,
		"avg":          `{"metric":{"method":"Sum"},"value":[1,"0.000098"]},{"metric":{"method":"Concat"},"value":[1,"NaN"]}`,
		integersSummed: `{"metric":{},"value":[1,"24"]}`,
	}
	byExpr := map[string]string{}
	for name, expr := range promQueries("10s") {
		byExpr[expr] = answers[name]
	}
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, byExpr[r.Form.Get("query")])
	}))
	defer prom.Close()
	client, err := api.NewClient(api.Config{Address: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{prom: promv1.NewAPI(client)}
	r, err := d.promReport(context.Background(), time.Now().Add(-9500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(r.window, " ", r.methods()), "10s [Sum Concat Other]"; got != want {
		t.Errorf("window and methods = %s, want %s", got, want)
	}
	ok, failed := r.calls("Concat")
	if got, want := fmt.Sprint(ok, failed, r.values["req/s"], r.values["avg"], r.values[integersSummed]), "12 4 map[Sum:1.5] map[Concat:NaN Sum:9.8e-05] map[:24]"; got != want {
		t.Errorf("values = %s, want %s", got, want)
	}
	if _, found := r.values[charactersConcatenated][""]; found {
		t.Errorf("%s found, but Prometheus has no such series", charactersConcatenated)
	}
}

func TestFormatMicros(t *testing.T) {
	for us, want := range map[int64]string{0: "0µs", 999: "999µs", 1000: "1.0ms", 2051: "2.1ms", 14_400: "14ms", 1_250_000: "1.25s"} {
		if got := formatMicros(us); got != want {
			t.Errorf("formatMicros(%d) = %q, want %q", us, got, want)
		}
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"-check"}, {"now"}} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("run %q = %d, want 2", args, code)
		}
	}
}

func TestRetried(t *testing.T) {
	retriedTrace := testTrace(t, "0da2506b643bb5b5",
		"1 - addsvc post_/concat server 1000000 1900",
		"2 1 addsvc concat - 1000010 1800",
		"3 2 addsvc uppercase - 1000020 1700",
		"4 3 addsvc post_/uppercase client 1000030 384 connection refused",
		"5 3 addsvc post_/uppercase client 1000500 1000",
		"6 5 stringsvc post_/uppercase server 1000600 174")
	if !retried(retriedTrace.tree()) {
		t.Error("a failed attempt and then one that reached stringsvc: want retried")
	}
	once := testTrace(t, "0da2506b643bb5b6",
		"1 - addsvc post_/concat server 1000000 1900",
		"2 1 addsvc concat - 1000010 1800",
		"3 2 addsvc uppercase - 1000020 1700",
		"5 3 addsvc post_/uppercase client 1000500 1000",
		"6 5 stringsvc post_/uppercase server 1000600 174")
	if retried(once.tree()) {
		t.Error("one attempt: want not retried")
	}
}

func TestRunRefusesAnotherStep(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"8"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "step 7 (the talk's) or 9") {
		t.Errorf("demo 8: exit code %d, stderr %q; want 2 and what it runs", code, stderr.String())
	}
}
