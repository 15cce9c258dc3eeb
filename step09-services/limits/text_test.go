package limits

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	assert.Equal(t, `"\x1b[31mred"`, Quote("\x1b[31mred", 100))
	assert.Equal(t, `"ab…(5 bytes)"`, Quote("abcde", 2))
	assert.Equal(t, `"日…(6 bytes)"`, Quote("日本", 4), "cut between two characters")
	assert.Equal(t, `line\nbreak \xff`, Escape("line\nbreak \xff", 100))
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestBoundedCutsWhatACallerMakesLong(t *testing.T) {
	var buf bytes.Buffer
	logger := Bounded(log.NewLogfmtLogger(&buf), 8)
	long := strings.Repeat("x", 1<<20)
	require.NoError(t, logger.Log("a", long, "err", errors.New(long), "s", stringer(long), "n", 123456789012, "short", "ok\x1b"))
	got := lines(t, buf.Bytes())
	require.Len(t, got, 1)
	for _, k := range []string{"a", "err", "s"} {
		assert.Equal(t, "xxxxxxxx…(1048576 bytes)", got[0][k], k)
	}
	assert.Equal(t, "123456789012", got[0]["n"], "numbers are not the caller's length")
	assert.Equal(t, "ok\x1b", got[0]["short"])
	assert.Less(t, buf.Len(), 200)
	assert.NotContains(t, buf.String(), "\x1b", "logfmt escapes what is left")
}
