package load

import (
	"strings"
	"testing"
)

const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/gokit-workshop/workshop/step01-naive/cmd/addsvc
cpu: Oxide Virtual Turin-like Processor             
BenchmarkHTTP-2   	     572	    185701 ns/op	    9245 B/op	      96 allocs/op
BenchmarkHTTP-2   	     600	    100000 ns/op	    9245 B/op	      98 allocs/op
BenchmarkHTTP-2   	     600	    120000 ns/op	    9245 B/op	      97 allocs/op
BenchmarkService   	73061889	         1.587 ns/op	       0 B/op	       0 allocs/op
PASS
ok  	github.com/gokit-workshop/workshop/step01-naive/cmd/addsvc	0.187s
`

func TestParseBenchTakesTheMedians(t *testing.T) {
	got := parseBench([]byte(benchOutput))
	want := map[string]benchResult{
		"BenchmarkHTTP":    {nsPerOp: 120000, allocsPerOp: 97},
		"BenchmarkService": {nsPerOp: 1.587, allocsPerOp: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("parseBench = %v; want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %+v; want %+v", name, got[name], w)
		}
	}
}

func TestBenchTableRatiosAgainstStepOne(t *testing.T) {
	steps := []step{{num: 1, name: "step01-naive"}, {num: 6, name: "step06-transports"}}
	results := map[int]map[string]benchResult{
		1: {"BenchmarkService": {1, 0}, "BenchmarkHTTP": {50000, 90}},
		6: {"BenchmarkService": {900, 10}, "BenchmarkEndpoint": {2000, 27}, "BenchmarkHTTP": {80000, 120},
			"BenchmarkGRPC": {70000, 180}},
	}
	var b strings.Builder
	if err := benchTable(steps, results).write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| 01-naive ", "| 1 ns ", "| 50 µs ", "| 1.00× ",
		"| 06-transports ", "| 900 ns ", "| 2 µs ", "| 80 µs ", "| 0.62× ", "| 70 µs ", "| 180 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q:\n%s", want, out)
		}
	}
}
