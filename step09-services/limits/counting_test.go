package limits

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-logfmt/logfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines decodes the logfmt lines in b.
func lines(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	var records []map[string]string
	dec := logfmt.NewDecoder(bytes.NewReader(b))
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

// byMsg is the kind of a line: its "msg", or "other". Counting's kinds come
// from the code that wires it; this one is a test's.
func byMsg(keyvals []any) string {
	for i := 0; i+1 < len(keyvals); i += 2 {
		if keyvals[i] == "msg" {
			if s, ok := keyvals[i+1].(string); ok && (s == "a" || s == "b") {
				return s
			}
		}
	}
	return "other"
}

func TestCountingWritesALineAPeriodOfEachKind(t *testing.T) {
	var buf bytes.Buffer
	c := NewCounting(log.NewLogfmtLogger(&buf), 50*time.Millisecond, byMsg)
	for range 5 {
		c.Log("msg", "a", "n", 1)
		c.Log("msg", "b")
	}
	assert.Equal(t, "msg=a n=1\nmsg=b\n", buf.String(), "the first of each kind, at once")

	time.Sleep(60 * time.Millisecond)
	c.Log("msg", "a", "n", 2)
	assert.Equal(t, "msg=a n=2 more=4", strings.Split(buf.String(), "\n")[2], "after the period, the next line and the count of those left out")

	c.Flush()
	got := lines(t, buf.Bytes())
	require.Len(t, got, 4)
	assert.Equal(t, map[string]string{"msg": "b", "more": "3"}, got[3], "Flush writes the last line left out of b, and the count of the others")
	c.Flush()
	assert.Len(t, lines(t, buf.Bytes()), 4, "nothing left to flush")
}

func TestCountingKindsAreNotTheCallers(t *testing.T) {
	// Lines whose text a caller chooses (a port, a path, a number) are of
	// one kind when the wiring says so: a flood of them writes one line.
	var buf bytes.Buffer
	c := NewCounting(log.NewLogfmtLogger(&buf), time.Hour, byMsg)
	for i := range 1000 {
		c.Log("msg", "dial tcp 127.0.0.1:"+strings.Repeat("9", i%5+1)+": connection refused")
	}
	c.Flush()
	got := lines(t, buf.Bytes())
	require.Len(t, got, 2, "the first line, and then the last with the count of the 998 between")
	assert.Equal(t, "998", got[1]["more"])
}

func TestCountingIsSafeForConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	total := 0
	count := log.LoggerFunc(func(keyvals ...any) error {
		mu.Lock()
		defer mu.Unlock()
		total++
		if len(keyvals)%2 == 0 && len(keyvals) > 2 && keyvals[len(keyvals)-2] == "more" {
			total += keyvals[len(keyvals)-1].(int)
		}
		return nil
	})
	c := NewCounting(count, time.Millisecond, byMsg)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				c.Log("msg", "a")
			}
		})
	}
	wg.Wait()
	c.Flush()
	assert.Equal(t, 4000, total, "every line written or counted, once")
}

// BenchmarkCounting counts a line of a kind already written, as in a flood
// of refusals: the line is counted, not written.
func BenchmarkCounting(b *testing.B) {
	c := NewCounting(log.NewNopLogger(), time.Hour, byMsg)
	defer c.Flush()
	b.ReportAllocs()
	for b.Loop() {
		c.Log("msg", "a", "transport", "HTTP")
	}
}
