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

	"github.com/go-kit/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokit-workshop/workshop/step09-services/pb"

	"github.com/gokit-workshop/workshop/step09-services/svckit"
)

// benchListening finds the HTTP and the gRPC address in the service's log.
var (
	benchListening     = regexp.MustCompile(`listening on http://(\S+?)"?\n`)
	benchListeningGRPC = regexp.MustCompile(`listening for gRPC on (\S+?)"?\n`)
)

// startBenchService calls run as main does, with args, its log written to a
// file as when a person redirects it, and its rate limits lifted. It returns
// the HTTP and the gRPC address once the service listens, and stops the
// service when the benchmark ends.
func startBenchService(b *testing.B, args ...string) (httpAddr, grpcAddr string) {
	b.Helper()
	logFile, err := os.Create(filepath.Join(b.TempDir(), "addsvc.log"))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args = append([]string{
		"-http-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0",
		"-rate-limit", "1e9", "-rate-burst", "1000000000",
	}, args...)
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
			return string(m[1]), string(benchListeningGRPC.FindSubmatch(logged)[1])
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
	httpAddr, _ := startBenchService(b)
	url := "http://" + httpAddr + "/sum"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8 * runtime.GOMAXPROCS(0)}}
	defer client.CloseIdleConnections()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer() // the start is not a round trip: the log says it listens within logFlushPeriod
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

// BenchmarkGRPC measures gRPC round trips over loopback: Add/Sum through
// everything that the command composes, with the generated client. Eight
// calls per processor are in flight at once on one connection, as in
// BenchmarkHTTP.
func BenchmarkGRPC(b *testing.B) {
	_, grpcAddr := startBenchService(b)
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewAddClient(conn)
	ctx := context.Background()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer() // the start is not a round trip: the log says it listens within logFlushPeriod
	b.RunParallel(func(loop *testing.PB) {
		for loop.Next() {
			rep, err := client.Sum(ctx, &pb.SumRequest{A: 1, B: 2})
			if err != nil || rep.GetV() != 3 {
				b.Errorf("Sum(1, 2) = %v, %v; want 3", rep, err)
				return
			}
		}
	})
}

// BenchmarkLogPath measures the log lines of a served request, the service's
// and the endpoint's, as their middlewares log them, through the logger that
// run builds, to a file, with eight requests per processor at once: over
// log.NewSyncWriter (a write system call a line) and over zap's
// BufferedWriteSyncer (newLogWriter). It reports the processor time that
// the lines take too, cpu-ns/op, which a busy machine does not lengthen as
// it does ns/op.
func BenchmarkLogPath(b *testing.B) {
	for _, bc := range []struct {
		name   string
		writer func(io.Writer) (io.Writer, func() error)
	}{
		{"SyncWriter", func(w io.Writer) (io.Writer, func() error) { return log.NewSyncWriter(w), func() error { return nil } }},
		{"BufferedWriteSyncer", func(w io.Writer) (io.Writer, func() error) { bw := svckit.NewLogWriter(w); return bw, bw.Stop }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "addsvc.log"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			w, stop := bc.writer(f)
			defer stop()
			logger := svckit.NewLogger(w)
			service := log.With(logger, "layer", "service")
			endpoint := log.With(logger, "layer", "endpoint", "method", "Sum")
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			cpu, ok := processCPU()
			b.RunParallel(func(loop *testing.PB) {
				for loop.Next() {
					service.Log("method", "Sum", "a", 1, "b", 2, "v", 3, "err", nil, "took", 391*time.Nanosecond)
					endpoint.Log("err", nil, "took", 156875*time.Nanosecond)
				}
			})
			if end, ok2 := processCPU(); ok && ok2 {
				b.ReportMetric(float64(end-cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
