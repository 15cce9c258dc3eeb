package addsvc_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/metrics/discard"
	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/go-kit/kit/ratelimit"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step07-tracing/addsvc"
)

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

func TestEndpointsAreTheService(t *testing.T) {
	// The endpoints, in all their middlewares, answer as the service does.
	var svc addsvc.Service = addsvc.NewEndpoints(addsvc.NewBasicService(), log.NewNopLogger(), discard.NewHistogram(), nopTracer(t), roomy)
	for _, tt := range sumCases {
		v, err := svc.Sum(context.Background(), tt.a, tt.b)
		assert.Equal(t, tt.want, v, tt.name)
		assert.Equal(t, tt.wantErr, err, tt.name)
	}
	for _, tt := range concatCases {
		v, err := svc.Concat(context.Background(), tt.a, tt.b)
		assert.Equal(t, tt.want, v, tt.name)
		assert.Equal(t, tt.wantErr, err, tt.name)
	}
}

func TestEndpointsCarryBusinessErrorsInTheResponse(t *testing.T) {
	ctx := context.Background()
	sum := addsvc.MakeSumEndpoint(addsvc.NewBasicService())

	resp, err := sum(ctx, addsvc.SumRequest{A: 1, B: 2})
	require.NoError(t, err)
	assert.Equal(t, addsvc.SumResponse{V: 3}, resp)

	resp, err = sum(ctx, addsvc.SumRequest{A: 0, B: 0})
	require.NoError(t, err, "a broken rule is not a failure of the endpoint")
	assert.Equal(t, addsvc.ErrTwoZeroes, resp.(endpoint.Failer).Failed())

	concat := addsvc.MakeConcatEndpoint(addsvc.NewBasicService())
	resp, err = concat(ctx, addsvc.ConcatRequest{A: "0123456789", B: "!"})
	require.NoError(t, err)
	assert.Equal(t, addsvc.ErrMaxSizeExceeded, resp.(endpoint.Failer).Failed())

	// Any other error is the endpoint's own.
	resp, err = addsvc.MakeSumEndpoint(&stubService{err: errDatabase})(ctx, addsvc.SumRequest{A: 1, B: 2})
	assert.Equal(t, errDatabase, err)
	assert.Nil(t, resp)
	resp, err = addsvc.MakeConcatEndpoint(&stubService{err: errDatabase})(ctx, addsvc.ConcatRequest{})
	assert.Equal(t, errDatabase, err)
	assert.Nil(t, resp)
}

// fixedEndpoint answers every call with resp and err.
func fixedEndpoint(resp any, err error) endpoint.Endpoint {
	return func(context.Context, any) (any, error) { return resp, err }
}

// endpointCases are the three kinds of outcome an endpoint middleware sees.
var endpointCases = []struct {
	name    string
	resp    any
	err     error
	wantErr string // the logged err
	success string // the success label
}{
	{"success", addsvc.SumResponse{V: 3}, nil, "null", "true"},
	{"business error", addsvc.SumResponse{Err: addsvc.ErrTwoZeroes}, nil, "can't sum two zeroes", "false"},
	{"endpoint error", nil, ratelimit.ErrLimited, "rate limit exceeded", "false"},
}

func TestLoggingEndpointMiddleware(t *testing.T) {
	for _, tt := range endpointCases {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := addsvc.LoggingEndpointMiddleware(log.NewLogfmtLogger(&buf))(fixedEndpoint(tt.resp, tt.err))
			resp, err := e(context.Background(), addsvc.SumRequest{})
			assert.Equal(t, tt.resp, resp)
			assert.Equal(t, tt.err, err)

			records := decodeLogfmt(t, buf.Bytes())
			require.Len(t, records, 1)
			assert.Equal(t, tt.wantErr, records[0]["err"])
			took, err := time.ParseDuration(records[0]["took"])
			require.NoError(t, err)
			assert.GreaterOrEqual(t, took, time.Duration(0))
			assert.Len(t, records[0], 2, "only err and took: %v", records[0])
		})
	}
}

func TestInstrumentingEndpointMiddleware(t *testing.T) {
	reg := prometheus.NewRegistry()
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "addsvc_request_duration_seconds"}, []string{"method", "success"})
	reg.MustRegister(hv)
	duration := kitprometheus.NewHistogram(hv).With("method", "Sum")

	for _, tt := range endpointCases {
		e := addsvc.InstrumentingEndpointMiddleware(duration)(fixedEndpoint(tt.resp, tt.err))
		for range 3 {
			resp, err := e(context.Background(), addsvc.SumRequest{})
			assert.Equal(t, tt.resp, resp)
			assert.Equal(t, tt.err, err)
		}
	}
	assert.Equal(t, map[string]uint64{
		`method="Sum",success="true"`:  3,
		`method="Sum",success="false"`: 6,
	}, histogramCounts(t, reg, "addsvc_request_duration_seconds"))
}

func TestNewEndpointsObservesEveryCall(t *testing.T) {
	reg := prometheus.NewRegistry()
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "addsvc_request_duration_seconds"}, []string{"method", "success"})
	reg.MustRegister(hv)
	var buf bytes.Buffer
	svc := addsvc.NewEndpoints(addsvc.NewBasicService(), log.NewLogfmtLogger(&buf), kitprometheus.NewHistogram(hv), nopTracer(t),
		addsvc.Limits{Rate: rate.Every(time.Hour), Burst: 2})
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
	assert.Equal(t, []string{"Sum null", "Sum can't sum two zeroes", "Sum rate limit exceeded", "Concat null", "Concat null"}, logged)
}

// histogramCounts returns the sample count of each series of the histogram
// called name in reg, by its labels.
func histogramCounts(t *testing.T, reg *prometheus.Registry, name string) map[string]uint64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	counts := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			counts[strings.Join(labels, ",")] = m.GetHistogram().GetSampleCount()
		}
	}
	return counts
}
