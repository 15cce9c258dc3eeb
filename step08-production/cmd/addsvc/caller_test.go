package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCachedCallerWritesWhatDefaultCallerWrites logs from the same line
// through two loggers, one with log.DefaultCaller and one with
// cachedCaller(3), in the ways the service logs: directly, through
// log.With, from a function that is inlined and from one that is not, and
// twice from the same place, the second time from the cache.
func TestCachedCallerWritesWhatDefaultCallerWrites(t *testing.T) {
	var theirs, ours bytes.Buffer
	kit := log.With(log.NewLogfmtLogger(&theirs), "caller", log.DefaultCaller)
	cached := log.With(log.NewLogfmtLogger(&ours), "caller", cachedCaller(3))
	withLayer := func(l log.Logger) log.Logger { return log.With(log.With(l, "layer", "a"), "b", 1) }

	for range 2 {
		// Each pair of calls is on one line: their callers must be the same.
		both(kit.Log("via", "direct"), cached.Log("via", "direct"))
		both(withLayer(kit).Log("via", "With"), withLayer(cached).Log("via", "With"))
		both(logInlined(kit), logInlined(cached))
		both(logNotInlined(kit), logNotInlined(cached))
		both(newCountingLogger(kit, 0).Log("via", "counting"), newCountingLogger(cached, 0).Log("via", "counting"))
	}

	require.Equal(t, 10, bytes.Count(theirs.Bytes(), []byte("\n")))
	assert.Equal(t, theirs.String(), ours.String())
	assert.Regexp(t, regexp.MustCompile(`^caller=caller_test\.go:\d+ via=direct\n`), ours.String())
	assert.Contains(t, ours.String(), "caller=counting.go:") // the counting logger calls next itself
}

// both takes the errors of two calls on one line.
func both(error, error) {}

// logInlined is small enough to be inlined.
func logInlined(l log.Logger) error { return l.Log("via", "inlined") }

//go:noinline
func logNotInlined(l log.Logger) error { return l.Log("via", "not inlined") }

// BenchmarkCaller compares the two valuers, through a logger that writes
// nowhere.
func BenchmarkCaller(b *testing.B) {
	for _, c := range []struct {
		name   string
		valuer log.Valuer
	}{
		{"DefaultCaller", log.DefaultCaller},
		{"cachedCaller", cachedCaller(3)},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := log.With(log.NewNopLogger(), "caller", c.valuer)
			b.ReportAllocs()
			for b.Loop() {
				_ = l.Log("k", "v")
			}
		})
	}
}
