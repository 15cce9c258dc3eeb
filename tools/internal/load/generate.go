package load

import (
	"context"
	"slices"
	"sync"
	"time"
)

// loadResult is what a load generator measured.
type loadResult struct {
	requests  int           // answered correctly in the measured window
	failures  int           // failed or answered wrongly in the measured window
	firstErr  error         // the first failure's error
	elapsed   time.Duration // the measured window
	latencies []time.Duration
	total     int // every request sent, warm-up included
}

func (r loadResult) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// quantile returns the q-quantile (0 < q ≤ 1) of the latencies, which are
// sorted.
func (r loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// worker sends one request at a time and tells how it went: its error, if
// the request failed. A worker that fails may be called again.
type worker func(ctx context.Context) error

// drive runs workers for warmup, then measures them for d: a closed loop,
// each worker sending its next request when its last one is answered.
func drive(ctx context.Context, workers []worker, warmup, d time.Duration) loadResult {
	start := time.Now()
	measureFrom, until := start.Add(warmup), start.Add(warmup+d)
	type tally struct {
		requests, failures, total int
		firstErr                  error
		latencies                 []time.Duration
	}
	tallies := make([]tally, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[i]
			t.latencies = make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				begin := time.Now()
				if !begin.Before(until) {
					return
				}
				err := w(ctx)
				end := time.Now()
				t.total++
				if begin.Before(measureFrom) || end.After(until) {
					continue // warming up, or past the window
				}
				if err != nil {
					t.failures++
					if t.firstErr == nil {
						t.firstErr = err
					}
					continue
				}
				t.requests++
				t.latencies = append(t.latencies, end.Sub(begin))
			}
		}()
	}
	wg.Wait()
	r := loadResult{elapsed: d}
	for _, t := range tallies {
		r.requests += t.requests
		r.failures += t.failures
		r.total += t.total
		if r.firstErr == nil {
			r.firstErr = t.firstErr
		}
		r.latencies = append(r.latencies, t.latencies...)
	}
	slices.Sort(r.latencies)
	return r
}
