package main

import (
	"strings"
	"testing"
)

func TestImagesUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"images", "1", "2"}, "usage:"},
		{[]string{"images", "99"}, "there is no step 99"},
		{[]string{"images", "x"}, `"x" is not a step number`},
	} {
		code, _, stderr := runWorkshop(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
