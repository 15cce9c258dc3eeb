package main

import (
	"io"
	"sync"
	"time"
)

// The log's buffer: lines wait at most logFlushPeriod to be written, and
// logBufferSize bytes of them at most.
const (
	logFlushPeriod = 100 * time.Millisecond
	logBufferSize  = 64 << 10
)

// flushingWriter is the log's writer: rather than one system call for each
// line, it keeps the lines in a buffer and writes them out together, within
// period of the first one, when the buffer is full, and on Close. A line
// (one Write) is never cut: it goes out whole, in one Write of next. Its
// methods are safe for concurrent use: it takes log.NewSyncWriter's place.
//
// A line can wait up to period to be seen, and is lost if the process dies
// (a panic, SIGKILL) before then; run closes it on its way out.
type flushingWriter struct {
	next   io.Writer
	period time.Duration
	size   int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // flushes the buffer once period is over; running while it holds lines
	err    error       // of the last write to next, for the next Write to return
	closed bool        // after Close, lines go straight to next
}

// newFlushingWriter returns a flushingWriter to next that holds at most size
// bytes, and no line for longer than period.
func newFlushingWriter(next io.Writer, period time.Duration, size int) *flushingWriter {
	w := &flushingWriter{next: next, period: period, size: size, buf: make([]byte, 0, size)}
	w.timer = time.AfterFunc(period, w.flushDue)
	w.timer.Stop()
	return w
}

// Write keeps p, one line, to write later with the others. It returns the
// error of the last write to next, if it failed.
func (w *flushingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.next.Write(p)
	}
	if len(w.buf)+len(p) > w.size {
		w.flushLocked()
		if len(p) > w.size { // too long to keep: out at once, whole
			_, err := w.next.Write(p)
			return len(p), err
		}
	}
	if len(w.buf) == 0 {
		w.timer.Reset(w.period)
	}
	w.buf = append(w.buf, p...)
	err := w.err
	w.err = nil
	return len(p), err
}

// flushDue writes out the lines whose period is over.
func (w *flushingWriter) flushDue() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
}

// flushLocked writes out every line kept, with w.mu held.
func (w *flushingWriter) flushLocked() {
	w.timer.Stop()
	if len(w.buf) == 0 {
		return
	}
	if _, err := w.next.Write(w.buf); err != nil {
		w.err = err
	}
	w.buf = w.buf[:0]
}

// Close writes out every line kept; lines written after it go straight to
// next. It returns the error of the last write to next, if it failed.
func (w *flushingWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	w.closed = true
	err := w.err
	w.err = nil
	return err
}
