package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadOptionsExample(t *testing.T) {
	w, _, _ := fakeRepo(t, map[string]string{
		"go.work":               "go 1.26\n",
		"step01-naive/go.mod":   "module x\n",
		"step07-tracing/go.mod": "module y\n",
	})
	for _, tc := range []struct {
		name, cmd, env string
		args           []string
		example        string // want, made absolute from the working directory; "" for none
		steps          []int
		short          bool
		err            string // in the error; "" for none
	}{
		{name: "none", cmd: "load", args: []string{"1", "7"}, steps: []int{1, 7}},
		{name: "flag", cmd: "load", args: []string{"-example", "/tmp/gokit/addsvc", "1"}, example: "/tmp/gokit/addsvc", steps: []int{1}},
		{name: "flag=", cmd: "load", args: []string{"-short", "-example=/tmp/gokit/addsvc"}, example: "/tmp/gokit/addsvc", short: true},
		{name: "relative", cmd: "load", args: []string{"-example", "bin/addsvc"}, example: "bin/addsvc"},
		{name: "EXAMPLE=", cmd: "load", env: "/opt/addsvc", args: []string{"7"}, example: "/opt/addsvc", steps: []int{7}},
		{name: "the flag over EXAMPLE=", cmd: "load", env: "/opt/addsvc", args: []string{"-example", "/tmp/addsvc"}, example: "/tmp/addsvc"},
		{name: "no path", cmd: "load", args: []string{"-example"}, err: "flag needs an argument: -example"},
		{name: "bench has none", cmd: "bench", args: []string{"-example", "/tmp/addsvc"}, err: "flag provided but not defined: -example"},
		{name: "bench ignores EXAMPLE=", cmd: "bench", env: "/opt/addsvc", args: []string{"1"}, steps: []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EXAMPLE", tc.env)
			t.Setenv("SHORT", "")
			opts, err := loadOptions(w, tc.cmd, tc.args)
			if tc.err != "" {
				if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%q: error %v; want a usage error with %q", tc.args, err, tc.err)
				}
				// The usage names -example PATH, or EXAMPLE=PATH when it runs under
				// make (as make test runs this test), which suggests the make form.
				if tc.cmd == "load" && !strings.Contains(err.Error(), "-example PATH") && !strings.Contains(err.Error(), "EXAMPLE=PATH") {
					t.Errorf("%q: %v; want the usage with -example PATH", tc.args, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v", tc.args, err)
			}
			want := tc.example
			if want != "" {
				if want, err = filepath.Abs(want); err != nil {
					t.Fatal(err)
				}
			}
			if opts.Example != want || opts.Short != tc.short || !slices.Equal(opts.Steps, tc.steps) {
				t.Errorf("%q: example %q, short %v, steps %v; want %q, %v, %v",
					tc.args, opts.Example, opts.Short, opts.Steps, want, tc.short, tc.steps)
			}
		})
	}
}
