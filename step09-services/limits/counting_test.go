package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines returns the lines that logger wrote to buf so far, decoded.
func lines(t *testing.T, buf *logBuffer) []map[string]string {
	t.Helper()
	return decodeLogfmt(t, []byte(buf.String()))
}

func TestCountingLoggerWritesTheFirstLineAndThenCounts(t *testing.T) {
	var buf logBuffer
	c := newCountingLogger(log.NewLogfmtLogger(&buf), time.Hour)
	defer c.Flush()
	c.Log("err", "rate limit exceeded")
	assert.Equal(t, []map[string]string{{"err": "rate limit exceeded", "count": "1"}}, lines(t, &buf), "the first at once")

	for range 999 {
		c.Log("err", "rate limit exceeded")
	}
	c.Log("err", "circuit breaker is open")
	assert.Equal(t, []map[string]string{
		{"err": "rate limit exceeded", "count": "1"},
		{"err": "circuit breaker is open", "count": "1"}, // another kind: at once too
	}, lines(t, &buf), "the others are counted until the period ends")
}

// countRE finds the counts in a log.
var countRE = regexp.MustCompile(`count=(\d+)`)

func TestCountingLoggerWritesTheCountWhenThePeriodEnds(t *testing.T) {
	var buf logBuffer
	c := newCountingLogger(log.NewLogfmtLogger(&buf), 50*time.Millisecond)
	for range 1000 {
		c.Log("err", "rate limit exceeded")
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

func TestCountingLoggerFlushWritesWhatIsLeft(t *testing.T) {
	var buf logBuffer
	c := newCountingLogger(log.NewLogfmtLogger(&buf), time.Hour)
	for range 5 {
		c.Log("transport", "HTTP", "err", "rate limit exceeded")
	}
	assert.Len(t, lines(t, &buf), 1)
	c.Flush()
	assert.Equal(t, []map[string]string{
		{"transport": "HTTP", "err": "rate limit exceeded", "count": "1"},
		{"transport": "HTTP", "err": "rate limit exceeded", "count": "4"},
	}, lines(t, &buf))
}

func TestCountingLoggerTellsAtMostMaxKindsApart(t *testing.T) {
	var buf logBuffer
	c := newCountingLogger(log.NewLogfmtLogger(&buf), time.Hour)
	for i := range maxKinds + 50 {
		c.Log("err", fmt.Sprintf("no such path: /%d", i))
	}
	c.Flush()
	got := lines(t, &buf)
	require.Len(t, got, maxKinds+2)
	assert.Equal(t, map[string]string{"msg": "lines of other kinds", "count": "1"}, got[maxKinds])
	assert.Equal(t, map[string]string{"msg": "lines of other kinds", "count": "49"}, got[maxKinds+1])
}

func TestCountingLoggerIsSafeForConcurrentUse(t *testing.T) {
	var buf bytes.Buffer
	c := newCountingLogger(log.NewLogfmtLogger(log.NewSyncWriter(&buf)), time.Millisecond)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 1000 {
				c.Log("err", i%3)
			}
		}()
	}
	for range 4 {
		<-done
	}
	c.Flush()
	total := 0
	for _, rec := range decodeLogfmt(t, buf.Bytes()) {
		var n int
		_, err := fmt.Sscan(rec["count"], &n)
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, 4000, total, "every line counted once")
}

// BenchmarkCountingLogger counts a line of a kind already written, as in a
// flood of refusals: the line is counted, not written.
func BenchmarkCountingLogger(b *testing.B) {
	c := newCountingLogger(log.NewNopLogger(), time.Hour)
	defer c.Flush()
	b.ReportAllocs()
	for b.Loop() {
		c.Log("transport", "HTTP", "err", "rate limit exceeded")
	}
}
