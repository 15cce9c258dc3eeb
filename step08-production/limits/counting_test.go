package limits

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-logfmt/logfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logBuffer collects log lines; the test and the logger use it at once.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the lines written to buf so far, decoded.
func lines(t *testing.T, buf *logBuffer) []map[string]string {
	t.Helper()
	var records []map[string]string
	dec := logfmt.NewDecoder(strings.NewReader(buf.String()))
	for dec.ScanRecord() {
		rec := map[string]string{}
		for dec.ScanKeyval() {
			rec[string(dec.Key())] = string(dec.Value())
		}
		records = append(records, rec)
	}
	require.NoError(t, dec.Err())
	return records
}

var (
	errLimited = errors.New("rate limit exceeded")
	errOpen    = errors.New("circuit breaker is open")
)

func TestCountingWritesTheFirstLineAndThenCounts(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Hour, errLimited, errOpen)
	defer c.Flush()
	c.Log("err", errLimited)
	assert.Equal(t, []map[string]string{{"err": "rate limit exceeded", "count": "1"}}, lines(t, &buf), "the first at once")

	for range 999 {
		c.Log("err", errLimited)
	}
	c.Log("err", errOpen)
	assert.Equal(t, []map[string]string{
		{"err": "rate limit exceeded", "count": "1"},
		{"err": "circuit breaker is open", "count": "1"}, // another known error: at once too
	}, lines(t, &buf), "the others are counted until the period ends")
}

// countRE finds the counts in a log.
var countRE = regexp.MustCompile(`count=(\d+)`)

func TestCountingWritesTheCountWhenThePeriodEnds(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), 50*time.Millisecond)
	for range 1000 {
		c.Log("err", errLimited)
	}
	// The first line, at once; then, when the period ends, the count of the
	// others since, whether more come or not.
	require.Eventually(t, func() bool {
		n := 0
		for _, m := range countRE.FindAllStringSubmatch(buf.String(), -1) {
			count, _ := strconv.Atoi(m[1])
			n += count
		}
		return n == 1000
	}, 5*time.Second, 10*time.Millisecond, "the log:\n%s", &buf)
	assert.Equal(t, map[string]string{"err": "rate limit exceeded", "count": "1"}, lines(t, &buf)[0])
	c.Flush()
}

func TestCountingFlushWritesWhatIsLeft(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Hour)
	for range 5 {
		c.Log("transport", "HTTP", "err", errLimited)
	}
	assert.Len(t, lines(t, &buf), 1)
	c.Flush()
	assert.Equal(t, []map[string]string{
		{"transport": "HTTP", "err": "rate limit exceeded", "count": "1"},
		{"transport": "HTTP", "err": "rate limit exceeded", "count": "4"},
	}, lines(t, &buf))
}

// decodeError is an error whose text holds a caller's, as a transport's
// decoding errors do.
type decodeError struct{ err error }

func (e decodeError) Error() string { return e.err.Error() }
func (e decodeError) Unwrap() error { return e.err }

// TestCountingKindsAreNotTheCallers is the regression test of a table of
// kinds that filled for good with a caller's or a collector's text (a port
// number was enough), after which every new error was logged without its
// text.
func TestCountingKindsAreNotTheCallers(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Hour, errLimited)
	for i := range 3 * maxKinds {
		c.Log("err", decodeError{fmt.Errorf(`"a" must be an integer, not %d`, i)})
		c.Log("msg", fmt.Sprintf(`failed to send the request: Post "http://127.0.0.1:%d/api/v2/spans": connection refused`, 1024+i))
		c.Log("msg", fmt.Sprintf("backlog too long, disposing %d spans", i))
	}
	assert.Len(t, lines(t, &buf), 3, "one kind each:\n%s", &buf)

	// A new kind still comes whole, with its text.
	c.Log("err", errLimited)
	c.Log("err", errors.New("something else"))
	got := lines(t, &buf)
	require.Len(t, got, 5)
	assert.Equal(t, map[string]string{"err": "rate limit exceeded", "count": "1"}, got[3])
	assert.Equal(t, map[string]string{"err": "something else", "count": "1"}, got[4])

	// The count of a kind comes with the text of its latest line.
	c.Flush()
	assert.Contains(t, buf.String(), `err="\"a\" must be an integer, not 299" count=299`)
}

func TestCountingBoundsAndEscapesTheCallersText(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Hour)
	c.Log("err", decodeError{errors.New("\x1b[2J\x1b[H" + strings.Repeat("x", 1<<20))})
	c.Flush()
	out := buf.String()
	assert.Less(t, len(out), 512, out)
	assert.NotContains(t, out, "\x1b", "no terminal control sequence")
	assert.Contains(t, out, `…(1048583 bytes)`)
}

func TestCountingTellsAtMostMaxKindsApart(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Hour)
	for i := range maxKinds + 50 {
		c.Log("msg", fmt.Sprintf("kind %c%c", 'a'+i/26, 'a'+i%26)) // the program's own words
	}
	c.Flush()
	got := lines(t, &buf)
	require.Len(t, got, maxKinds+2)
	assert.Equal(t, map[string]string{"msg": fmt.Sprintf("kind %c%c", 'a'+maxKinds/26, 'a'+maxKinds%26), "kind": "other", "count": "1"}, got[maxKinds],
		"a line beyond them keeps its text")
	assert.Equal(t, "49", got[maxKinds+1]["count"])
}

func TestCountingIsSafeForConcurrentUse(t *testing.T) {
	var buf logBuffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Millisecond)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 1000 {
				c.Log("err", i%3)
			}
		})
	}
	wg.Wait()
	c.Flush()
	total := 0
	for _, rec := range lines(t, &buf) {
		n, err := strconv.Atoi(rec["count"])
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, 4000, total, "every line counted once")
}

func TestQuote(t *testing.T) {
	assert.Equal(t, `"\x1b[31mred"`, Quote("\x1b[31mred", 100))
	assert.Equal(t, `"ab…(5 bytes)"`, Quote("abcde", 2))
	assert.Equal(t, `"日…(6 bytes)"`, Quote("日本", 4), "cut between two characters")
	assert.Equal(t, `line\nbreak \xff`, Escape("line\nbreak \xff", 100))
}

// BenchmarkCounting counts a line of a kind already written, as in a flood
// of refusals: the line is counted, not written.
func BenchmarkCounting(b *testing.B) {
	c := NewCounting(log.NewNopLogger(), time.Hour, errLimited)
	defer c.Flush()
	b.ReportAllocs()
	for b.Loop() {
		c.Log("transport", "HTTP", "err", errLimited)
	}
}
