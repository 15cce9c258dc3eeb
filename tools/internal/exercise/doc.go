// Package exercise runs the workshop's exercises, rustlings-style, on the
// steps of the workshop: start, check, watch, hint, solution, catchup, status
// and run.
//
// # Markers
//
// An exercise is cut out of the reference step's own code, so that the
// step stays the one source of truth. Its regions are marked by comments,
// each alone on its line, inside a function body:
//
//	// exercise 2.1 begin
//	s.logger.Printf("%s: %s: %d", r.RemoteAddr, r.URL, code)
//	// exercise 2.1 end
//
// The lines between the markers must be whole statements of one statement
// list (a block, or a case of a switch or select). Several regions may share
// an ID; regions may not nest, and a region may not be empty. Markers are
// comments: they never change how the reference behaves, and its tests stay
// as they are. Only step N's own exercises (N.M) are marked in step N.
// LoadStep reports a malformed marker, unbalanced or nested markers, a
// region of an exercise that has no exercise file, and an exercise file with
// no region, with the file and line.
//
// # Exercise files
//
// Each exercise has a Markdown file beside the step, stepNN-name/exercises/N.M.md:
//
//	# 2.1 Log every request in the transport
//	minutes: 10
//	slides: 44–46
//	read: README.md#the-idea
//	track: core
//
//	What to do, in a short paragraph, and what the check tests.
//
//	## Hint 1
//	A nudge.
//	## Hint 2
//	…
//	## Hint 3
//	Nearly the answer.
//
//	## Stub
//	```go
//	// TODO(exercise 2.1): log this request.
//	```
//
// The title repeats the ID of the file's name. The fields minutes (10 to
// 30), slides, read (a file of the step and the anchor of one of its
// headings, checked) and track are required, one a line, up to a blank
// line. The track is core or extra: the core exercises, one or two a step,
// make the three-hour workshop with the slides (MaxCoreMinutes in all, which
// a test keeps, leaving room for the steps to come); the extras are for
// self-paced learners. A step's exercises are done core first (Step.Order),
// and a check may rely only on the exercises before its own in that order:
// so a core check never needs the extras (the proof shows it). Then
// comes the text; then three hints or more, numbered from 1. The Stub
// section is optional: its code block replaces each region of the exercise,
// indented as its begin marker; or it holds one code block per region, in
// the regions' order (by file path, then line). Without it, each region
// becomes
//
//	panic("exercise 2.1: Log every request in the transport; run: make hint")
//
// which compiles wherever a statement does, and fails the check at once. A
// stub that leaves the service running (a TODO comment, for logging or
// counting that is simply missing) suits an exercise whose absence the
// check sees without a crash, and keeps the other exercises' checks
// meaningful.
//
// # The attendee's copy
//
// start N writes work/stepNN-name/ at the repository's root (git ignores
// /work/): the step's files, without its exercises directory, with every
// region cut out. The markers stay, so that the attendee sees where to write
// and solution finds the regions again. The imports that only the cut code
// used are removed, so that the copy compiles (see pruneImports: it works on
// the syntax, with goimports' rule for a package's name, rather than with
// golang.org/x/tools/imports, which would also add imports, resolve packages
// through the module cache and the network, and bring a dependency; a
// guessed name that the file does not use is reported, not silently kept).
// The result is gofmt'ed. work/go.work uses every copy there, with the go
// version and the replace directives of the repository's go.work (and its
// go.work.sum), so that the go command and gopls build a copy on its own.
// work/progress.json holds the attendee's progress: the step, the exercises
// done, and the hints shown.
//
// start refuses to replace a copy that holds work (one that is neither what
// start nor catchup writes) unless forced; then the old copy is moved to
// work/backup/<time>/. catchup N writes the finished step N (markers kept),
// backing up a copy that holds work, and marks its exercises done.
//
// # Checks
//
// check builds the commands that the exercise's cases run (Case.Commands)
// into work/.bin/<step>/, kept from one check to the next so that an
// unchanged copy is not linked again, and runs the exercise's checks from
// package check, keyed by ID: black-box, over HTTP, gRPC, log lines,
// /metrics and spans, so that a solution with other internal names passes.
// A compile error is shown as the compiler wrote it, with the imports that
// the reference's code uses and the attendee's file lacks. The first
// failure is explained in 30 lines at most, with where the exercise's code
// is. Before building, check warns of edits outside the markers (file and
// line, against what start writes). An exercise done records a sum of the
// copy's code; status checks again those whose code changed since, so that
// it shows an exercise done only while its check passes. Known wrong answers
// in testdata/wrong, with the message each must get, keep the messages
// pointing at the bug.
//
// The commands work from the repository's root and from inside a copy: the
// copy holds a Makefile that includes the repository's, and work/go.work
// uses tools/, so that go run ../../tools/cmd/workshop builds there.
package exercise
