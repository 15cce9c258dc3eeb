package main

import (
	"bytes"
	"fmt"
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
	c := newCountingLogger(log.NewLogfmtLogger(&buf), 100*time.Millisecond)
	c.Log("err", "rate limit exceeded")
	assert.Equal(t, []map[string]string{{"err": "rate limit exceeded", "count": "1"}}, lines(t, &buf), "the first at once")

	for range 999 {
		c.Log("err", "rate limit exceeded")
	}
	c.Log("err", "circuit breaker is open")
	assert.Equal(t, []map[string]string{
		{"err": "rate limit exceeded", "count": "1"},
		{"err": "circuit breaker is open", "count": "1"}, // another kind: at once too
	}, lines(t, &buf))

	// When the period ends, the count since the first line.
	require.Eventually(t, func() bool { return len(lines(t, &buf)) == 3 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]string{"err": "rate limit exceeded", "count": "999"}, lines(t, &buf)[2])
	c.Flush()
	assert.Len(t, lines(t, &buf), 3, "nothing left to write")
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
