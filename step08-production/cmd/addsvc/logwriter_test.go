package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writes records every Write it gets, for a test to read while a
// flushingWriter writes to it.
type writes struct {
	mu     sync.Mutex
	chunks []string
	err    error // what Write returns
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunks = append(w.chunks, string(p))
	return len(p), w.err
}

func (w *writes) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.chunks, "")
}

func (w *writes) Chunks() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.chunks)
}

func TestFlushingWriterKeepsLinesUntilClose(t *testing.T) {
	var next writes
	w := newFlushingWriter(&next, time.Hour, 1<<10)
	for i := range 3 {
		_, err := fmt.Fprintf(w, "line %d\n", i)
		require.NoError(t, err)
	}
	assert.Empty(t, next.Chunks(), "kept until the period is over")
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"line 0\nline 1\nline 2\n"}, next.Chunks(), "out in one write")

	_, err := w.Write([]byte("after Close\n"))
	require.NoError(t, err)
	assert.Equal(t, "after Close\n", next.Chunks()[1], "straight out after Close")
}

func TestFlushingWriterWritesALineWithinThePeriod(t *testing.T) {
	const period = 50 * time.Millisecond
	var next writes
	w := newFlushingWriter(&next, period, 1<<10)
	defer w.Close()
	for i := range 3 { // the buffer empties each time: its timer starts again
		begin := time.Now()
		_, err := fmt.Fprintf(w, "line %d\n", i)
		require.NoError(t, err)
		require.Eventually(t, func() bool { return strings.HasSuffix(next.String(), fmt.Sprintf("line %d\n", i)) },
			time.Second, time.Millisecond)
		// Within the period; a busy machine may run the timer late, but
		// not by a second.
		assert.Less(t, time.Since(begin), period+time.Second)
		assert.GreaterOrEqual(t, time.Since(begin), period, "not written before the period is over")
	}
}

// TestFlushingWriterKeepsLinesWhole writes lines of many lengths from many
// goroutines into a small buffer: every line comes out whole, in a write of
// whole lines, and none is lost or doubled.
func TestFlushingWriterKeepsLinesWhole(t *testing.T) {
	const size = 100
	var next writes
	w := newFlushingWriter(&next, time.Millisecond, size)
	var want []string
	var wg sync.WaitGroup
	for g := range 8 {
		var lines []string
		for i := range 200 {
			// From 4 bytes to twice the buffer's size.
			lines = append(lines, fmt.Sprintf("g%d %d %s\n", g, i, strings.Repeat("x", (g*37+i*13)%(2*size))))
		}
		want = append(want, lines...)
		wg.Go(func() {
			for _, l := range lines {
				_, err := w.Write([]byte(l))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Close())

	for _, c := range next.Chunks() {
		require.True(t, strings.HasSuffix(c, "\n"), "a write ends with a whole line: %q", c)
		assert.True(t, len(c) <= size || strings.Count(c, "\n") == 1, "a write longer than the buffer holds one line: %q", c)
	}
	got := strings.SplitAfter(next.String(), "\n")
	got = got[:len(got)-1] // after the last "\n"
	slices.Sort(got)
	slices.Sort(want)
	assert.Equal(t, want, got)
}

func TestFlushingWriterReturnsTheWriteError(t *testing.T) {
	next := writes{err: errors.New("disk full")}
	w := newFlushingWriter(&next, time.Hour, 8)
	_, err := w.Write([]byte("12345\n"))
	require.NoError(t, err, "kept")
	_, err = w.Write([]byte("67890\n")) // the first goes out, and fails
	assert.ErrorContains(t, err, "disk full")
	assert.ErrorContains(t, w.Close(), "disk full", "the second goes out on Close, and fails")
	assert.Equal(t, "12345\n67890\n", next.String())
}

// BenchmarkLogWriter compares writing a log line straight to a file, as
// log.NewSyncWriter does, with the flushing writer.
func BenchmarkLogWriter(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 110)
	line[len(line)-1] = '\n'
	b.Run("direct", func(b *testing.B) {
		f, err := os.CreateTemp(b.TempDir(), "log")
		require.NoError(b, err)
		defer f.Close()
		for b.Loop() {
			_, _ = f.Write(line)
		}
	})
	b.Run("flushing", func(b *testing.B) {
		f, err := os.CreateTemp(b.TempDir(), "log")
		require.NoError(b, err)
		defer f.Close()
		w := newFlushingWriter(f, 100*time.Millisecond, 64<<10)
		for b.Loop() {
			_, _ = w.Write(line)
		}
		require.NoError(b, w.Close())
	})
}
