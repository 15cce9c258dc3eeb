package load

import (
	"math"
	"strconv"
)

// limit is a flag by which a step refuses requests beyond a bound: the load
// test lifts it where its default would refuse some of the load, so that a
// step is measured serving requests, not refusing them. Which flags a step
// has, and their defaults, come from its -h: a step that gains a limit needs
// one line here, and none elsewhere.
type limit struct {
	flag string
	// need is the least value that refuses none of the load of the given
	// connections (HTTP) or calls in flight (gRPC); +Inf when every value
	// may refuse some, as a rate's.
	need func(connections int) float64
	// lifted is the value given when the default is below need.
	lifted func(connections int) string
}

var limits = []limit{
	// A closed loop asks as many requests a second as the step answers.
	{"rate-limit", always, fixed("1e9")},
	{"rate-burst", always, fixed("1000000000")},
	// gRPC calls in flight in all, and on one connection of the load
	// generator's; open connections on one listener (HTTP has the most).
	{"grpc-max-calls", perLoad(1), roomFor(1)},
	{"grpc-max-streams", perGRPCConn, func(n int) string { return strconv.Itoa(4 * int(perGRPCConn(n))) }},
	{"max-conns", perLoad(1), roomFor(1)},
}

func always(int) float64 { return math.Inf(1) }

func fixed(v string) func(int) string { return func(int) string { return v } }

func perLoad(k int) func(int) float64 { return func(n int) float64 { return float64(k * n) } }

// roomFor gives room for k times the load, and more: 4×.
func roomFor(k int) func(int) string { return func(n int) string { return strconv.Itoa(4 * k * n) } }

// perGRPCConn is how many calls the load generator keeps in flight on each
// of its gRPC connections (see grpcWorkers).
func perGRPCConn(n int) float64 {
	conns := max(min(4, n), 1)
	return float64((n + conns - 1) / conns)
}

// liftedLimits returns the flags that lift the step's limits whose defaults,
// as its -h prints them, would refuse some of the load of the given
// connections. A default of 0 or none (the flag package prints no default
// for 0) leaves the choice to the step (step 8's -max-conns: 0 means 256, or
// fewer if the open-file limit is low), and is kept.
func liftedLimits(flags helpFlags, connections int) []string {
	var args []string
	for _, l := range limits {
		def, ok := flags[l.flag]
		if !ok {
			continue
		}
		need := l.need(connections)
		if v, err := strconv.ParseFloat(def, 64); !math.IsInf(need, 1) && (err != nil || v <= 0 || v >= need) {
			continue
		}
		args = append(args, "-"+l.flag, l.lifted(connections))
	}
	return args
}
