package exercise

import (
	"strings"
	"testing"
)

func TestCutFile(t *testing.T) {
	panicStub := func(Region) []string { return []string{`panic("exercise 2.1")`} }
	tests := []struct {
		name    string
		src     string
		stub    func(Region) []string
		want    string
		wantErr string
	}{
		{
			name: "an import used only in the region goes",
			src: `package p

import (
	"fmt"
	"strings"
)

func f(s string) string {
	// exercise 2.1 begin
	fmt.Println(s)
	// exercise 2.1 end
	return strings.ToUpper(s)
}
`,
			stub: panicStub,
			want: `package p

import (
	"strings"
)

func f(s string) string {
	// exercise 2.1 begin
	panic("exercise 2.1")
	// exercise 2.1 end
	return strings.ToUpper(s)
}
`,
		},
		{
			name: "a lone import goes with its declaration, and a stub of several lines is indented",
			src: `package p

import "fmt"

func f(x int) {
	if x > 0 {
		// exercise 2.1 begin
		fmt.Println(x)
		// exercise 2.1 end
	}
}
`,
			stub: func(Region) []string { return []string{"// TODO: print x", "", "_ = x"} },
			want: `package p

func f(x int) {
	if x > 0 {
		// exercise 2.1 begin
		// TODO: print x

		_ = x
		// exercise 2.1 end
	}
}
`,
		},
		{
			name: "the last import of a group goes with the blank line before it",
			src: `package p

import (
	"fmt"

	"example.com/go-yaml"
)

func f() {
	fmt.Println()
	// exercise 2.1 begin
	yaml.Marshal(nil)
	// exercise 2.1 end
}
`,
			stub: panicStub,
			want: `package p

import (
	"fmt"
)

func f() {
	fmt.Println()
	// exercise 2.1 begin
	panic("exercise 2.1")
	// exercise 2.1 end
}
`,
		},
		{
			name: "named, versioned, blank and dot imports",
			src: `package p

import (
	_ "embed"
	. "strings"

	kitlog "github.com/go-kit/log"
	"gopkg.in/yaml.v3"
	"github.com/jackc/pgx/v5"
)

func f() {
	_ = ToUpper
	// exercise 2.1 begin
	kitlog.NewNopLogger()
	yaml.Marshal(nil)
	pgx.Connect(nil, "")
	// exercise 2.1 end
}
`,
			stub: panicStub,
			want: `package p

import (
	_ "embed"
	. "strings"
)

func f() {
	_ = ToUpper
	// exercise 2.1 begin
	panic("exercise 2.1")
	// exercise 2.1 end
}
`,
		},
		{
			name: "a package whose name its path does not give",
			src: `package p

import "example.com/lib"

func f() {
	// exercise 2.1 begin
	other.Do()
	// exercise 2.1 end
}
`,
			stub:    panicStub,
			wantErr: `f.go: cannot tell the name of the package "example.com/lib" (guessed "lib", which the file does not use): give its import an explicit name`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regions, err := ParseRegions("f.go", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got, err := cutFile("f.go", []byte(tt.src), regions, tt.stub)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestAssumedName(t *testing.T) {
	tests := map[string]string{
		"fmt":                                    "fmt",
		"net/http":                               "http",
		"github.com/go-kit/log":                  "log",
		"github.com/openzipkin/zipkin-go":        "zipkin",
		"github.com/go-kit/kit/transport/http":   "http",
		"github.com/sony/gobreaker":              "gobreaker",
		"gopkg.in/yaml.v3":                       "yaml",
		"github.com/jackc/pgx/v5":                "pgx",
		"github.com/mattn/go-sqlite3":            "sqlite3",
		"google.golang.org/grpc":                 "grpc",
		"github.com/prometheus/client_golang/v2": "client_golang",
	}
	for path, want := range tests {
		if got := assumedName(path); got != want {
			t.Errorf("assumedName(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestRestoreRegionsAndAddImports(t *testing.T) {
	ref := `package p

import (
	"fmt"
	"strings"
)

func f(s string) string {
	// exercise 2.1 begin
	fmt.Println(s)
	// exercise 2.1 end
	return strings.ToUpper(s)
}
`
	mine := `package p

import (
	"strings"
)

func f(s string) string {
		// exercise 2.1 begin
		println("mine")
		// exercise 2.1 end
	return strings.ToUpper(s) + "!"
}
`
	refRegions, err := ParseRegions("f.go", []byte(ref))
	if err != nil {
		t.Fatal(err)
	}
	myRegions, err := ParseRegions("f.go", []byte(mine))
	if err != nil {
		t.Fatal(err)
	}
	restored := restoreRegions([]byte(mine), myRegions, []byte(ref), refRegions)
	got, err := addImports(restored, []byte(ref))
	if err != nil {
		t.Fatal(err)
	}
	want := `package p

import (
	"fmt"
	"strings"
)

func f(s string) string {
		// exercise 2.1 begin
		fmt.Println(s)
		// exercise 2.1 end
	return strings.ToUpper(s) + "!"
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
