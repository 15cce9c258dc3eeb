package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
)

// batchReporter sends spans to a Zipkin collector over HTTP, in batches, as
// zipkin-go's reporter/http does, and keeps to its rules: a batch goes out
// once it holds batchSize spans, or every batchInterval; a batch that can't
// be sent is kept and sent again with the next, up to maxBacklog spans, the
// oldest dropped first; a batch that the collector refuses is dropped. Its
// failures go to a logger. While a batch is on its way, up to maxBacklog more
// spans wait: it holds at most twice maxBacklog.
//
// It differs in two ways. How a span comes in: zipkin-go's reporter hands
// each one to its own goroutine over an unbuffered channel, a switch between
// goroutines for every span, three a request here; this one appends the span
// to the batch under a lock, and its goroutine wakes once a batch, not once
// a span. And after a failed send it tries again once an interval, where
// zipkin-go's tries again at every new span once it holds a batch: a
// thousand tries a second at a collector that is down, each with the whole
// backlog.
type batchReporter struct {
	url        string
	client     *http.Client
	serializer reporter.SpanSerializer
	logger     log.Logger
	batchSize  int
	interval   time.Duration
	maxBacklog int

	mu     sync.Mutex
	batch  []*model.SpanModel
	closed bool

	full chan struct{} // a batch is full: wakes the goroutine (one token at most)
	quit chan struct{} // closed by Close
	done chan struct{} // closed once the goroutine has sent the last batch
	err  error         // of the last send, once done is closed
}

var _ reporter.Reporter = (*batchReporter)(nil)

// Zipkin-go's rules for a batch.
const (
	batchSize     = 100         // spans
	batchInterval = time.Second // at most between two sends
)

// newBatchReporter returns a reporter that sends spans to the collector at
// url with client, in batches of size spans or every interval, keeps at most
// maxBacklog spans waiting, and logs its failures to logger. Close it to send
// the last spans.
func newBatchReporter(url string, client *http.Client, serializer reporter.SpanSerializer, logger log.Logger, size int, interval time.Duration, maxBacklog int) *batchReporter {
	r := &batchReporter{
		url:        url,
		client:     client,
		serializer: serializer,
		logger:     logger,
		batchSize:  size,
		interval:   interval,
		maxBacklog: maxBacklog,
		full:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	go r.loop()
	return r
}

// Send adds a finished span to the batch. After Close, it drops the span.
func (r *batchReporter) Send(s model.SpanModel) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.batch = append(r.batch, &s)
	dropped := r.trimLocked()
	full := len(r.batch) >= r.batchSize
	r.mu.Unlock()
	if dropped > 0 {
		r.logger.Log("msg", "backlog too long: the oldest spans are dropped")
	}
	if full {
		select {
		case r.full <- struct{}{}:
		default: // already woken
		}
	}
}

// trimLocked drops the oldest spans beyond maxBacklog, with r.mu held, and
// returns how many.
func (r *batchReporter) trimLocked() int {
	over := len(r.batch) - r.maxBacklog
	if over <= 0 {
		return 0
	}
	clear(r.batch[:over]) // so that the garbage collector can take them
	r.batch = r.batch[over:]
	return over
}

// Close sends the spans left, and returns the error of that last send. It
// waits for the send in flight first: give up on it with closeWithin.
func (r *batchReporter) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.quit)
	}
	r.mu.Unlock()
	<-r.done
	return r.err
}

// loop sends a batch when one is full, and every interval, until Close.
// After a failed send, it waits for the interval: a batch filling up again
// does not call for another try at a collector that is down.
func (r *batchReporter) loop() {
	defer close(r.done)
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	var failed bool
	for {
		select {
		case <-r.full:
			if failed {
				continue
			}
		case <-ticker.C:
		case <-r.quit:
			r.err = r.send()
			return
		}
		failed = r.send() != nil
	}
}

// send sends the spans held, if any. If they can't be sent, it keeps them
// for the next send; if the collector refuses them, they are lost.
func (r *batchReporter) send() error {
	r.mu.Lock()
	spans := r.batch
	r.batch = make([]*model.SpanModel, 0, max(r.batchSize, len(spans)))
	r.mu.Unlock()
	if len(spans) == 0 {
		return nil
	}
	err := r.post(spans)
	if err != nil {
		r.logger.Log("msg", "failed to send the request: "+err.Error())
		r.mu.Lock()
		r.batch = append(spans, r.batch...) // older first
		dropped := r.trimLocked()
		r.mu.Unlock()
		if dropped > 0 {
			r.logger.Log("msg", "backlog too long: the oldest spans are dropped")
		}
	}
	return err
}

// post sends spans to the collector in one request, within sendTimeout. An
// answer other than 2xx is logged, not returned: the collector has the spans
// and refuses them, and sending them again would not help.
func (r *batchReporter) post(spans []*model.SpanModel) error {
	body, err := r.serializer.Serialize(spans)
	if err != nil {
		return fmt.Errorf("serialize %d spans: %w", len(spans), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", r.serializer.ContentType())
	req.Header.Set("b3", "0") // the collector must not trace the request that carries the spans
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // so that the connection is used again
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.logger.Log("msg", fmt.Sprintf("failed the request with status code %d", resp.StatusCode))
	}
	return nil
}
