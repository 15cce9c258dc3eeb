package main

import (
	"encoding/json"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spanCollector is a stand-in Zipkin collector that keeps the names of the
// spans it is sent, batch by batch. Until accept is set, it cuts every
// request off (the reporter can't send), or answers with status if set.
type spanCollector struct {
	*httptest.Server
	accept atomic.Bool
	status int // answered while accept is not set; 0: cut the connection

	requests atomic.Int64
	hold     chan struct{} // if set, a request not accepted waits for it to be closed

	mu      sync.Mutex
	batches [][]string
}

func newSpanCollector(t *testing.T, accept bool, status int) *spanCollector {
	c := &spanCollector{status: status}
	c.accept.Store(accept)
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		var spans []struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&spans); err != nil {
			t.Errorf("the reporter sent what is not a JSON array of spans: %v", err)
		}
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "0", r.Header.Get("b3"), "the request that carries spans is not traced")
		if !c.accept.Load() {
			if c.hold != nil {
				<-c.hold
			}
			if c.status == 0 {
				panic(http.ErrAbortHandler) // the reporter sees the connection cut
			}
			w.WriteHeader(c.status)
			return
		}
		names := make([]string, len(spans))
		for i, s := range spans {
			names[i] = s.Name
		}
		c.mu.Lock()
		c.batches = append(c.batches, names)
		c.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(c.Close)
	return c
}

// received returns the spans received, in order, and in how many batches.
func (c *spanCollector) received() (names []string, batches int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.batches {
		names = append(names, b...)
	}
	return names, len(c.batches)
}

func (c *spanCollector) url() string { return c.URL + "/api/v2/spans" }

// sendSpans sends n spans named prefix0, prefix1, ...
func sendSpans(r *batchReporter, prefix string, n int) {
	for i := range n {
		r.Send(model.SpanModel{SpanContext: model.SpanContext{TraceID: model.TraceID{Low: 1}, ID: model.ID(i + 1)}, Name: prefix + strconv.Itoa(i)})
	}
}

func names(prefix string, from, to int) []string {
	var n []string
	for i := from; i < to; i++ {
		n = append(n, prefix+strconv.Itoa(i))
	}
	return n
}

func TestBatchReporterSendsAFullBatchAtOnce(t *testing.T) {
	c := newSpanCollector(t, true, 0)
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewNopLogger(), 10, time.Hour, 100)
	sendSpans(r, "s", 25)
	require.Eventually(t, func() bool { got, _ := c.received(); return len(got) >= 10 }, 5*time.Second, time.Millisecond,
		"a full batch is sent without waiting for the interval")
	require.NoError(t, r.Close())
	got, batches := c.received()
	assert.Equal(t, names("s", 0, 25), got, "every span, once, in order")
	assert.LessOrEqual(t, batches, 3)
}

func TestBatchReporterSendsEveryInterval(t *testing.T) {
	c := newSpanCollector(t, true, 0)
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewNopLogger(), 100, 20*time.Millisecond, 100)
	defer r.Close()
	sendSpans(r, "s", 3)
	require.Eventually(t, func() bool { got, _ := c.received(); return len(got) == 3 }, 5*time.Second, time.Millisecond,
		"a batch that is not full goes out within the interval")
}

// TestBatchReporterKeepsWhatItCantSend: with the collector unreachable, the
// spans are kept, up to the backlog, the oldest dropped first, and sent once
// it is back; the failures are logged.
func TestBatchReporterKeepsWhatItCantSend(t *testing.T) {
	c := newSpanCollector(t, false, 0)
	var logged logBuffer
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewLogfmtLogger(&logged), 10, 10*time.Millisecond, 30)
	sendSpans(r, "s", 45)
	require.Eventually(t, func() bool { return strings.Contains(logged.String(), "failed to send the request") },
		5*time.Second, time.Millisecond)
	c.accept.Store(true)
	require.NoError(t, r.Close())
	got, _ := c.received()
	assert.Equal(t, names("s", 15, 45), got, "the newest 30 spans, each once")
	assert.Contains(t, logged.String(), c.url(), "the failure names the collector")
	assert.Contains(t, logged.String(), `msg="backlog too long: the oldest spans are dropped"`)
}

