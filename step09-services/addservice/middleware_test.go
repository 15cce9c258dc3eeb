package addservice_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

func TestLoggingMiddleware(t *testing.T) {
	tests := []struct {
		name string
		call func(addservice.Service) (any, error)
		stub stubService
		want map[string]string // the logged keys, but for took
	}{
		{
			"sum", func(s addservice.Service) (any, error) { return s.Sum(context.Background(), 1, 2) },
			stubService{sum: 3},
			map[string]string{"method": "Sum", "a": "1", "b": "2", "v": "3", "err": "null"},
		},
		{
			"sum error", func(s addservice.Service) (any, error) { return s.Sum(context.Background(), 0, 0) },
			stubService{err: addservice.ErrTwoZeroes},
			map[string]string{"method": "Sum", "a": "0", "b": "0", "v": "0", "err": "can't sum two zeroes"},
		},
		{
			"concat", func(s addservice.Service) (any, error) { return s.Concat(context.Background(), "a b", "ü") },
			stubService{concat: "a bü"},
			map[string]string{"method": "Concat", "a": "a b", "b": "ü", "v": "a bü", "err": "null"},
		},
		{
			"concat error", func(s addservice.Service) (any, error) { return s.Concat(context.Background(), "x", "y") },
			stubService{err: errDatabase},
			map[string]string{"method": "Concat", "a": "x", "b": "y", "v": "", "err": "database unreachable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			stub := tt.stub
			svc := addservice.LoggingMiddleware(log.NewLogfmtLogger(&buf))(&stub)

			v, err := tt.call(svc)
			// The result and the error pass through unchanged.
			wantV, wantErr := tt.call(&stub)
			assert.Equal(t, wantV, v)
			assert.Equal(t, wantErr, err)

			records := decodeLogfmt(t, buf.Bytes())
			require.Len(t, records, 1)
			_, err = time.ParseDuration(records[0]["took"])
			require.NoError(t, err, "took=%q", records[0]["took"])
			delete(records[0], "took")
			assert.Equal(t, tt.want, records[0])
		})
	}
}

func TestMiddlewaresPassTheContextOn(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "request-42")
	for name, mw := range map[string]addservice.Middleware{
		"logging": addservice.LoggingMiddleware(log.NewNopLogger()),
		"instrumenting": addservice.InstrumentingMiddleware(
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
	svc := addservice.InstrumentingMiddleware(kitprometheus.NewCounter(ints), kitprometheus.NewCounter(chars))(addservice.NewBasicService())
	ctx := context.Background()

	calls := []struct {
		call    func() (any, error)
		want    any
		wantErr error
	}{
		{func() (any, error) { return svc.Sum(ctx, 1, 2) }, 3, nil},
		{func() (any, error) { return svc.Sum(ctx, -10, -20) }, -30, nil}, // a negative sum must not panic
		{func() (any, error) { return svc.Sum(ctx, 0, 0) }, 0, addservice.ErrTwoZeroes},
		{func() (any, error) { return svc.Sum(ctx, intMax, 1) }, 0, addservice.ErrIntOverflow},
		{func() (any, error) { return svc.Concat(ctx, "ab", "c") }, "abc", nil},
		{func() (any, error) { return svc.Concat(ctx, "日本", "語") }, "日本語", nil},
		{func() (any, error) { return svc.Concat(ctx, "0123456789", "x") }, "", addservice.ErrMaxSizeExceeded},
	}
	for _, c := range calls {
		v, err := c.call()
		assert.Equal(t, c.want, v)
		assert.Equal(t, c.wantErr, err)
	}
	assert.Equal(t, 4.0, testutil.ToFloat64(ints), "two successful sums of two integers")
	assert.Equal(t, 12.0, testutil.ToFloat64(chars), `"abc" and "日本語": 3 + 9 bytes`)
}
