package check

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// caseTimeout bounds one case.
const caseTimeout = 60 * time.Second

// Case is one check of an exercise.
type Case struct {
	// Name says what the case checks, in plain words, as the attendee reads
	// it in the list of checks: "POST /sum is logged with the caller's
	// address, the URL and 200".
	Name string
	// Run checks it. It returns nil when the check passes, or an error that
	// says, in plain words, what was sent, what came back, what was
	// expected, and the most likely place of the bug (both, where two fit);
	// the attendee reads it as it is.
	Run func(ctx context.Context, env *Env) error
	// Commands are the commands of the step that the case runs, which the
	// check builds: {"addsvc"} if empty.
	Commands []string
}

// DefaultCommand is the command that a case runs if it names none.
const DefaultCommand = "addsvc"

// Commands returns the commands that the cases run, in order, each once:
// the binaries to build for them.
func Commands(cases []Case) []string {
	var cmds []string
	for _, c := range cases {
		names := c.Commands
		if len(names) == 0 {
			names = []string{DefaultCommand}
		}
		for _, n := range names {
			if !slices.Contains(cmds, n) {
				cmds = append(cmds, n)
			}
		}
	}
	return cmds
}

// Env is what a case runs with: the attendee's build, and what the case
// starts (services, a Zipkin collector), stopped when the case ends.
type Env struct {
	build    *Build
	cleanup  []func()
	services []*Service
}

// Drain drains every service that the case started (see Service.Drain), at
// once: then their logs are whole, and the collector has every span they
// will send.
func (e *Env) Drain() {
	var wg sync.WaitGroup
	for _, s := range e.services {
		wg.Go(s.Drain)
	}
	wg.Wait()
}

// Dir returns the directory of the step being checked.
func (e *Env) Dir() string { return e.build.Dir }

// close stops what the case started, newest first.
func (e *Env) close() {
	for _, f := range slices.Backward(e.cleanup) {
		f()
	}
	e.cleanup = nil
}

// Outcome is how one case went.
type Outcome struct {
	Case string // its name
	Err  error  // nil if it passed
}

// Result is how every case of one exercise went, in order.
type Result []Outcome

// Passed returns how many cases passed.
func (r Result) Passed() int {
	n := 0
	for _, o := range r {
		if o.Err == nil {
			n++
		}
	}
	return n
}

// OK reports whether every case passed.
func (r Result) OK() bool { return len(r) > 0 && r.Passed() == len(r) }

// FirstFailure returns the first case that failed, or nil.
func (r Result) FirstFailure() *Outcome {
	for i := range r {
		if r[i].Err != nil {
			return &r[i]
		}
	}
	return nil
}

// parallel is how many cases run at once: each starts its own processes,
// so they don't interfere, and a failing case mostly waits.
const parallel = 8

// Run runs the cases against the build, a few at a time, each with a time
// limit, and returns how each went, in the cases' order. It runs them all,
// so that the attendee learns how many pass. A case that panics fails.
func Run(ctx context.Context, b *Build, cases []Case) Result {
	r := make(Result, len(cases))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r[i] = Outcome{Case: c.Name, Err: runCase(ctx, b, c)}
		}()
	}
	wg.Wait()
	return r
}

func runCase(ctx context.Context, b *Build, c Case) (err error) {
	ctx, cancel := context.WithTimeout(ctx, caseTimeout)
	defer cancel()
	env := &Env{build: b}
	defer env.close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the check itself failed (a bug in the workshop): %v", p)
		}
	}()
	if err := c.Run(ctx, env); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (the check gave up after %s)", err, caseTimeout)
		}
		return err
	}
	return nil
}
