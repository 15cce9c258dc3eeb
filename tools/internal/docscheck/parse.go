// Package docscheck checks that the commands shown in a README print what
// the README says they print.
//
// A README shows commands in ```console blocks: a line "$ COMMAND" is a
// command, and the lines after it, up to the next "$ " line or the end of
// the block, are its output (stdout and stderr together). A fence may be
// indented, as in a list item; the lines of its block lose the same
// indentation. Commands must fit on one line; commands that must not be
// run by the check (such as make step 1 itself) belong in ```sh blocks.
//
// The commands run in order against one fresh service per README, so
// counters shown by /metrics are deterministic. A line
//
//	<!-- docs-check: restart FLAGS... -->
//
// outside the blocks (GitHub doesn't render it) stops the service and
// starts a fresh one with FLAGS (none: the defaults) for the commands after
// it.
package docscheck

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Case is one step of a README's check, in order: a command and its
// expected output, or a restart of the service.
type Case struct {
	Line    int      // the line in the README, from 1
	Command string   // the command after "$ "; "" for a restart
	Want    string   // the command's expected output, every line ending in "\n"
	Restart bool     // restart the service
	Flags   []string // the restarted service's flags
}

var (
	directiveLine = regexp.MustCompile(`^\s*<!--\s*docs-check:(.*)-->\s*$`)
	openFence     = regexp.MustCompile("^( *)```console\\s*$")
	closeFence    = regexp.MustCompile("^ *```\\s*$")
)

// ParseFile parses the README at path.
func ParseFile(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cases, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return cases, nil
}

// Parse reads a README and returns its commands and restarts, in order. It
// fails on an output line before the first command of a block, a block that
// is not closed, or an unknown directive; the error starts with the line
// number and a colon.
func Parse(r io.Reader) ([]Case, error) {
	var (
		cases      []Case
		lineno     int
		inBlock    bool
		blockStart int
		indent     string
		inOutput   bool
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lineno++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !inBlock {
			if m := directiveLine.FindStringSubmatch(line); m != nil {
				fields := strings.Fields(m[1])
				if len(fields) == 0 || fields[0] != "restart" {
					return nil, fmt.Errorf("%d: unknown docs-check directive (only \"restart FLAGS...\"): %s", lineno, line)
				}
				cases = append(cases, Case{Line: lineno, Restart: true, Flags: fields[1:]})
			}
			if m := openFence.FindStringSubmatch(line); m != nil {
				inBlock, blockStart, indent, inOutput = true, lineno, m[1], false
			}
			continue
		}
		if closeFence.MatchString(line) {
			inBlock = false
			continue
		}
		line = strings.TrimPrefix(line, indent)
		switch {
		case strings.HasPrefix(line, "$ "):
			cases = append(cases, Case{Line: lineno, Command: strings.TrimPrefix(line, "$ ")})
			inOutput = true
		case !inOutput:
			return nil, fmt.Errorf("%d: an output line before the first \"$ \" command of the block: %s", lineno, line)
		default:
			cases[len(cases)-1].Want += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%d: %w", lineno, err)
	}
	if inBlock {
		return nil, fmt.Errorf("%d: the ```console block is not closed", blockStart)
	}
	return cases, nil
}

// Commands returns how many of cases are commands.
func Commands(cases []Case) int {
	n := 0
	for _, c := range cases {
		if !c.Restart {
			n++
		}
	}
	return n
}
