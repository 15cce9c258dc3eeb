package main

import (
	"bytes"
	"encoding"
	"io"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-kit/log"
	"github.com/go-logfmt/logfmt"
)

// logfmtLogger is a log.Logger that writes what go-kit's
// log.NewLogfmtLogger writes, byte for byte, with one Write a line, for
// less. go-kit's encoder (go-logfmt) writes each pair through two buffers,
// checks every key and value rune by rune through a function value, and
// formats integers with fmt.Sprint after a look at their type through
// reflect. This one appends the pairs that the service logs on every
// request straight to one buffer: keys and values of type string that need
// no quotes, integers, booleans, nil, time.Duration, and go-kit's
// timestamps. It hands every other pair to go-logfmt, which writes it as
// go-kit's logger does: values to quote, errors, floats, other marshalers,
// keys to clean up or skip, panics.
type logfmtLogger struct {
	w     io.Writer
	lines sync.Pool // of *logfmtLine
}

// logfmtLine is one line being written: buf holds it, and go-logfmt's enc
// writes the pairs it is handed to slow. timestamp is the type of go-kit's
// timestamps (log.DefaultTimestampUTC's values).
type logfmtLine struct {
	buf       []byte
	slow      bytes.Buffer
	enc       *logfmt.Encoder
	timestamp reflect.Type
}

// newLogfmtLogger returns a logger that writes logfmt lines to w, one Write
// a line, as log.NewLogfmtLogger(w) does. w must be safe for concurrent use
// if the logger is.
func newLogfmtLogger(w io.Writer) log.Logger {
	l := &logfmtLogger{w: w}
	timestamp := reflect.TypeOf(log.DefaultTimestampUTC())
	l.lines.New = func() any {
		line := &logfmtLine{buf: make([]byte, 0, 256), timestamp: timestamp}
		line.enc = logfmt.NewEncoder(&line.slow)
		return line
	}
	return l
}

// Log writes keyvals as one line. Like go-kit's logger, it writes nothing
// and returns go-logfmt's error if a key is nil or empty once cleaned up.
func (l *logfmtLogger) Log(keyvals ...any) error {
	line := l.lines.Get().(*logfmtLine)
	defer l.lines.Put(line)
	line.buf = line.buf[:0]
	for i := 0; i < len(keyvals); i += 2 {
		var v any // a key without a value: go-logfmt writes it with null
		if i+1 < len(keyvals) {
			v = keyvals[i+1]
		}
		if err := line.append(keyvals[i], v); err != nil {
			return err
		}
	}
	line.buf = append(line.buf, '\n')
	_, err := l.w.Write(line.buf)
	return err
}

// append appends the pair k=v to the line, with a space before it unless it
// is the first. A pair written is never empty: its key is not.
func (line *logfmtLine) append(k, v any) error {
	key, ok := k.(string)
	if ok && key != "" && plain(key) {
		mark := len(line.buf)
		if mark > 0 {
			line.buf = append(line.buf, ' ')
		}
		line.buf = append(line.buf, key...)
		line.buf = append(line.buf, '=')
		if line.appendValue(v) {
			return nil
		}
		line.buf = line.buf[:mark]
	}
	// Every other pair, as go-logfmt writes it: EncodeKeyvals skips a key
	// it can't write, and writes the error of a value it can't instead.
	line.slow.Reset()
	line.enc.Reset()
	if err := line.enc.EncodeKeyvals(k, v); err != nil {
		return err
	}
	if line.slow.Len() > 0 {
		if len(line.buf) > 0 {
			line.buf = append(line.buf, ' ')
		}
		line.buf = append(line.buf, line.slow.Bytes()...)
	}
	return nil
}

// appendValue appends v as go-logfmt writes it, and reports whether it
// could: false leaves the line to be cut back, and v to go-logfmt.
func (line *logfmtLine) appendValue(v any) bool {
	switch v := v.(type) {
	case nil:
		line.buf = append(line.buf, "null"...)
	case string:
		// go-logfmt quotes a string "null", to tell it from nil.
		if v == "null" || !plain(v) {
			return false
		}
		line.buf = append(line.buf, v...)
	case int:
		line.buf = strconv.AppendInt(line.buf, int64(v), 10)
	case int64:
		line.buf = strconv.AppendInt(line.buf, v, 10)
	case int32:
		line.buf = strconv.AppendInt(line.buf, int64(v), 10)
	case uint64:
		line.buf = strconv.AppendUint(line.buf, v, 10)
	case bool:
		line.buf = strconv.AppendBool(line.buf, v)
	case time.Duration:
		line.buf = append(line.buf, v.String()...) // never quoted: digits, a dot, units
	case encoding.TextMarshaler:
		// go-kit's timestamps only: one is on every line, and their text
		// can't fail. go-logfmt calls any other marshaler itself, once.
		if reflect.TypeOf(v) != line.timestamp {
			return false
		}
		text, err := v.MarshalText()
		if err != nil {
			return false
		}
		for _, r := range string(text) { // no copy: a range over a conversion
			if !plainRune(r) {
				return false
			}
		}
		line.buf = append(line.buf, text...)
	default:
		return false
	}
	return true
}

// plain reports whether go-logfmt writes s as it is, both as a key and as a
// value (but for "null"): whether each of its runes is plain.
func plain(s string) bool {
	for _, r := range s {
		if !plainRune(r) {
			return false
		}
	}
	return true
}

// plainRune reports whether go-logfmt writes r as it is: whether it is no
// space, control character, = or ", nor utf8.RuneError, which stands for
// invalid UTF-8 (and for U+FFFD itself, which go-logfmt quotes as well).
func plainRune(r rune) bool {
	return r > ' ' && r != '=' && r != '"' && r != utf8.RuneError
}
