package limits

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-kit/log"
)

// Counting is a log.Logger for lines that can come in floods, such as one
// for each refused request: a flood of them must not fill the disk. It
// writes the first line of each kind at once, with count=1. After that, it
// counts the lines of the kind, and writes at most one a period, when the
// period ends, with the number of lines since the last one it wrote
// (count=1234) and the values of the latest of them.
//
// A line's kind is made of what its caller cannot choose, so that a flood
// of lines that differ only in a caller's (or a collector's) text, such as
// a port number, is still one kind: its keys, and for each value
//   - an error: the first of the known errors given to NewCounting that it
//     is (errors.Is), or else the types of the errors in its chain;
//   - a string: its text up to its first ": " or quote, every run of digits
//     as one 0, at most 40 bytes: give it only strings that start with the
//     program's own words, as constants and a library's formats do;
//   - any other value: its type.
//
// So the kinds are as many as the program's types and words, and
// maxKinds is a safety net only: a line of a kind beyond it counts as the
// kind "other", with its own values. Every value is written cut to
// maxValueBytes; the logfmt logger below escapes it.
//
// Call Flush at the end, to write the counts that the last period holds.
type Counting struct {
	next   log.Logger
	period time.Duration
	known  []error

	mu    sync.Mutex
	kinds map[string]*lineKind
	timer *time.Timer // writes the counts due at the end of a period, if any
}

// lineKind is what a Counting logger knows of one kind of line.
type lineKind struct {
	keyvals []any     // of the latest line, cut
	count   int       // lines not written yet
	written time.Time // when a line of the kind was last written
}

// maxKinds is how many kinds of line a Counting logger tells apart.
const maxKinds = 100

// otherKinds is the kind of the lines beyond maxKinds kinds.
const otherKinds = "\x00other"

// maxValueBytes is the most of a value's text that a line holds.
const maxValueBytes = 256

// maxWordBytes is the most of a string's text that its kind holds.
const maxWordBytes = 40

// NewCounting returns a logger that writes to next at most a line of each
// kind a period. The errors that are known are kinds of their own.
func NewCounting(next log.Logger, period time.Duration, known ...error) *Counting {
	return &Counting{next: next, period: period, known: known, kinds: map[string]*lineKind{}}
}

// Log counts a line of the kind that keyvals make, and writes it with its
// count if none of the kind was written in the last period.
func (c *Counting) Log(keyvals ...any) error {
	key := c.kindOf(keyvals)
	line := cut(keyvals)
	now := time.Now()
	c.mu.Lock()
	k, ok := c.kinds[key]
	if !ok && len(c.kinds) >= maxKinds {
		key = otherKinds
		line = append(line, "kind", "other")
		k, ok = c.kinds[otherKinds]
	}
	if !ok {
		k = &lineKind{}
		c.kinds[key] = k
	}
	k.keyvals = line
	k.count++
	if due := k.written.Add(c.period); now.Before(due) {
		if c.timer == nil {
			c.timer = time.AfterFunc(due.Sub(now), c.writeDue)
		}
		c.mu.Unlock()
		return nil
	}
	out := c.takeLocked(k, now)
	c.mu.Unlock()
	return c.next.Log(out...)
}

// kindOf returns the kind of the line that keyvals make (see Counting).
func (c *Counting) kindOf(keyvals []any) string {
	var b strings.Builder
	for i, v := range keyvals {
		if s, ok := v.(string); ok && i%2 == 0 {
			b.WriteString(s) // a key
		} else {
			c.writeKind(&b, v)
		}
		b.WriteByte(0x1f) // a byte that no line holds
	}
	return b.String()
}

// writeKind writes the kind of the value v to b.
func (c *Counting) writeKind(b *strings.Builder, v any) {
	switch v := v.(type) {
	case error:
		for _, known := range c.known {
			if errors.Is(v, known) {
				b.WriteString(known.Error())
				return
			}
		}
		for err := v; err != nil; err = errors.Unwrap(err) {
			fmt.Fprintf(b, "%T;", err)
		}
	case string:
		writeWords(b, v)
	default:
		fmt.Fprintf(b, "%T", v)
	}
}

// writeWords writes to b the start of s that is a string's kind: up to its
// first ": " or quote, every run of digits as one 0, at most maxWordBytes.
func writeWords(b *strings.Builder, s string) {
	if i := strings.IndexAny(s, `"'`); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ": "); i >= 0 {
		s = s[:i]
	}
	n, digits := 0, false
	for i := 0; i < len(s) && n < maxWordBytes; i++ {
		ch := s[i]
		if ch >= '0' && ch <= '9' {
			if !digits {
				b.WriteByte('0')
				n++
			}
			digits = true
			continue
		}
		digits = false
		b.WriteByte(ch)
		n++
	}
}

// cut returns a copy of keyvals whose strings and errors are cut to
// maxValueBytes (see Quote), as text.
func cut(keyvals []any) []any {
	line := make([]any, len(keyvals), len(keyvals)+4)
	for i, v := range keyvals {
		switch v := v.(type) {
		case string:
			line[i] = clip(v, maxValueBytes)
		case error:
			line[i] = clip(v.Error(), maxValueBytes)
		default:
			line[i] = v
		}
	}
	return line
}

// takeLocked returns the line that reports the count of k, and starts k's
// next period at now.
func (c *Counting) takeLocked(k *lineKind, now time.Time) []any {
	line := append(k.keyvals[:len(k.keyvals):len(k.keyvals)], "count", k.count)
	k.count, k.written = 0, now
	return line
}

// writeDue writes the counts of the kinds whose period has ended, and sets
// the timer again for those whose period has not. It writes them before it
// lets go of the lock, so that Flush, once it has the lock, knows that every
// count taken is written.
func (c *Counting) writeDue() {
	now := time.Now()
	var lines [][]any
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = nil
	var next time.Duration
	for _, k := range c.kinds {
		if k.count == 0 {
			continue
		}
		if due := k.written.Add(c.period); now.Before(due) {
			if wait := due.Sub(now); next == 0 || wait < next {
				next = wait
			}
			continue
		}
		lines = append(lines, c.takeLocked(k, now))
	}
	if next > 0 {
		c.timer = time.AfterFunc(next, c.writeDue)
	}
	for _, line := range lines {
		c.next.Log(line...)
	}
}

// Flush writes every count not written yet, whatever its period, and stops
// the timer.
func (c *Counting) Flush() {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	for _, k := range c.kinds {
		if k.count > 0 {
			c.next.Log(c.takeLocked(k, now)...)
		}
	}
}
