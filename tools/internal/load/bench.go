package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchPaths are the benchmarks that every step names alike, one per path
// that a request takes, in the order of the table's columns.
var benchPaths = []struct{ name, title string }{
	{"BenchmarkService", "service"},
	{"BenchmarkEndpoint", "endpoint"},
	{"BenchmarkHTTP", "HTTP round trip"},
	{"BenchmarkGRPC", "gRPC round trip"},
}

// benchResult is the median of one benchmark's runs.
type benchResult struct {
	nsPerOp, allocsPerOp float64
}

// Bench runs the Go benchmarks of each step (go test -run '^$' -bench .
// -benchmem, in the step's directory), opts.Count times in rounds over the
// steps, and prints one table to
// stdout: steps as rows, the median ns/op and allocs/op of each path that a
// request takes, and each step's HTTP round trip against step 1's. Their raw
// output, which benchstat reads, is kept in a file under opts.OutDir, whose
// name Bench prints.
func Bench(ctx context.Context, opts Options, stdout io.Writer) error {
	opts, err := opts.withDefaults("bench")
	if err != nil {
		return err
	}
	steps, err := findSteps(opts.Root, opts.Steps)
	if err != nil {
		return err
	}
	m := describeMachine(ctx, opts.Root)
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	rawPath := filepath.Join(opts.OutDir, time.Now().Format("20060102-150405")+".txt")
	raw, err := os.Create(rawPath)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer raw.Close()

	// One run of each benchmark per round, the steps in turn, so that a
	// disturbance of the machine spreads over the steps instead of falling on
	// one of them.
	// Only the table's benchmarks: a step may have others, of its parts.
	var names []string
	for _, p := range benchPaths {
		names = append(names, p.name)
	}
	args := []string{"test", "-run", "^$", "-bench", "^(" + strings.Join(names, "|") + ")$", "-benchmem", "-count", "1"}
	if opts.Short {
		args = append(args, "-benchtime", "100ms")
	}
	outputs := make(map[int]*bytes.Buffer)
	for round := range opts.Count {
		for _, s := range steps {
			fmt.Fprintf(stdout, "bench: round %d/%d: %s: go %s ./...\n", round+1, opts.Count, s.name, strings.Join(args, " "))
			if outputs[s.num] == nil {
				outputs[s.num] = new(bytes.Buffer)
			}
			var out, errOut bytes.Buffer
			cmd := exec.CommandContext(ctx, "go", append(args, "./...")...)
			cmd.Dir = s.dir
			cmd.Stdout = io.MultiWriter(&out, outputs[s.num], raw)
			cmd.Stderr = &errOut
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("bench: %s: go test: %w\n%s%s", s.name, err, out.Bytes(), errOut.Bytes())
			}
		}
	}
	results := make(map[int]map[string]benchResult)
	for num, out := range outputs {
		results[num] = parseBench(out.Bytes())
	}
	if err := raw.Close(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	fmt.Fprintf(stdout, "\nMachine: %s.\n", m)
	fmt.Fprintf(stdout, "Medians of %d round(s) over the steps; in the round trips, 8 requests per processor at once, and the allocations of client and server together.\n\n", opts.Count)
	if err := benchTable(steps, results).write(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nRaw output (for benchstat): %s\n", rawPath)
	return nil
}

// benchTable lays the results out: a row per step, ns/op and allocs/op per
// path, and the HTTP round trip's speed against step 1's.
func benchTable(steps []step, results map[int]map[string]benchResult) *table {
	t := &table{head: []string{"step"}}
	for _, p := range benchPaths {
		t.head = append(t.head, p.title, "allocs")
		if p.name == "BenchmarkHTTP" {
			t.head = append(t.head, "speed vs step 1")
		}
	}
	base := results[1]["BenchmarkHTTP"].nsPerOp
	for _, s := range steps {
		row := []string{s.label()}
		for _, p := range benchPaths {
			r, ok := results[s.num][p.name]
			if !ok {
				row = append(row, "–", "–")
			} else {
				row = append(row, nanos(r.nsPerOp), strconv.FormatFloat(r.allocsPerOp, 'f', -1, 64))
			}
			if p.name == "BenchmarkHTTP" {
				row = append(row, ratio(base, r.nsPerOp))
			}
		}
		t.add(row...)
	}
	return t
}

// parseBench reads the output of go test -bench -benchmem and returns the
// median of each benchmark's runs, by its name without the -GOMAXPROCS
// suffix.
func parseBench(out []byte) map[string]benchResult {
	ns := make(map[string][]float64)
	allocs := make(map[string][]float64)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				ns[name] = append(ns[name], v)
			case "allocs/op":
				allocs[name] = append(allocs[name], v)
			}
		}
	}
	results := make(map[string]benchResult)
	for name, v := range ns {
		results[name] = benchResult{nsPerOp: median(v), allocsPerOp: median(allocs[name])}
	}
	return results
}

// median returns the median of v, or 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
