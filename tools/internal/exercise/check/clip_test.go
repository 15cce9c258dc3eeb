package check

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	if got := clip("short"); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
	long := strings.Repeat("é", 10_000) // 20,000 bytes
	got := clip(long)
	if len(got) > maxShown+30 || !strings.HasSuffix(got, "… (20000 bytes in all)") || !strings.HasPrefix(got, "éé") {
		t.Errorf("clip of 20,000 bytes = %q", got)
	}
	if !strings.Contains(clipArgs([]string{"concat", long, "x"}), "concat éé") {
		t.Errorf("clipArgs: %q", clipArgs([]string{"concat", long, "x"}))
	}
}
