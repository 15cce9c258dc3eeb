// A solution of exercise 8.2 that differs from the reference in its shape:
// the text comes from a helper of its own, with type assertions instead of a
// type switch.

package limits

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/go-kit/log"
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

// Bounded returns a logger that cuts the values whose length a caller
// chooses before next sees them: a string, an error or a fmt.Stringer of
// more than max bytes becomes its first max bytes and its length, as clip
// cuts it. next, a logfmt logger, escapes what is left. Put it under the
// loggers that log.With makes, so that their valuers (a timestamp, the
// caller) see the same depth of calls.
func Bounded(next log.Logger, max int) log.Logger {
	return log.LoggerFunc(func(keyvals ...any) error {
		bounded := make([]any, len(keyvals))
		for i, v := range keyvals {
			if i%2 == 1 {
				v = bound(v, max)
			}
			bounded[i] = v
		}
		return next.Log(bounded...)
	})
}

// bound returns v, or its text cut to max bytes if it is longer.
func bound(v any, max int) any {
	// exercise 8.2 begin
	text, ok := textOf(v)
	if !ok || len(text) <= max {
		return v
	}
	return clip(text, max)
	// exercise 8.2 end
}

// textOf returns the text of a value whose length the caller chooses.
func textOf(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if err, ok := v.(error); ok {
		return err.Error(), true
	}
	if st, ok := v.(fmt.Stringer); ok {
		return st.String(), true
	}
	return "", false
}
