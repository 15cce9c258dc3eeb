package exercise

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Progress is what an attendee has done, kept in progress.json in their
// directory: it survives git pull, and git ignores it.
type Progress struct {
	Step  int             `json:"step"`  // the step being worked on; 0 before the first start
	Done  map[string]Done `json:"done"`  // the exercises done, by ID
	Hints map[string]int  `json:"hints"` // how many hints each exercise has shown
}

// Done records how an exercise was done.
type Done struct {
	At time.Time `json:"at"`
	By string    `json:"by"` // "check" (its check passed) or "catchup"
	// Sum sums up the copy's code when it was done (copySum): while the
	// code is the same, the check still passes.
	Sum string `json:"sum,omitempty"`
}

// How an exercise was done.
const (
	byCheck   = "check"
	byCatchup = "catchup"
)

// progressFile is the name of the progress file in the attendee's directory.
const progressFile = "progress.json"

// loadProgress reads the progress file in dir. A missing file is no
// progress yet.
func loadProgress(dir string) (*Progress, error) {
	p := &Progress{Done: map[string]Done{}, Hints: map[string]int{}}
	b, err := os.ReadFile(filepath.Join(dir, progressFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read your progress: %w", err)
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("read your progress from %s (delete it to start afresh): %w", filepath.Join(dir, progressFile), err)
	}
	if p.Done == nil {
		p.Done = map[string]Done{}
	}
	if p.Hints == nil {
		p.Hints = map[string]int{}
	}
	return p, nil
}

// save writes the progress file in dir, through a temporary file so that
// it is never left half written.
func (p *Progress) save(dir string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save your progress: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save your progress: %w", err)
	}
	tmp, err := os.CreateTemp(dir, progressFile+".*")
	if err != nil {
		return fmt.Errorf("save your progress: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, progressFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save your progress: %w", err)
	}
	return nil
}

// isDone reports whether exercise id is done.
func (p *Progress) isDone(id string) bool {
	_, ok := p.Done[id]
	return ok
}

// current returns the step's first exercise not done, in the order they
// are done (the core ones first), or nil if all are.
func (p *Progress) current(st *Step) *Exercise {
	for _, e := range st.Order() {
		if !p.isDone(e.ID) {
			return e
		}
	}
	return nil
}
