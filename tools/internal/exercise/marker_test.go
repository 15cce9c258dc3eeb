package exercise

import (
	"strings"
	"testing"
)

// goFile wraps body in a file of package p with one function f.
func goFile(body string) string {
	return "package p\n\nimport \"fmt\"\n\nfunc f(x int) {\n" + body + "}\n"
}

func TestParseRegions(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []Region // File is "f.go"
		wantErr string   // a part of the error, if one is expected
	}{
		{
			name: "one region",
			src: goFile(`	// exercise 2.1 begin
	fmt.Println(x)
	// exercise 2.1 end
`),
			want: []Region{{ID: "2.1", BeginLine: 6, EndLine: 8, Indent: "\t"}},
		},
		{
			name: "two regions share an ID, one in a nested block",
			src: goFile(`	// exercise 2.1 begin
	fmt.Println(x)
	// exercise 2.1 end
	if x > 0 {
		// exercise 2.1 begin
		fmt.Println(-x)
		fmt.Println(x)
		// exercise 2.1 end
	}
`),
			want: []Region{
				{ID: "2.1", BeginLine: 6, EndLine: 8, Indent: "\t"},
				{ID: "2.1", BeginLine: 10, EndLine: 13, Indent: "\t\t"},
			},
		},
		{
			name: "the end of a case, before the next case",
			src: goFile(`	switch x {
	case 1:
		fmt.Println(1)
		// exercise 3.2 begin
		fmt.Println(x)
		// exercise 3.2 end

	case 2:
		// exercise 3.10 begin
		fmt.Println(2)
		// exercise 3.10 end
	}
`),
			want: []Region{
				{ID: "3.2", BeginLine: 9, EndLine: 11, Indent: "\t\t"},
				{ID: "3.10", BeginLine: 14, EndLine: 16, Indent: "\t\t"},
			},
		},
		{
			name: "inside a function literal",
			src: goFile(`	go func() {
		// exercise 2.1 begin
		fmt.Println(x)
		// exercise 2.1 end
	}()
`),
			want: []Region{{ID: "2.1", BeginLine: 7, EndLine: 9, Indent: "\t\t"}},
		},
		{
			name: "an ordinary comment that mentions exercises is not a marker",
			src: goFile(`	// exercise caution here; exercises are in exercises/.
	fmt.Println(x)
`),
			want: nil,
		},
		{
			name:    "a misspelled marker",
			src:     goFile("\t// exercise 2.1 start\n\tfmt.Println(x)\n\t// exercise 2.1 end\n"),
			wantErr: `f.go:6: malformed exercise marker "// exercise 2.1 start"`,
		},
		{
			name:    "a marker without its space",
			src:     goFile("\t//exercise 2.1 begin\n\tfmt.Println(x)\n\t// exercise 2.1 end\n"),
			wantErr: "f.go:6: malformed exercise marker",
		},
		{
			name:    "an ID that is not N.M",
			src:     goFile("\t// exercise 2 begin\n\tfmt.Println(x)\n\t// exercise 2 end\n"),
			wantErr: "f.go:6: malformed exercise marker",
		},
		{
			name:    "a marker after code on its line",
			src:     goFile("\tfmt.Println(x) // exercise 2.1 begin\n\tfmt.Println(x)\n\t// exercise 2.1 end\n"),
			wantErr: "f.go:6: the marker \"// exercise 2.1 begin\" must be alone on its line",
		},
		{
			name:    "an end without a begin",
			src:     goFile("\tfmt.Println(x)\n\t// exercise 2.1 end\n"),
			wantErr: "f.go:7: exercise 2.1 ends but never began",
		},
		{
			name:    "a begin without an end",
			src:     goFile("\t// exercise 2.1 begin\n\tfmt.Println(x)\n"),
			wantErr: "f.go:6: exercise 2.1 begins but never ends",
		},
		{
			name:    "nested regions",
			src:     goFile("\t// exercise 2.1 begin\n\t// exercise 2.2 begin\n\tfmt.Println(x)\n\t// exercise 2.2 end\n\t// exercise 2.1 end\n"),
			wantErr: "f.go:7: exercise 2.2 begins inside exercise 2.1 (begun at line 6): regions cannot nest",
		},
		{
			name:    "crossed regions",
			src:     goFile("\t// exercise 2.1 begin\n\tfmt.Println(x)\n\t// exercise 2.2 end\n"),
			wantErr: "f.go:8: exercise 2.2 ends inside exercise 2.1 (begun at line 6)",
		},
		{
			name:    "an empty region",
			src:     goFile("\t// exercise 2.1 begin\n\t// exercise 2.1 end\n\tfmt.Println(x)\n"),
			wantErr: "f.go:6: exercise 2.1's region is empty",
		},
		{
			name:    "outside a function body",
			src:     "package p\n\n// exercise 2.1 begin\nvar x = 1\n\n// exercise 2.1 end\n",
			wantErr: "f.go:3: exercise 2.1's marker is not inside a function body",
		},
		{
			name: "inside a statement",
			src: goFile(`	fmt.Println(
		// exercise 2.1 begin
		x,
		// exercise 2.1 end
	)
`),
			wantErr: "f.go:7: exercise 2.1's marker is inside the statement of lines 6-10",
		},
		{
			name: "begin and end in different blocks",
			src: goFile(`	// exercise 2.1 begin
	if x > 0 {
		fmt.Println(x)
		// exercise 2.1 end
	}
`),
			wantErr: "f.go:6: exercise 2.1 begins and ends (line 9) in different blocks",
		},
		{
			name:    "not Go",
			src:     "package p\nfunc {",
			wantErr: "parse f.go",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRegions("f.go", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].File = "f.go"
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got regions %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("region %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		id        string
		step, num int
		ok        bool
	}{
		{"2.1", 2, 1, true},
		{"12.30", 12, 30, true},
		{"2", 0, 0, false},
		{"2.", 0, 0, false},
		{"a.1", 0, 0, false},
		{"0.1", 0, 0, false},
		{"2.0", 0, 0, false},
		{"2.1.1", 0, 0, false},
	}
	for _, tt := range tests {
		step, num, err := parseID(tt.id)
		if (err == nil) != tt.ok || step != tt.step || num != tt.num {
			t.Errorf("parseID(%q) = %d, %d, %v; want %d, %d, ok %v", tt.id, step, num, err, tt.step, tt.num, tt.ok)
		}
	}
}
