package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// collector returns the URL of a stand-in for a Zipkin collector that
// behaves as mode says: "down" (nothing listens), "hanging" (accepts and
// never answers), "500" (answers with an error) or "slow" (answers after
// 3 s).
func collector(t *testing.T, mode string) string {
	t.Helper()
	if mode == "down" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/api/v2/spans"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch mode {
		case "hanging":
			<-r.Context().Done()
		case "500":
			http.Error(w, "collector failure", http.StatusInternalServerError)
		case "slow":
			select {
			case <-time.After(3 * time.Second):
				w.WriteHeader(http.StatusAccepted)
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v2/spans"
}

func TestCLIAddsAtMostASecondWhateverTheCollectorDoes(t *testing.T) {
	httpAddr, _ := serve(t, addservice.NewBasicService())
	for _, mode := range []string{"down", "hanging", "500", "slow"} {
		t.Run(mode, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			begin := time.Now()
			code := run([]string{"-http-addr", httpAddr, "-zipkin-url", collector(t, mode), "sum", "1", "2"}, &stdout, &stderr)
			took := time.Since(begin)
			t.Logf("collector %s: addcli took %v; stderr: %s", mode, took.Round(time.Millisecond), stderr.String())
			assert.Equal(t, exitOK, code, "the call's result stands")
			assert.Equal(t, "3\n", stdout.String())
			assert.Less(t, took, time.Second+200*time.Millisecond, "the call takes milliseconds; the spans at most a second")
		})
	}
}
