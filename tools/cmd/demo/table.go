package main

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// formatTable aligns rows, after header unless it is nil, in columns two
// spaces apart: a column is aligned to the right where right says so (as
// numbers are), else to the left.
func formatTable(header []string, rows [][]string, right []bool) []string {
	all := rows
	if header != nil {
		all = append([][]string{header}, rows...)
	}
	var widths []int
	for _, r := range all {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runeLen(cell))
		}
	}
	out := make([]string, 0, len(all))
	for _, r := range all {
		cells := make([]string, len(widths))
		for i, w := range widths {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			if i < len(right) && right[i] {
				cells[i] = padLeft(cell, w)
			} else {
				cells[i] = padRight(cell, w)
			}
		}
		out = append(out, strings.TrimRight(strings.Join(cells, "  "), " "))
	}
	return out
}

// formatSeconds formats a duration given in seconds, as formatMicros does;
// "-" when there is none (NaN, as Prometheus says for no calls).
func formatSeconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "-"
	}
	return formatMicros(int64(math.Round(s * 1e6)))
}

// formatElapsed formats a time that something took, as formatMicros does.
func formatElapsed(d time.Duration) string {
	return formatMicros(d.Microseconds())
}

// runeLen is the width of s in a terminal, for the text the demo prints.
func runeLen(s string) int {
	return utf8.RuneCountInString(s)
}

// padRight pads s with spaces to width w.
func padRight(s string, w int) string {
	return s + strings.Repeat(" ", max(w-runeLen(s), 0))
}

// padLeft pads s with spaces on the left to width w.
func padLeft(s string, w int) string {
	return strings.Repeat(" ", max(w-runeLen(s), 0)) + s
}
