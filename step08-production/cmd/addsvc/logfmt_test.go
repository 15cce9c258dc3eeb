package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logfmtCases are lines to log through go-kit's logfmt logger and through
// logfmtLogger, which must write the same bytes and return the same error:
// every kind of key and value that logfmtLogger writes itself, and the ones
// it hands to go-logfmt.
var logfmtCases = []struct {
	name    string
	keyvals []any
}{
	{"no pairs", nil},
	{"the service's line", []any{"ts", time.Date(2026, 11, 27, 17, 0, 0, 123456789, time.UTC), "caller", "middleware.go:37",
		"layer", "service", "method", "Sum", "a", 1, "b", -2, "v", -1, "err", nil, "took", 1234 * time.Nanosecond}},
	{"the timestamp", []any{"ts", log.DefaultTimestampUTC(), "ts2", log.DefaultTimestamp()}},
	{"a key without a value", []any{"a", 1, "lonely"}},
	{"empty string", []any{"a", "", "b", "x"}},
	{"the string null", []any{"a", "null", "b", []byte("null")}},
	{"strings to quote", []any{"space", "a b", "eq", "a=b", "quote", `a"b`, "tab", "a\tb", "nl", "a\nb", "ctrl", "\x01", "del", "\x7f"}},
	{"unicode", []any{"plain", "héllo→", "nbsp", "a\u00a0b", "nel", "a\u0085b", "fffd", "a\ufffdb", "invalid", "a\xffb", "cut", "\xe2\x82"}},
	{"keys to clean up", []any{"a b", 1, "x=y", 2, `q"`, 3, "é", 4, "k\ufffd", 5, "k\xff", 6}},
	{"integers", []any{"int", math.MinInt, "i64", int64(math.MaxInt64), "i32", int32(-7), "i8", int8(-8), "u", uint(9), "u64", uint64(math.MaxUint64), "u8", uint8(255), "uptr", uintptr(10)}},
	{"booleans", []any{"t", true, "f", false}},
	{"durations", []any{"zero", time.Duration(0), "ns", 7 * time.Nanosecond, "us", 1500 * time.Nanosecond, "neg", -3 * time.Second, "long", 90 * time.Minute}},
	{"floats", []any{"f", 1.5, "big", 1e21, "small", 1e-7, "f32", float32(0.1), "nan", math.NaN(), "inf", math.Inf(-1)}},
	{"errors", []any{"err", errors.New("rate limit exceeded"), "plain", errors.New("oops"), "empty", errors.New(""), "null", errors.New("null")}},
	{"a nil error pointer", []any{"err", (*net.OpError)(nil)}},
	{"stringers", []any{"addr", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "nilptr", (*net.TCPAddr)(nil)}},
	{"text marshalers", []any{"ip", net.IPv4(127, 0, 0, 1), "nil", net.IP(nil), "bad", badText{}, "quoted", quotedText{}, "nilptr", (*quotedText)(nil)}},
	{"pointers", []any{"p", ptr(5), "s", ptr("a b"), "nil", (*int)(nil)}},
	{"unsupported values", []any{"struct", struct{ A int }{1}, "map", map[string]int{"a": 1}, "slice", []int{1}, "func", func() {}}},
	{"unsupported keys skipped", []any{[]int{1}, "x", "b", 2, struct{}{}, 3}},
	{"keys of other types", []any{1, "one", true, "t", time.Second, "d", []byte("bk"), "bytes", ptr("pk"), "p", net.IPv4(1, 2, 3, 4), "ip"}},
	{"the first pair skipped", []any{map[int]int{}, 1, "a", 2}},
}

// logfmtErrorCases are lines that both loggers refuse: nothing is written.
var logfmtErrorCases = []struct {
	name    string
	keyvals []any
}{
	{"a nil key", []any{"a", 1, nil, 2}},
	{"an empty key", []any{"a", 1, "", 2}},
	{"a key with nothing left once cleaned up", []any{"a", 1, " =\"", 2}},
	{"a nil pointer key", []any{(*int)(nil), 2}},
	{"an empty []byte key", []any{[]byte{}, 2}},
	{"a key of invalid UTF-8 only", []any{"\xff\xfe", 2}},
	{"a text marshaler that panics", []any{"a", 1, "t", panicText{}}},
}

func ptr[T any](v T) *T { return &v }

// badText fails to marshal itself.
type badText struct{}

func (badText) MarshalText() ([]byte, error) { return nil, errors.New("no text") }

// quotedText marshals to a text that needs quotes.
type quotedText struct{}

func (*quotedText) MarshalText() ([]byte, error) { return []byte(`say "hi"`), nil }

// panicText panics when marshalled.
type panicText struct{}

func (panicText) MarshalText() ([]byte, error) { panic("boom") }

func TestLogfmtLoggerWritesWhatGoKitsWrites(t *testing.T) {
	for _, c := range logfmtCases {
		t.Run(c.name, func(t *testing.T) {
			theirs, ours := logBoth(t, c.keyvals)
			require.NoError(t, theirs.err)
			require.NoError(t, ours.err)
			assert.Equal(t, theirs.out, ours.out)
			assert.Equal(t, 1, ours.writes, "one Write a line")
		})
	}
	t.Run("the service's line is written by logfmtLogger itself", func(t *testing.T) {
		_, ours := logBoth(t, logfmtCases[1].keyvals)
		assert.Equal(t, "ts=2026-11-27T17:00:00.123456789Z caller=middleware.go:37 layer=service method=Sum a=1 b=-2 v=-1 err=null took=1.234µs\n", ours.out)
	})
}

