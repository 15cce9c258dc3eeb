package exercise

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Exercise is one exercise, as its Markdown file describes it.
type Exercise struct {
	ID      string     // "2.1"
	Step    int        // 2
	Num     int        // 1
	Title   string     // "Log every request in the transport"
	Minutes int        // how long it takes, about
	Track   string     // TrackCore or TrackExtra
	Slides  string     // the talk's slides it follows, such as "44–46"
	Read    string     // what to read first: a file of the step, with an anchor: README.md#the-idea
	Text    string     // what to do, and what the check tests (Markdown)
	Hints   []string   // from a nudge to nearly the answer (Markdown)
	Stubs   [][]string // the lines that replace the regions: one stub for all, or one per region; none for the default panic
}

// The tracks of the workshop. The core exercises, one or two a step, make
// the three-hour workshop with the slides (MaxCoreMinutes in all); the extras
// are for self-paced learners. A step's core exercises never depend on its
// extras: their checks pass on a copy where only the extras are cut out.
const (
	TrackCore  = "core"
	TrackExtra = "extra"
)

// Limits of the core track, over every step.
const (
	MaxCoreMinutes = 100 // the core exercises of every step, in all
	MaxCorePerStep = 2   // the core exercises of one step
)

// Limits of an exercise file.
const (
	minHints   = 3
	minMinutes = 10
	maxMinutes = 30
)

var (
	titleRE = regexp.MustCompile(`^# ([0-9]+\.[0-9]+) (\S.*)$`)
	hintRE  = regexp.MustCompile(`^## Hint ([0-9]+)$`)
	fieldRE = regexp.MustCompile(`^([a-z]+): *(.*)$`)
)

// ParseExercise parses an exercise file. name is its path, for errors, and
// wantID the ID its file name gives (2.1 for 2.1.md), which its title must
// repeat.
func ParseExercise(name, wantID string, src []byte) (*Exercise, error) {
	step, num, err := parseID(wantID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	e := &Exercise{ID: wantID, Step: step, Num: num}
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	errorf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}

	m := titleRE.FindStringSubmatch(lines[0])
	if m == nil {
		return nil, errorf(1, "the first line must be the title, \"# %s Title\"", wantID)
	}
	if m[1] != wantID {
		return nil, errorf(1, "the title names exercise %s, but the file is %s.md", m[1], wantID)
	}
	e.Title = strings.TrimSpace(m[2])

	// The fields, up to the first blank line.
	i := 1
	seen := map[string]bool{}
	for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		f := fieldRE.FindStringSubmatch(lines[i])
		if f == nil {
			return nil, errorf(i+1, "want a field such as \"minutes: 15\", or a blank line before the text")
		}
		key, value := f[1], strings.TrimSpace(f[2])
		if seen[key] {
			return nil, errorf(i+1, "%s is given twice", key)
		}
		seen[key] = true
		switch key {
		case "minutes":
			n, err := strconv.Atoi(value)
			if err != nil || n < minMinutes || n > maxMinutes {
				return nil, errorf(i+1, "minutes must be a whole number from %d to %d, not %q", minMinutes, maxMinutes, value)
			}
			e.Minutes = n
		case "slides":
			e.Slides = value
		case "track":
			if value != TrackCore && value != TrackExtra {
				return nil, errorf(i+1, "track must be %s or %s, not %q", TrackCore, TrackExtra, value)
			}
			e.Track = value
		case "read":
			if file, anchor, ok := strings.Cut(value, "#"); !ok || file == "" || anchor == "" {
				return nil, errorf(i+1, "read must name a file and a section, such as README.md#the-idea")
			}
			e.Read = value
		default:
			return nil, errorf(i+1, "unknown field %q (the fields are minutes, track, slides and read)", key)
		}
	}
	for _, key := range []string{"minutes", "track", "slides", "read"} {
		if !seen[key] {
			return nil, errorf(i+1, "the field %q is missing", key)
		}
	}

	// The text, then the sections.
	section, start := "", i
	finish := func(end int) error {
		body := strings.TrimSpace(strings.Join(lines[start:end], "\n"))
		if body == "" {
			what := "the text"
			if section != "" {
				what = "## " + section
			}
			return errorf(start, "%s is empty", what)
		}
		switch {
		case section == "":
			e.Text = body
		case section == "Stub":
			stubs, err := parseStubs(body)
			if err != nil {
				return errorf(start, "%v", err)
			}
			e.Stubs = stubs
		default:
			e.Hints = append(e.Hints, body)
		}
		return nil
	}
	inFence := false
	for ; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(l, "## ") {
			continue
		}
		if err := finish(i); err != nil {
			return nil, err
		}
		start = i + 1
		heading := strings.TrimSpace(strings.TrimPrefix(l, "## "))
		switch h := hintRE.FindStringSubmatch(l); {
		case h != nil:
			if n, _ := strconv.Atoi(h[1]); n != len(e.Hints)+1 {
				return nil, errorf(i+1, "## Hint %s comes after %d hints: number them 1, 2, 3…", h[1], len(e.Hints))
			}
		case heading == "Stub":
			if e.Stubs != nil {
				return nil, errorf(i+1, "## Stub is given twice")
			}
		default:
			return nil, errorf(i+1, "unknown section %q (the sections are ## Hint 1, ## Hint 2… and ## Stub)", heading)
		}
		section = heading
	}
	if err := finish(len(lines)); err != nil {
		return nil, err
	}
	if len(e.Hints) < minHints {
		return nil, fmt.Errorf("%s: exercise %s has %d hints; give at least %d, from a nudge to nearly the answer", name, wantID, len(e.Hints), minHints)
	}
	return e, nil
}

// parseStubs reads the Go lines of a ## Stub section: one fenced code
// block or more, and nothing else.
func parseStubs(body string) ([][]string, error) {
	var stubs [][]string
	var cur []string
	in := false
	for _, l := range strings.Split(body, "\n") {
		switch {
		case !in && strings.HasPrefix(l, "```"):
			in, cur = true, []string{}
		case in && strings.TrimSpace(l) == "```":
			if len(cur) == 0 {
				return nil, fmt.Errorf("## Stub has an empty code block")
			}
			stubs, in = append(stubs, cur), false
		case in:
			cur = append(cur, l)
		case strings.TrimSpace(l) != "":
			return nil, fmt.Errorf("## Stub must hold fenced code blocks (```go … ```) and nothing else")
		}
	}
	if in || len(stubs) == 0 {
		return nil, fmt.Errorf("## Stub must hold fenced code blocks (```go … ```), each closed")
	}
	return stubs, nil
}

// StubLines returns the lines that replace the exercise's region number i
// (counted from 0, in the order of Step.RegionsOf) in the attendee's copy:
// the exercise's one stub, or its i-th, or by default a panic that names the
// exercise and says where to get help.
func (e *Exercise) StubLines(i int) []string {
	switch {
	case len(e.Stubs) == 1:
		return e.Stubs[0]
	case i < len(e.Stubs):
		return e.Stubs[i]
	}
	return []string{fmt.Sprintf("panic(%s)", strconv.Quote(fmt.Sprintf("exercise %s: %s; run: make hint", e.ID, e.Title)))}
}

// Core reports whether the exercise is on the core track.
func (e *Exercise) Core() bool { return e.Track == TrackCore }
