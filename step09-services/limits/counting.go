package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/go-kit/log"
)

// countingLogger is a log.Logger for lines that can come in floods, such as
// one for each refused request: a flood of them must not fill the disk. It
// writes the first line of each kind at once, with count=1. After that, it
// counts the lines of the kind, and writes at most one a period, when the
// period ends, with the number of lines since the last one it wrote:
// count=1234. A line's kind is its keys and values, so give it only those
// that tell kinds apart, such as the error; timestamps belong to next.
//
// At most maxKinds kinds are told apart; a line of any further kind counts
// as one more kind, msg="lines of other kinds". Call Flush at the end, to
// write the counts that the last period holds.
type countingLogger struct {
	next   log.Logger
	period time.Duration

	mu    sync.Mutex
	kinds map[string]*lineKind
	timer *time.Timer // writes the counts due at the end of a period, if any
}

// lineKind is what a countingLogger knows of one kind of line.
type lineKind struct {
	keyvals []any
	count   int       // lines not written yet
	written time.Time // when a line of the kind was last written
}

// maxKinds is how many kinds of line a countingLogger tells apart.
const maxKinds = 100

// otherKinds is the kind of the lines beyond maxKinds kinds.
const otherKinds = "\x00other"

func newCountingLogger(next log.Logger, period time.Duration) *countingLogger {
	return &countingLogger{next: next, period: period, kinds: map[string]*lineKind{}}
}

// Log counts a line of the kind that keyvals make, and writes it with its
// count if none of the kind was written in the last period.
func (c *countingLogger) Log(keyvals ...any) error {
	var buf [256]byte
	key := kindKey(buf[:0], keyvals)
	now := time.Now()
	c.mu.Lock()
	k, ok := c.kinds[string(key)] // no copy of key to look it up
	if !ok && len(c.kinds) >= maxKinds {
		key, keyvals = []byte(otherKinds), []any{"msg", "lines of other kinds"}
		k, ok = c.kinds[otherKinds]
	}
	if !ok {
		k = &lineKind{keyvals: keyvals}
		c.kinds[string(key)] = k
	}
	k.count++
	if due := k.written.Add(c.period); now.Before(due) {
		if c.timer == nil {
			c.timer = time.AfterFunc(due.Sub(now), c.writeDue)
		}
		c.mu.Unlock()
		return nil
	}
	line := c.takeLocked(k, now)
	c.mu.Unlock()
	return c.next.Log(line...)
}

// kindKey appends the key of the kind of line that keyvals make to buf: their
// strings, each ended by a byte that no line holds (0x1f), when they are all
// strings, as the lines counted in floods are; or else, after a byte that
// tells the two apart (0x1e), what fmt.Sprint makes of them.
func kindKey(buf []byte, keyvals []any) []byte {
	for _, kv := range keyvals {
		s, ok := kv.(string)
		if !ok {
			return fmt.Append(append(buf[:0], 0x1e), keyvals...)
		}
		buf = append(append(buf, s...), 0x1f)
	}
	return buf
}

// takeLocked returns the line that reports the count of k, and starts k's
// next period at now.
func (c *countingLogger) takeLocked(k *lineKind, now time.Time) []any {
	line := append(k.keyvals[:len(k.keyvals):len(k.keyvals)], "count", k.count)
	k.count, k.written = 0, now
	return line
}

// writeDue writes the counts of the kinds whose period has ended, and sets
// the timer again for those whose period has not. It writes them before it
// lets go of the lock, so that Flush, once it has the lock, knows that every
// count taken is written.
func (c *countingLogger) writeDue() {
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
func (c *countingLogger) Flush() {
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
