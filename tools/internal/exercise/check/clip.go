package check

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxShown is about how much of an argument, a request body or an answer a
// message shows: a longer one is cut, and its length given.
const maxShown = 80

// clip returns s as a message shows it: whole if it is short, else its
// first maxShown bytes or so, "…", and its length: a message must point at
// the bug, not repeat what the check sent.
func clip(s string) string { return clipN(s, maxShown) }

// clipN is clip with another limit.
func clipN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 10
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:cut], len(s))
}

// clipArgs joins a command's arguments as a message shows them, each clipped.
func clipArgs(args []string) string {
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = clip(a)
	}
	return strings.Join(shown, " ")
}
