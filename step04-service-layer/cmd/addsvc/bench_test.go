package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchListening finds the HTTP address in the service's log.
var benchListening = regexp.MustCompile(`listening on http://(\S+?)"?\n`)

// startBenchService calls run as main does, with args and its log written to
// a file as when a person redirects it, and returns the HTTP address once it
// listens. The service stops when the benchmark ends.
func startBenchService(b *testing.B, args ...string) string {
	b.Helper()
	logFile, err := os.Create(filepath.Join(b.TempDir(), "addsvc.log"))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args = append([]string{"-http-addr", "127.0.0.1:0"}, args...)
	go func() { done <- run(ctx, args, logFile) }()
	b.Cleanup(func() {
		cancel()
		<-done
		logFile.Close()
	})
	deadline := time.After(10 * time.Second)
	for {
		logged, err := os.ReadFile(logFile.Name())
		if err != nil {
			b.Fatal(err)
		}
		if m := benchListening.FindSubmatch(logged); m != nil {
			return string(m[1])
		}
		select {
		case err := <-done:
			b.Fatalf("run returned before it listened: %v; its log:\n%s", err, logged)
		case <-deadline:
			b.Fatalf("run did not listen within 10s; its log:\n%s", logged)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// BenchmarkHTTP measures HTTP round trips over loopback: POST /sum through
// everything that the command composes, client included. Eight requests per
// processor are in flight at once, on kept-alive connections, so that the
// processors stay busy and ns/op follows the processor time that a round
// trip takes, client and server together, rather than loopback's latency.
func BenchmarkHTTP(b *testing.B) {
	url := "http://" + startBenchService(b) + "/sum"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8 * runtime.GOMAXPROCS(0)}}
	defer client.CloseIdleConnections()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(loop *testing.PB) {
		for loop.Next() {
			resp, err := client.Post(url, "application/json", strings.NewReader(`{"a":1,"b":2}`))
			if err != nil {
				b.Error(err)
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || string(body) != "{\"v\":3}\n" {
				b.Errorf("POST /sum answered %d %q, %v", resp.StatusCode, body, err)
				return
			}
		}
	})
}
