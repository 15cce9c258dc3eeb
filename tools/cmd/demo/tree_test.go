package main

import (
	"strings"
	"testing"
)

func TestRenderTree(t *testing.T) {
	tests := []struct {
		name  string
		trace jaegerTrace
		want  string
	}{
		{
			name:  "a call over gRPC with a business error",
			trace: grpcSumZeroes(),
			want: `
addcli  sum                            2.0ms  error="can't sum two zeroes"
└─ addcli  /addsvc.add/sum     client  2.0ms  error="rpc error: code = InvalidArgument desc = can't sum two zeroes"
   └─ addsvc  /addsvc.add/sum  server  412µs  error="can't sum two zeroes"
      └─ addsvc  sum                    87µs  error="can't sum two zeroes"`,
		},
		{
			name:  "a call over HTTP",
			trace: httpSumOK(),
			want: `
addcli  sum                      2.1ms
└─ addcli  post /sum     client  1.9ms
   └─ addsvc  post /sum  server  190µs
      └─ addsvc  sum              79µs`,
		},
		{
			name: "siblings in the order they began, and an orphan",
			trace: testTrace("t",
				spanSpec{id: "r", service: "a", name: "root", start: 0, duration: 1500},
				spanSpec{id: "c2", parent: "r", service: "a", name: "second", start: 20, duration: 10},
				spanSpec{id: "c1", parent: "r", service: "a", name: "first", start: 10, duration: 10},
				spanSpec{id: "g", parent: "c1", service: "b", name: "grandchild", start: 11, duration: 5},
				spanSpec{id: "o", parent: "missing", service: "b", name: "lost", start: 5, duration: 12_345},
			),
			want: `
a  root                          1.5ms
├─ a  first                       10µs
│  └─ b  grandchild                5µs
└─ a  second                      10µs
b  lost (its parent is missing)   12ms`,
		},
		{name: "no spans", trace: testTrace("t"), want: "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := "\n" + strings.Join(renderTree(buildTree(tt.trace)), "\n")
			if got != tt.want {
				t.Errorf("got:%s\nwant:%s", got, tt.want)
			}
		})
	}
}

func TestBuildTreeLinks(t *testing.T) {
	roots := buildTree(grpcSumZeroes())
	if len(roots) != 1 {
		t.Fatalf("got %d roots, want 1", len(roots))
	}
	var chain []string
	for n := roots[0]; n != nil; {
		chain = append(chain, n.service+" "+n.name+" "+n.kind)
		if len(n.children) == 0 {
			break
		}
		n = n.children[0]
	}
	want := []string{"addcli sum ", "addcli /addsvc.add/sum client", "addsvc /addsvc.add/sum server", "addsvc sum "}
	if strings.Join(chain, "|") != strings.Join(want, "|") {
		t.Errorf("chain = %q, want %q", chain, want)
	}
}

func TestFormatMicros(t *testing.T) {
	tests := []struct {
		us   int64
		want string
	}{
		{0, "0µs"},
		{87, "87µs"},
		{999, "999µs"},
		{1000, "1.0ms"},
		{2049, "2.0ms"},
		{2051, "2.1ms"},
		{14_400, "14ms"},
		{999_000, "999ms"},
		{1_250_000, "1.25s"},
	}
	for _, tt := range tests {
		if got := formatMicros(tt.us); got != tt.want {
			t.Errorf("formatMicros(%d) = %q, want %q", tt.us, got, tt.want)
		}
	}
}