// TestBatchReporterKeepsTheOrderAfterAFailure: the spans that come in while
// a send fails go after the ones it failed to send.
func TestBatchReporterKeepsTheOrderAfterAFailure(t *testing.T) {
	c := newSpanCollector(t, false, 0)
	c.hold = make(chan struct{})
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewNopLogger(), 10, time.Hour, 100)
	sendSpans(r, "s", 10) // a full batch: on its way
	require.Eventually(t, func() bool { return c.requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	sendSpans(r, "t", 5) // while it is
	close(c.hold)        // it fails
	c.accept.Store(true)
	require.NoError(t, r.Close())
	got, _ := c.received()
	assert.Equal(t, append(names("s", 0, 10), names("t", 0, 5)...), got)
}

// TestBatchReporterTriesOnceAnIntervalAfterAFailure: spans keep coming
// while the collector is down, a full batch and more, and the reporter
// tries again once an interval, not at each span.
func TestBatchReporterTriesOnceAnIntervalAfterAFailure(t *testing.T) {
	c := newSpanCollector(t, false, 0)
	const interval = 100 * time.Millisecond
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewNopLogger(), 10, interval, 10000)
	begin := time.Now()
	sendSpans(r, "first", 10) // a full batch: sent at once, and fails
	require.Eventually(t, func() bool { return c.requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	for time.Since(begin) < 3*interval {
		sendSpans(r, "more", 10)
		time.Sleep(time.Millisecond)
	}
	took := time.Since(begin)
	tries := c.requests.Load()
	assert.LessOrEqual(t, tries, int64(took/interval)+2, "%d tries in %v", tries, took)
	c.accept.Store(true)
	require.NoError(t, r.Close())
}

// TestBatchReporterDropsWhatTheCollectorRefuses: a batch answered with an
// error is logged and not sent again.
func TestBatchReporterDropsWhatTheCollectorRefuses(t *testing.T) {
	c := newSpanCollector(t, false, http.StatusInternalServerError)
	var logged logBuffer
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewLogfmtLogger(&logged), 10, 10*time.Millisecond, 100)
	sendSpans(r, "old", 10)
	require.Eventually(t, func() bool { return strings.Contains(logged.String(), "status code 500") },
		5*time.Second, time.Millisecond)
	c.accept.Store(true)
	sendSpans(r, "new", 2)
	require.NoError(t, r.Close())
	got, _ := c.received()
	assert.Equal(t, names("new", 0, 2), got)
	assert.Contains(t, logged.String(), `msg="failed the request with status code 500"`)
}

// TestBatchReporterClose: Close sends what is left and says if that failed;
// a second Close returns at once, and a span sent after Close is dropped.
func TestBatchReporterClose(t *testing.T) {
	c := newSpanCollector(t, false, 0)
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewNopLogger(), 100, time.Hour, 100)
	sendSpans(r, "s", 3)
	err := r.Close()
	require.Error(t, err, "the last send failed")
	assert.Equal(t, err, r.Close())
	sendSpans(r, "late", 1)

	c2 := newSpanCollector(t, true, 0)
	r2 := newBatchReporter(c2.url(), c2.Client(), spanJSON{}, log.NewNopLogger(), 100, time.Hour, 100)
	sendSpans(r2, "s", 3)
	require.NoError(t, r2.Close())
	got, _ := c2.received()
	assert.Equal(t, names("s", 0, 3), got, "the last spans are sent on Close")
	sendSpans(r2, "late", 1)
	r2.mu.Lock()
	assert.Empty(t, r2.batch, "a span sent after Close is dropped, not kept")
	r2.mu.Unlock()
}

// TestBatchReporterTakesSpansFromManyGoroutines sends from 8 goroutines at
// once (under -race): every span arrives once.
func TestBatchReporterTakesSpansFromManyGoroutines(t *testing.T) {
	c := newSpanCollector(t, true, 0)
	r := newBatchReporter(c.url(), c.Client(), spanJSON{}, log.NewNopLogger(), 50, 5*time.Millisecond, 10000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() { sendSpans(r, strconv.Itoa(g)+"-", 500) })
	}
	wg.Wait()
	require.NoError(t, r.Close())
	got, _ := c.received()
	assert.Len(t, got, 8*500)
	seen := map[string]bool{}
	for _, n := range got {
		assert.False(t, seen[n], "%s twice", n)
		seen[n] = true
	}
}

// BenchmarkReporterSend compares zipkin-go's HTTP reporter with
// batchReporter: the cost of handing a finished span over, from 8
// goroutines per processor, to a collector that takes everything.
func BenchmarkReporterSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	span := model.SpanModel{SpanContext: model.SpanContext{TraceID: model.TraceID{Low: 1}, ID: 2}, Name: "sum", Duration: time.Microsecond}
	for _, c := range []struct {
		name string
		new  func() reporter.Reporter
	}{
		{"zipkin-go", func() reporter.Reporter {
			return zipkinhttp.NewReporter(srv.URL, zipkinhttp.Serializer(spanJSON{}), zipkinhttp.MaxBacklog(maxBacklog),
				zipkinhttp.Logger(stdlog.New(io.Discard, "", 0)))
		}},
		{"batchReporter", func() reporter.Reporter {
			return newBatchReporter(srv.URL, srv.Client(), spanJSON{}, log.NewNopLogger(), batchSize, batchInterval, maxBacklog)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := c.new()
			defer r.Close()
			b.SetParallelism(8)
			b.ReportAllocs()
			b.RunParallel(func(loop *testing.PB) {
				for loop.Next() {
					r.Send(span)
				}
			})
		})
	}
}
