// Command loadgen calls addsvc's Concat over HTTP at a steady rate for a
// while, round robin over addsvc's replicas, and prints what came back:
// for each replica and in all, the calls, how many answered 200 and how
// many failed, and the latency's p50 and p99. make demo 9 runs it; on
// Kubernetes it runs until stopped (-duration 0), with a table a minute.
//
//	loadgen -addr 127.0.0.1:8080,127.0.0.1:8090 -rate 100 -duration 10s
//	loadgen -addr http://addsvc:8080 -duration 0
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(2)
	}
}

// Result is what the calls to one target (or to all, Target "all") gave.
type Result struct {
	Target string        `json:"target"`
	Calls  int           `json:"calls"`
	OK     int           `json:"ok"`
	Failed int           `json:"failed"`
	P50    time.Duration `json:"p50"`
	P99    time.Duration `json:"p99"`
	Errors []string      `json:"errors,omitempty"` // the first few
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("addr", "127.0.0.1:8080", "addsvc's HTTP addresses, host:port,host:port (or http://host:port), called in turn")
	rate := fs.Float64("rate", 100, "calls a second, in all")
	duration := fs.Duration("duration", 10*time.Second, "how long to call; 0: until stopped, with a table each minute")
	a := fs.String("a", "go", "Concat's first argument")
	b := fs.String("b", "kit", "Concat's second argument")
	asJSON := fs.Bool("json", false, "print the results as JSON, one a line, instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: every setting is a flag", fs.Args())
	}
	addrs := strings.Split(*targets, ",")
	for i, addr := range addrs {
		addrs[i] = strings.TrimPrefix(addr, "http://")
		if _, _, err := net.SplitHostPort(addrs[i]); err != nil {
			return fmt.Errorf("-addr %q: want host:port,host:port", *targets)
		}
	}
	if !(*rate > 0) || *rate > 10000 || *duration < 0 {
		return errors.New("-rate must be above 0 and at most 10000, and -duration 0 or more")
	}
	body, _ := json.Marshal(map[string]string{"a": *a, "b": *b})
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	if *duration > 0 {
		return report(stdout, addrs, load(ctx, client, addrs, body, *rate, *duration), *asJSON)
	}
	for ctx.Err() == nil {
		if err := report(stdout, addrs, load(ctx, client, addrs, body, *rate, time.Minute), *asJSON); err != nil {
			return err
		}
	}
	return nil
}

// outcome is how one call to addrs[target] went.
type outcome struct {
	target int
	took   time.Duration
	err    error
}

// load calls Concat with body at rate for duration, or until ctx is done,
// round robin over addrs, and returns how each call went.
func load(ctx context.Context, client *http.Client, addrs []string, body []byte, rate float64, duration time.Duration) []outcome {

	var (
		mu       sync.Mutex
		outcomes []outcome
		wg       sync.WaitGroup
		inFlight = make(chan struct{}, 256) // calls at once, at most
	)
	interval := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.After(duration)
loop:
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			break loop
		case <-end:
			break loop
		case <-tick.C:
		}
		select {
		case inFlight <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Go(func() {
			defer func() { <-inFlight }()
			t := i % len(addrs)
			begin := time.Now()
			err := concat(ctx, client, addrs[t], body)
			mu.Lock()
			outcomes = append(outcomes, outcome{t, time.Since(begin), err})
			mu.Unlock()
		})
	}
	wg.Wait()
	return outcomes
}

// report prints the results of outcomes, by target and in all, as a table
// or as JSON lines.
func report(stdout io.Writer, addrs []string, outcomes []outcome, asJSON bool) error {
	results := make([]Result, len(addrs)+1)
	took := make([][]time.Duration, len(addrs)+1)
	for i, addr := range addrs {
		results[i].Target = addr
	}
	results[len(addrs)].Target = "all"
	for _, o := range outcomes {
		for _, i := range []int{o.target, len(addrs)} {
			r := &results[i]
			r.Calls++
			took[i] = append(took[i], o.took)
			if o.err == nil {
				r.OK++
			} else if r.Failed++; len(r.Errors) < 3 {
				r.Errors = append(r.Errors, o.err.Error())
			}
		}
	}
	for i := range results {
		slices.Sort(took[i])
		results[i].P50, results[i].P99 = quantile(took[i], 0.50), quantile(took[i], 0.99)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDSVC\tCALLS\tOK\tFAILED\tP50\tP99")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%v\t%v\n", r.Target, r.Calls, r.OK, r.Failed, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results[:len(addrs)] {
		for _, e := range r.Errors {
			fmt.Fprintf(stdout, "%s: %s\n", r.Target, e)
		}
	}
	return nil
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// concat calls Concat at addr with body and returns nil for a 200 answer.
func concat(ctx context.Context, client *http.Client, addr string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/concat", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(answer)))
	}
	return err
}
