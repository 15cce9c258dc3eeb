package addsvc_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/go-logfmt/logfmt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step04-service-layer/addsvc"
)

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

// decodeLogfmt reads logfmt lines into one key/value map per line.
func decodeLogfmt(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	var records []map[string]string
	dec := logfmt.NewDecoder(bytes.NewReader(b))
	for dec.ScanRecord() {
		rec := map[string]string{}
		for dec.ScanKeyval() {
			rec[string(dec.Key())] = string(dec.Value())
		}
		records = append(records, rec)
	}
	require.NoError(t, dec.Err())
	return records
}

type ctxKey struct{}

func TestLoggingMiddleware(t *testing.T) {
	tests := []struct {
		name string
		call func(addsvc.Service) (any, error)
		stub stubService
		want map[string]string // the logged keys, but for took
	}{
		{
			"sum", func(s addsvc.Service) (any, error) { return s.Sum(context.Background(), 1, 2) },
			stubService{sum: 3},
			map[string]string{"method": "Sum", "a": "1", "b": "2", "v": "3", "err": "null"},
		},
		{
			"sum error", func(s addsvc.Service) (any, error) { return s.Sum(context.Background(), 0, 0) },
			stubService{err: addsvc.ErrTwoZeroes},
			map[string]string{"method": "Sum", "a": "0", "b": "0", "v": "0", "err": "can't sum two zeroes"},
		},
		{
			"concat", func(s addsvc.Service) (any, error) { return s.Concat(context.Background(), "a b", "ü") },
			stubService{concat: "a bü"},
			map[string]string{"method": "Concat", "a": "a b", "b": "ü", "v": "a bü", "err": "null"},
		},
		{
			"concat error", func(s addsvc.Service) (any, error) { return s.Concat(context.Background(), "x", "y") },
			stubService{err: errDatabase},
			map[string]string{"method": "Concat", "a": "x", "b": "y", "v": "", "err": "database unreachable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			stub := tt.stub
			svc := addsvc.NewLoggingMiddleware(log.NewLogfmtLogger(&buf))(&stub)

			v, err := tt.call(svc)
			// The result and the error pass through unchanged.
			wantV, wantErr := tt.call(&stub)
			assert.Equal(t, wantV, v)
			assert.Equal(t, wantErr, err)

			records := decodeLogfmt(t, buf.Bytes())
			require.Len(t, records, 1)
			took, err := time.ParseDuration(records[0]["took"])
			require.NoError(t, err, "took=%q", records[0]["took"])
			assert.GreaterOrEqual(t, took, time.Duration(0))
			delete(records[0], "took")
			assert.Equal(t, tt.want, records[0])
		})
	}
}

func TestMiddlewaresPassTheContextOn(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "request-42")
	for name, mw := range map[string]addsvc.Middleware{
		"logging": addsvc.NewLoggingMiddleware(log.NewNopLogger()),
		"instrumenting": addsvc.NewInstrumentingMiddleware(
			kitprometheus.NewCounter(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "i"}, nil)),
			kitprometheus.NewCounter(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, nil)),
		),
	} {
		t.Run(name, func(t *testing.T) {
			stub := &stubService{sum: 1, concat: "x"}
			svc := mw(stub)
			_, _ = svc.Sum(ctx, 1, 2)
			assert.Equal(t, "request-42", stub.ctx.Value(ctxKey{}))
			stub.ctx = nil
			_, _ = svc.Concat(ctx, "a", "b")
			assert.Equal(t, "request-42", stub.ctx.Value(ctxKey{}))
		})
	}
}

func TestInstrumentingMiddleware(t *testing.T) {
	reg := prometheus.NewRegistry()
	ints := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addsvc_integers_summed_total"}, nil)
	chars := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addsvc_characters_concatenated_total"}, nil)
	reg.MustRegister(ints, chars)
	svc := addsvc.NewInstrumentingMiddleware(kitprometheus.NewCounter(ints), kitprometheus.NewCounter(chars))(addsvc.NewBasicService())
	ctx := context.Background()

	calls := []struct {
		call    func() (any, error)
		want    any
		wantErr error
	}{
		{func() (any, error) { return svc.Sum(ctx, 1, 2) }, 3, nil},
		{func() (any, error) { return svc.Sum(ctx, -10, -20) }, -30, nil}, // a negative sum must not panic
		{func() (any, error) { return svc.Sum(ctx, 0, 0) }, 0, addsvc.ErrTwoZeroes},
		{func() (any, error) { return svc.Sum(ctx, intMax, 1) }, 0, addsvc.ErrIntOverflow},
		{func() (any, error) { return svc.Concat(ctx, "ab", "c") }, "abc", nil},
		{func() (any, error) { return svc.Concat(ctx, "日本", "語") }, "日本語", nil},
		{func() (any, error) { return svc.Concat(ctx, "0123456789", "x") }, "", addsvc.ErrMaxSizeExceeded},
	}
	for _, c := range calls {
		v, err := c.call()
		assert.Equal(t, c.want, v)
		assert.Equal(t, c.wantErr, err)
	}
	assert.Equal(t, 4.0, testutil.ToFloat64(ints), "two successful sums of two integers")
	assert.Equal(t, 6.0, testutil.ToFloat64(chars), `"abc" and "日本語"`)
}
