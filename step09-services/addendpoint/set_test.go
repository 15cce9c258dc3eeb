package addendpoint_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics/discard"
	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

func TestSetIsTheService(t *testing.T) {
	// The endpoints, in all their middlewares, answer as the service does.
	var svc addservice.Service = addendpoint.New(addservice.NewBasicService(), log.NewNopLogger(), discard.NewHistogram(), nopTracer(t), roomy)
	ctx := context.Background()
	sums := []struct {
		a, b, want int
		wantErr    error
	}{
		{1, 2, 3, nil},
		{-7, -8, -15, nil},
		{0, 0, 0, addservice.ErrTwoZeroes},
		{1<<31 - 1, 1, 0, addservice.ErrIntOverflow},
	}
	for _, tt := range sums {
		v, err := svc.Sum(ctx, tt.a, tt.b)
		assert.Equal(t, tt.want, v, "%d+%d", tt.a, tt.b)
		assert.Equal(t, tt.wantErr, err, "%d+%d", tt.a, tt.b)
	}
	concats := []struct {
		a, b, want string
		wantErr    error
	}{
		{"x", "y", "xy", nil},
		{"hello", "world", "helloworld", nil},
		{"ééééé", "a", "", addservice.ErrMaxSizeExceeded},
	}
	for _, tt := range concats {
		v, err := svc.Concat(ctx, tt.a, tt.b)
		assert.Equal(t, tt.want, v, "%q+%q", tt.a, tt.b)
		assert.Equal(t, tt.wantErr, err, "%q+%q", tt.a, tt.b)
	}
}

func TestEndpointsCarryBusinessErrorsInTheResponse(t *testing.T) {
	ctx := context.Background()
	sum := addendpoint.MakeSumEndpoint(addservice.NewBasicService())

	resp, err := sum(ctx, addendpoint.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	assert.Equal(t, addendpoint.SumResponse{V: 3}, resp)

	resp, err = sum(ctx, addendpoint.SumRequest{A: 0, B: 0})
	require.NoError(t, err, "a broken rule is not a failure of the endpoint")
	assert.Equal(t, addservice.ErrTwoZeroes, resp.(endpoint.Failer).Failed())

	concat := addendpoint.MakeConcatEndpoint(addservice.NewBasicService())
	resp, err = concat(ctx, addendpoint.ConcatRequest{A: "0123456789", B: "!"})
	require.NoError(t, err)
	assert.Equal(t, addservice.ErrMaxSizeExceeded, resp.(endpoint.Failer).Failed())

	// Any other error is the endpoint's own.
	resp, err = addendpoint.MakeSumEndpoint(&stubService{err: errDatabase})(ctx, addendpoint.SumRequest{A: 1, B: 2})
	assert.Equal(t, errDatabase, err)
	assert.Nil(t, resp)
	resp, err = addendpoint.MakeConcatEndpoint(&stubService{err: errDatabase})(ctx, addendpoint.ConcatRequest{})
	assert.Equal(t, errDatabase, err)
	assert.Nil(t, resp)
}

func TestNewObservesEveryCall(t *testing.T) {
	reg := prometheus.NewRegistry()
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "addsvc_request_duration_seconds"}, []string{"method", "success"})
	reg.MustRegister(hv)
	var buf bytes.Buffer
	svc := addendpoint.New(addservice.NewBasicService(), log.NewLogfmtLogger(&buf), kitprometheus.NewHistogram(hv), nopTracer(t),
		addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 2})
	ctx := context.Background()

	_, _ = svc.Sum(ctx, 1, 2)           // success
	_, _ = svc.Sum(ctx, 0, 0)           // broken rule
	_, _ = svc.Sum(ctx, 1, 2)           // limited
	_, _ = svc.Concat(ctx, "a", "b")    // success
	_, err := svc.Concat(ctx, "c", "d") // success
	require.NoError(t, err)

	assert.Equal(t, map[string]uint64{
		`method="Sum",success="true"`:    1,
		`method="Sum",success="false"`:   2,
		`method="Concat",success="true"`: 2,
	}, histogramCounts(t, reg, "addsvc_request_duration_seconds"))

	var logged []string
	for _, rec := range decodeLogfmt(t, buf.Bytes()) {
		logged = append(logged, rec["method"]+" "+rec["err"])
	}
	// The refusal is left to the transports, which count refusals.
	assert.Equal(t, []string{"Sum null", "Sum can't sum two zeroes", "Concat null", "Concat null"}, logged)
}

func TestNewRefusesCallsWhoseContextIsDone(t *testing.T) {
	reg := prometheus.NewRegistry()
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "addsvc_request_duration_seconds"}, []string{"method", "success"})
	reg.MustRegister(hv)
	var buf bytes.Buffer
	svc := &stubService{sum: 3, concat: "xy"}
	set := addendpoint.New(svc, log.NewLogfmtLogger(&buf), kitprometheus.NewHistogram(hv), nopTracer(t),
		addendpoint.Limits{Rate: rate.Every(time.Hour), Burst: 1})

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for range 3 {
		_, err := set.Sum(cancelled, 1, 2)
		assert.ErrorIs(t, err, context.Canceled)
		_, err = set.Concat(expired, "x", "y")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Nil(t, svc.ctx, "the service was never called")
	assert.Empty(t, histogramCounts(t, reg, "addsvc_request_duration_seconds"), "nothing observed")
	assert.Empty(t, buf.String(), "nothing logged")

	// No token was taken: the one token of each bucket is still there.
	v, err := set.Sum(context.Background(), 1, 2)
	require.NoError(t, err)
	assert.Equal(t, 3, v)
	s, err := set.Concat(context.Background(), "x", "y")
	require.NoError(t, err)
	assert.Equal(t, "xy", s)
}
