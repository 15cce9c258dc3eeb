// Command spansink is a stand-in Zipkin collector for the load test: it
// accepts spans at POST /api/v2/spans, as Zipkin and Jaeger do, counts them
// and throws them away. It prints the address it listens on first, and what it
// received when it stops (SIGINT or SIGTERM), on standard output.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		fmt.Fprintf(os.Stderr, "spansink: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string) error {
	var posts, spans, bytesIn atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/spans", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		posts.Add(1)
		bytesIn.Add(int64(len(body)))
		spans.Add(int64(bytes.Count(body, []byte(`"traceId"`))))
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	fmt.Printf("received %d spans in %d posts, %d bytes\n", spans.Load(), posts.Load(), bytesIn.Load())
	return nil
}
