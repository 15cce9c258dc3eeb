package addtransport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step04-service-layer/addservice"
	"github.com/gokit-workshop/workshop/step04-service-layer/addtransport"
)

// response is what a test reads back from one HTTP call.
type response struct {
	status      int
	contentType string
	body        string
}

// post sends body to url with POST and reads the whole answer.
func post(t *testing.T, url, body string) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(addtransport.NewHTTPHandler(addservice.NewBasicService()))
	t.Cleanup(srv.Close)
	return srv
}

// stubService answers every call with the same values, and remembers the
// context it was given.
type stubService struct {
	sum    int
	concat string
	err    error
	ctx    context.Context
}

func (s *stubService) Sum(ctx context.Context, _, _ int) (int, error) {
	s.ctx = ctx
	return s.sum, s.err
}

func (s *stubService) Concat(ctx context.Context, _, _ string) (string, error) {
	s.ctx = ctx
	return s.concat, s.err
}

// errDatabase stands for any failure that is not a broken business rule.
var errDatabase = errors.New("database unreachable")
