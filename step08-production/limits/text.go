// Package limits holds what step 8 writes itself to bound what one caller
// can cost the add service, where no library does the job: a listener that
// makes room for a new connection (RoomListener), a bound of the gRPC calls
// in flight that no host can use up (Calls), a bound of the request bodies
// read at once (BodyBytes), a log of floods as counts (Counting), and the
// quoting of a caller's text (Quote, Escape). Each says which library
// option it goes with, and why that option alone does not do.
//
// It knows nothing of the add service: cmd/addsvc wires it.
package limits

import (
	"strconv"
	"unicode/utf8"
)

// Quote returns s as a Go string literal, its control characters and bytes
// that are not UTF-8 escaped, with at most max bytes of s: a longer s is cut
// between two characters, and its length follows, as in
// "1111…(1048576 bytes)". Use it for a caller's text in a log line, an
// error or on a terminal.
func Quote(s string, max int) string {
	return strconv.Quote(clip(s, max))
}

// Escape is Quote without the quotes around the text.
func Escape(s string, max int) string {
	q := Quote(s, max)
	return q[1 : len(q)-1]
}

// clip returns s whole if it is at most max bytes long, or else its start,
// cut between two characters, and its length: "1111…(1048576 bytes)".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
