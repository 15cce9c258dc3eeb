package main

import (
	"strings"
	"testing"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

func TestCheckServiceFlags(t *testing.T) {
	s := repo.Step{Number: 1, Dir: "step01-naive"}
	for _, tc := range []struct {
		makelevel string
		flags     []string
		want      string // in the error; "" for none
	}{
		{"", nil, ""},
		{"", []string{"-http-addr", "127.0.0.1:9000"}, ""},
		{"1", []string{"-http-addr", "127.0.0.1:9000"}, ""},
		// make step 1 FLAGS=-http-addr 127.0.0.1:9000
		{"1", []string{"127.0.0.1:9000", "-http-addr"}, `make step 1 FLAGS="-http-addr 127.0.0.1:9000"`},
		// make step 1 2
		{"1", []string{"2"}, `"2" is not a flag of the service: make step runs one step`},
		{"", []string{"127.0.0.1:9000"}, "go run ./tools/cmd/workshop step 1 -http-addr 127.0.0.1:9000"},
	} {
		t.Setenv("MAKELEVEL", tc.makelevel)
		err := checkServiceFlags(s, tc.flags)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("MAKELEVEL=%q %q: %v", tc.makelevel, tc.flags, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("MAKELEVEL=%q %q: error %v, want one with %q", tc.makelevel, tc.flags, err, tc.want)
		}
		if _, ok := err.(usageError); err != nil && !ok {
			t.Errorf("MAKELEVEL=%q %q: %T is not a usageError", tc.makelevel, tc.flags, err)
		}
	}
}