func TestLogfmtLoggerRefusesWhatGoKitsRefuses(t *testing.T) {
	for _, c := range logfmtErrorCases {
		t.Run(c.name, func(t *testing.T) {
			theirs, ours := logBoth(t, c.keyvals)
			require.Error(t, theirs.err)
			assert.Equal(t, theirs.err, ours.err)
			assert.Empty(t, ours.out)
			assert.Zero(t, ours.writes)
		})
	}
}

// TestLogfmtLoggerCallsAMarshalerOnce: a marshaler whose text changes from
// call to call, or that panics once, comes out as go-kit's logger writes it,
// which calls it once.
func TestLogfmtLoggerCallsAMarshalerOnce(t *testing.T) {
	for _, c := range []struct {
		name  string
		texts []string // "panic" panics
	}{
		{"quoted, then plain", []string{"a b", "x"}},
		{"plain, then quoted", []string{"x", "a b"}},
		{"panics once", []string{"panic", "ok"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var theirs, ours countingBuffer
			theirsErr := log.NewLogfmtLogger(&theirs).Log("f", &changingText{texts: c.texts})
			oursErr := newLogfmtLogger(&ours).Log("f", &changingText{texts: c.texts})
			assert.Equal(t, theirsErr, oursErr)
			assert.Equal(t, theirs.String(), ours.String())
		})
	}
}

// changingText marshals to its next text each time.
type changingText struct {
	texts []string
	calls int
}

func (c *changingText) MarshalText() ([]byte, error) {
	text := c.texts[min(c.calls, len(c.texts)-1)]
	c.calls++
	if text == "panic" {
		panic("once")
	}
	return []byte(text), nil
}

// TestLogfmtLoggerReturnsTheWritersError: a failed write is the caller's to
// see, as with go-kit's logger.
func TestLogfmtLoggerReturnsTheWritersError(t *testing.T) {
	err := newLogfmtLogger(failingWriter{}).Log("a", 1)
	assert.EqualError(t, err, "disk full")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestLogfmtLoggerIsSafeForConcurrentUse logs from many goroutines at once
// (under -race): every line comes out whole.
func TestLogfmtLoggerIsSafeForConcurrentUse(t *testing.T) {
	var out logBuffer
	logger := newLogfmtLogger(&out)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				_ = logger.Log("g", g, "i", i, "s", fmt.Sprint("x y", i))
			}
		}()
	}
	for range 8 {
		<-done
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 8*200)
	for _, l := range lines {
		assert.Regexp(t, `^g=\d i=\d+ s="x y\d+"$`, l)
	}
}

// FuzzLogfmtLogger logs a pair of each kind with the fuzzer's keys and
// values through both loggers.
func FuzzLogfmtLogger(f *testing.F) {
	f.Add("k", "v", int64(1), []byte("t"))
	f.Add("a b", "null", int64(-1), []byte("x y"))
	f.Add("\xff", "\ufffd", int64(math.MinInt64), []byte(nil))
	f.Fuzz(func(t *testing.T, k, v string, i int64, b []byte) {
		theirs, ours := logBoth(t, []any{k, v, "i", i, k, i, "d", time.Duration(i), "t", rawText(b), k, rawText(b), v, k})
		assert.Equal(t, theirs.err, ours.err)
		assert.Equal(t, theirs.out, ours.out)
	})
}

// rawText marshals to itself.
type rawText []byte

func (r rawText) MarshalText() ([]byte, error) { return r, nil }

// logged is what a logger wrote for one Log call.
type logged struct {
	out    string
	writes int
	err    error
}

// logBoth logs keyvals through go-kit's logfmt logger and logfmtLogger.
func logBoth(t testing.TB, keyvals []any) (theirs, ours logged) {
	t.Helper()
	var a, b countingBuffer
	theirs.err = log.NewLogfmtLogger(&a).Log(keyvals...)
	ours.err = newLogfmtLogger(&b).Log(keyvals...)
	return logged{a.String(), a.writes, theirs.err}, logged{b.String(), b.writes, ours.err}
}

// countingBuffer counts its writes.
type countingBuffer struct {
	bytes.Buffer
	writes int
}

func (b *countingBuffer) Write(p []byte) (int, error) {
	b.writes++
	return b.Buffer.Write(p)
}

// BenchmarkLogfmtLogger writes the service's line, with its context and
// caller as the service binds them, through go-kit's logfmt logger and
// through logfmtLogger, to a writer that drops it.
func BenchmarkLogfmtLogger(b *testing.B) {
	for _, c := range []struct {
		name   string
		logger log.Logger
	}{
		{"go-kit", log.NewLogfmtLogger(io.Discard)},
		{"logfmtLogger", newLogfmtLogger(io.Discard)},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := log.With(c.logger, "ts", log.DefaultTimestampUTC, "caller", cachedCaller(3))
			l = log.With(l, "layer", "service")
			b.ReportAllocs()
			for b.Loop() {
				_ = l.Log("method", "Sum", "a", 1, "b", 2, "v", 3, "err", nil, "took", 1234*time.Nanosecond)
			}
		})
	}
}
