package docscheck

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	readme := strings.Join([]string{
		"# Title",             // 1
		"",                    // 2
		"```sh",               // 3
		"$ make step 1",       // 4: not a console block
		"```",                 // 5
		"```console",          // 6
		"$ echo a",            // 7
		"a",                   // 8
		"$ true",              // 9
		"$ printf 'b\\nc\\n'", // 10
		"b",                   // 11
		"c",                   // 12
		"```",                 // 13
		"<!-- docs-check: restart -rate-limit 1 -->", // 14
		"1. In a list:",             // 15
		"   ```console",             // 16
		"   $ echo indented",        // 17
		"   indented",               // 18
		"",                          // 19: an empty output line
		"   ```",                    // 20
		"<!--docs-check:restart-->", // 21
		"```console\r",              // 22
		"$ echo crlf\r",             // 23
		"crlf\r",                    // 24
		"```",                       // 25
	}, "\n")
	got, err := Parse(strings.NewReader(readme))
	if err != nil {
		t.Fatal(err)
	}
	want := []Case{
		{Line: 7, Command: "echo a", Want: "a\n"},
		{Line: 9, Command: "true"},
		{Line: 10, Command: `printf 'b\nc\n'`, Want: "b\nc\n"},
		{Line: 14, Restart: true, Flags: []string{"-rate-limit", "1"}},
		{Line: 17, Command: "echo indented", Want: "indented\n\n"},
		{Line: 21, Restart: true, Flags: []string{}},
		{Line: 23, Command: "echo crlf", Want: "crlf\n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %#v\nwant %#v", got, want)
	}
	if n := Commands(got); n != 5 {
		t.Errorf("Commands = %d, want 5", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, readme, want string
	}{
		{"output before a command", "```console\noutput\n$ echo\n```\n", "2: an output line before"},
		{"unclosed block", "text\n```console\n$ echo\n", "2: the ```console block is not closed"},
		{"unknown directive", "<!-- docs-check: skip -->\n", "1: unknown docs-check directive"},
		{"empty directive", "<!-- docs-check: -->\n", "1: unknown docs-check directive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.readme))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one starting with %q", err, tc.want)
			}
		})
	}
}
