package exercise

import (
	"slices"
	"strings"
	"testing"
)

// exerciseFile is a valid exercise file; tests change parts of it.
const exerciseFile = `# 2.1 Log every request
minutes: 15
slides: 44–45
read: README.md#the-idea
track: core

Log each request.

## Hint 1

A nudge.

## Hint 2

` + "```go" + `
// ## Hint 9 inside code is not a heading
` + "```" + `

## Hint 3

Nearly the answer.
`

func TestParseExercise(t *testing.T) {
	e, err := ParseExercise("2.1.md", "2.1", []byte(exerciseFile))
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "2.1" || e.Step != 2 || e.Num != 1 || e.Title != "Log every request" || e.Minutes != 15 || e.Track != TrackCore || !e.Core() ||
		e.Slides != "44–45" || e.Read != "README.md#the-idea" || e.Text != "Log each request." {
		t.Errorf("got %+v", e)
	}
	wantHints := []string{"A nudge.", "```go\n// ## Hint 9 inside code is not a heading\n```", "Nearly the answer."}
	if !slices.Equal(e.Hints, wantHints) {
		t.Errorf("hints %q, want %q", e.Hints, wantHints)
	}
	if got := e.StubLines(0); !slices.Equal(got, []string{`panic("exercise 2.1: Log every request; run: make hint")`}) {
		t.Errorf("default stub %q", got)
	}
}

func TestParseExerciseStubs(t *testing.T) {
	one := exerciseFile + "\n## Stub\n\n```go\n// TODO: log it.\n\tx := 1\n```\n"
	e, err := ParseExercise("2.1.md", "2.1", []byte(one))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if got := e.StubLines(i); !slices.Equal(got, []string{"// TODO: log it.", "\tx := 1"}) {
			t.Errorf("stub %d: %q", i, got)
		}
	}
	two := exerciseFile + "\n## Stub\n\n```go\n// first\n```\n\n```go\n// second\n```\n"
	e, err = ParseExercise("2.1.md", "2.1", []byte(two))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.StubLines(0), []string{"// first"}) || !slices.Equal(e.StubLines(1), []string{"// second"}) {
		t.Errorf("stubs %q", e.Stubs)
	}
}

func TestParseExerciseErrors(t *testing.T) {
	tests := []struct {
		name, id string
		edit     func(string) string
		wantErr  string
	}{
		{"no title", "2.1", func(s string) string { return strings.Replace(s, "# 2.1 ", "", 1) },
			`2.1.md:1: the first line must be the title, "# 2.1 Title"`},
		{"another ID in the title", "2.2", func(s string) string { return s },
			"2.2.md:1: the title names exercise 2.1, but the file is 2.2.md"},
		{"a file name that is not an ID", "two", func(s string) string { return s },
			`"two" is not an exercise`},
		{"minutes out of range", "2.1", func(s string) string { return strings.Replace(s, "minutes: 15", "minutes: 45", 1) },
			`2.1.md:2: minutes must be a whole number from 10 to 30, not "45"`},
		{"minutes not a number", "2.1", func(s string) string { return strings.Replace(s, "minutes: 15", "minutes: a few", 1) },
			"2.1.md:2: minutes must be a whole number"},
		{"a missing field", "2.1", func(s string) string { return strings.Replace(s, "slides: 44–45\n", "", 1) },
			`the field "slides" is missing`},
		{"a field twice", "2.1", func(s string) string { return strings.Replace(s, "slides: 44–45\n", "slides: 44\nslides: 45\n", 1) },
			"2.1.md:4: slides is given twice"},
		{"an unknown field", "2.1", func(s string) string { return strings.Replace(s, "slides:", "slide:", 1) },
			`2.1.md:3: unknown field "slide"`},
		{"a track that is neither", "2.1", func(s string) string { return strings.Replace(s, "track: core", "track: main", 1) },
			`2.1.md:5: track must be core or extra, not "main"`},
		{"no track", "2.1", func(s string) string { return strings.Replace(s, "track: core\n", "", 1) },
			`the field "track" is missing`},
		{"read without a section", "2.1", func(s string) string { return strings.Replace(s, "#the-idea", "", 1) },
			"2.1.md:4: read must name a file and a section"},
		{"text right after the fields", "2.1", func(s string) string { return strings.Replace(s, "core\n\n", "core\n", 1) },
			`2.1.md:6: want a field such as "minutes: 15"`},
		{"no text", "2.1", func(s string) string { return strings.Replace(s, "Log each request.\n", "", 1) },
			"the text is empty"},
		{"two hints", "2.1", func(s string) string { return s[:strings.Index(s, "## Hint 3")] },
			"exercise 2.1 has 2 hints; give at least 3"},
		{"hints out of order", "2.1", func(s string) string { return strings.Replace(s, "## Hint 2", "## Hint 3", 1) },
			"## Hint 3 comes after 1 hints"},
		{"an empty hint", "2.1", func(s string) string { return strings.Replace(s, "A nudge.", "", 1) },
			"## Hint 1 is empty"},
		{"an unknown section", "2.1", func(s string) string { return s + "\n## Notes\n\nmore\n" },
			`unknown section "Notes"`},
		{"a stub that is not code", "2.1", func(s string) string { return s + "\n## Stub\n\npanic()\n" },
			"## Stub must hold fenced code blocks"},
		{"an unclosed stub", "2.1", func(s string) string { return s + "\n## Stub\n\n```go\npanic()\n" },
			"each closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExercise(tt.id+".md", tt.id, []byte(tt.edit(exerciseFile)))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}

func TestAnchor(t *testing.T) {
	tests := map[string]string{
		"The idea":                      "the-idea",
		"Do it yourself: make check":    "do-it-yourself-make-check",
		"What's still naive":            "whats-still-naive",
		"Step 3: metrics, tangled in":   "step-3-metrics-tangled-in",
		"`make start 2` and `go run`":   "make-start-2-and-go-run",
		"Über-Grüße_2":                  "über-grüße_2",
		"Exercises (checked) — 2.1–2.2": "exercises-checked--2122",
	}
	for heading, want := range tests {
		if got := Anchor(heading); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", heading, got, want)
		}
	}
}
