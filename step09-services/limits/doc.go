// Package limits holds what step 8 writes itself to bound what one caller
// can cost the add service, where no library option does the job: a
// listener that makes room for a new connection (RoomListener), a log of
// floods as counts (Counting), a log whose values a caller cannot make long
// (Bounded), a budget of the spans written to the log (SpanBudget), and the
// quoting of a caller's text for a terminal (Quote, Escape). Each says which
// library option it goes with, and why that option alone does not do.
//
// It knows nothing of the add service: cmd/addsvc wires it.
package limits
