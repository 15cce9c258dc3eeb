package svckit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-kit/log"
	oklogrun "github.com/oklog/run"
	"google.golang.org/grpc"
)

// Serve runs both servers as a group (github.com/oklog/run, slide 82) until
// ctx is done or one of them fails; a nil grpcServer is left out. Then it stops both at once, gracefully:
// each lets its requests in flight finish, and cuts off those still running
// after shutdownTimeout.
func Serve(ctx context.Context, logger log.Logger, httpServer *http.Server, httpLn net.Listener, grpcServer *grpc.Server, grpcLn net.Listener, shutdownTimeout time.Duration) error {
	var g oklogrun.Group
	g.Add(oklogrun.ContextHandler(ctx))

	// Each interrupt starts its server's shutdown and returns, so that both
	// shut down side by side; each actor returns once its shutdown is done.
	httpDone := make(chan struct{})
	g.Add(func() error {
		if err := httpServer.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve HTTP: %w", err)
		}
		<-httpDone
		return nil
	}, func(error) {
		logger.Log("msg", "shutting down")
		go func() {
			defer close(httpDone)
			shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := httpServer.Shutdown(shutdownCtx); err != nil {
				httpServer.Close()
			}
		}()
	})

	grpcDone := make(chan struct{})
	if grpcServer != nil {
		g.Add(func() error {
			if err := grpcServer.Serve(grpcLn); err != nil {
				return fmt.Errorf("serve gRPC: %w", err)
			}
			<-grpcDone
			return nil
		}, func(error) {
			go func() {
				defer close(grpcDone)
				stopped := make(chan struct{})
				go func() {
					grpcServer.GracefulStop()
					close(stopped)
				}()
				select {
				case <-stopped:
				case <-time.After(shutdownTimeout):
					// Stop closes the connections; GracefulStop itself returns
					// only when the handlers that ignore their context end.
					grpcServer.Stop()
				}
			}()
		})
	}

	err := g.Run()
	logger.Log("msg", "stopped")
	if errors.Is(err, context.Canceled) {
		return nil // asked to stop: a clean shutdown
	}
	return err
}
