package limits

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testMaxBody  = 1 << 20 // each body's cap
	testInFlight = 8 << 20 // BodyBytes's budget
	testFree     = 4 << 10 // of each body, not counted
)

// newBodyServer serves a handler that reads each body whole, behind
// BodyBytes, and answers 200, or the status of the read's error.
func newBodyServer(t *testing.T) *httptest.Server {
	t.Helper()
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(http.MaxBytesReader(w, r.Body, testMaxBody))
		var coder interface{ StatusCode() int }
		switch {
		case errors.As(err, &coder):
			http.Error(w, err.Error(), coder.StatusCode())
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	srv := httptest.NewServer(BodyBytes(read, testInFlight, testFree))
	t.Cleanup(srv.Close)
	return srv
}

// slowUpload starts a request to srv that sends head and then nothing more.
func slowUpload(t *testing.T, srv *httptest.Server, head string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = io.WriteString(c, head)
	require.NoError(t, err)
	return c
}

// postStatus posts body to srv, chunked (with no Content-Length) if
// chunked, and returns the status of the answer.
func postStatus(t *testing.T, srv *httptest.Server, body string, chunked bool) int {
	t.Helper()
	var rd io.Reader = strings.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // not a type whose length the client knows
	}
	resp, err := http.Post(srv.URL, "application/json", rd)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestSlowUploadsHoldOnlyWhatTheySent is the regression test of bodies
// without a Content-Length, which counted for the whole cap: a few slow
// uploads made small chunked requests answer 503.
func TestSlowUploadsHoldOnlyWhatTheySent(t *testing.T) {
	srv := newBodyServer(t)
	for range 2 * testInFlight / testMaxBody {
		slowUpload(t, srv, "POST / HTTP/1.1\r\nHost: addsvc\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
	}
	time.Sleep(200 * time.Millisecond) // for the server to start reading them
	assert.Equal(t, http.StatusOK, postStatus(t, srv, `{"a":"x","b":"y"}`, true))
	assert.Equal(t, http.StatusOK, postStatus(t, srv, `{"a":"x","b":"y"}`+strings.Repeat(" ", testMaxBody/2), true))
}

func TestBodyBytesBoundsTheBodiesReadAtOnce(t *testing.T) {
	srv := newBodyServer(t)
	// Callers that send nearly 1 MiB and stall: 8 of them fill the budget.
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: addsvc\r\nContent-Length: %d\r\n\r\n", testMaxBody)
	var slow []net.Conn
	for range testInFlight / testMaxBody {
		slow = append(slow, slowUpload(t, srv, head+strings.Repeat(" ", testMaxBody-1)))
	}
	large := strings.Repeat(" ", testMaxBody-100)
	require.Eventually(t, func() bool {
		return postStatus(t, srv, large, false) == http.StatusServiceUnavailable
	}, 5*time.Second, 10*time.Millisecond, "a ninth large body is refused")

	// Small bodies, as every valid request is, don't count.
	assert.Equal(t, http.StatusOK, postStatus(t, srv, `{"a":"x","b":"y"}`, false))

	for _, c := range slow {
		c.Close()
	}
	require.Eventually(t, func() bool {
		return postStatus(t, srv, large, false) == http.StatusOK
	}, 5*time.Second, 10*time.Millisecond, "the budget is given back")
}
