package addtransport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-kit/kit/metrics/discard"
	"github.com/go-kit/log"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step05-endpoints/addendpoint"
	"github.com/gokit-workshop/workshop/step05-endpoints/addservice"
	"github.com/gokit-workshop/workshop/step05-endpoints/addtransport"
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

// roomy limits are never reached by a test that does not mean to.
var roomy = addendpoint.Limits{Rate: rate.Inf}

// newHandler returns the HTTP transport over the endpoints of svc.
func newHandler(svc addservice.Service, limits addendpoint.Limits) http.Handler {
	return addtransport.NewHTTPHandler(addendpoint.New(svc, log.NewNopLogger(), discard.NewHistogram(), limits))
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(addservice.NewBasicService(), roomy))
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

// sequenceService answers its calls with the errors in errs, in turn: the
// sum 3 (or the string "xy") when the error is nil.
type sequenceService struct {
	mu   sync.Mutex
	errs []error
}

func (s *sequenceService) next() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

func (s *sequenceService) Sum(context.Context, int, int) (int, error) {
	if err := s.next(); err != nil {
		return 0, err
	}
	return 3, nil
}

func (s *sequenceService) Concat(context.Context, string, string) (string, error) {
	if err := s.next(); err != nil {
		return "", err
	}
	return "xy", nil
}
