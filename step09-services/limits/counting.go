package limits

import (
	"sync"
	"time"

	"github.com/go-kit/log"
)

// Counting is a logger for the lines that come in floods, such as a
// transport's refusals and a failing collector's errors: of each kind of
// line, it writes one at most once a period, with how many more of its kind
// came since the last one written ("more"). Flush writes those still
// counted. The kind of a line is what kind names for it: a name chosen by
// the code that wires Counting, from a short fixed list, never a caller's
// text, so that no caller can make the kinds many or have its lines write
// those of others.
//
// go-kit/log has no rate limit of its own; zap's sampler does this for zap's
// loggers, by message, which here would be the caller's text.
type Counting struct {
	next   log.Logger
	period time.Duration
	kind   func(keyvals []any) string

	mu    sync.Mutex
	kinds map[string]*kindCount
}

// kindCount is what Counting knows of a kind of line.
type kindCount struct {
	written time.Time // when a line of the kind was last written
	more    int       // lines of the kind since then, not written
	last    []any     // the last of them, for Flush
}

// NewCounting returns a Counting that writes to next at most one line of
// each kind that kind names, a period.
func NewCounting(next log.Logger, period time.Duration, kind func(keyvals []any) string) *Counting {
	return &Counting{next: next, period: period, kind: kind, kinds: map[string]*kindCount{}}
}

// Log writes keyvals, with the count of the lines of its kind that were
// not written before it, if no line of its kind was written within the
// period; else it counts it.
func (c *Counting) Log(keyvals ...any) error {
	k := c.kind(keyvals)
	now := time.Now()
	c.mu.Lock()
	kc, ok := c.kinds[k]
	if !ok {
		kc = &kindCount{}
		c.kinds[k] = kc
	}
	if now.Sub(kc.written) < c.period {
		kc.more++
		kc.last = keyvals
		c.mu.Unlock()
		return nil
	}
	more := kc.more
	kc.written, kc.more, kc.last = now, 0, nil
	c.mu.Unlock()
	return c.next.Log(withMore(keyvals, more)...)
}

// Flush writes, for each kind with lines counted and not written, the last
// of them with their count.
func (c *Counting) Flush() {
	c.mu.Lock()
	var lines [][]any
	for _, kc := range c.kinds {
		if kc.more > 0 {
			lines = append(lines, withMore(kc.last, kc.more-1))
			kc.more, kc.last = 0, nil
		}
	}
	c.mu.Unlock()
	for _, keyvals := range lines {
		c.next.Log(keyvals...)
	}
}

// withMore returns keyvals with "more" and n after them, if n is above 0.
func withMore(keyvals []any, n int) []any {
	if n == 0 {
		return keyvals
	}
	return append(keyvals[:len(keyvals):len(keyvals)], "more", n)
}
