package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestFormatTable(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		rows   [][]string
		right  []bool
		want   string
	}{
		{
			name:   "numbers to the right",
			header: []string{"METHOD", "CALLS", "AVG"},
			rows:   [][]string{{"Sum", "20", "98µs"}, {"Concat", "16", "1.1ms"}},
			right:  []bool{false, true, true},
			want: `
METHOD  CALLS    AVG
Sum        20   98µs
Concat     16  1.1ms`,
		},
		{
			name: "no header, all to the left, short rows",
			rows: [][]string{{"logs", ".run/demo/", "the logs"}, {"Prometheus UI", "http://127.0.0.1:9090/graph"}},
			want: `
logs           .run/demo/                   the logs
Prometheus UI  http://127.0.0.1:9090/graph`,
		},
		{name: "nothing", want: "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := "\n" + strings.Join(formatTable(tt.header, tt.rows, tt.right), "\n")
			if got != tt.want {
				t.Errorf("got:%s\nwant:%s", got, tt.want)
			}
		})
	}
}

func TestFormatSeconds(t *testing.T) {
	tests := []struct {
		s    float64
		want string
	}{
		{0.000098, "98µs"},
		{0.00495, "5.0ms"},
		{0.025, "25ms"},
		{2.5, "2.50s"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	}
	for _, tt := range tests {
		if got := formatSeconds(tt.s); got != tt.want {
			t.Errorf("formatSeconds(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
	if got := formatElapsed(1500 * time.Millisecond); got != "1.50s" {
		t.Errorf("formatElapsed(1.5s) = %q, want 1.50s", got)
	}
}
