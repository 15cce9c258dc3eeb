package addendpoint_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-logfmt/logfmt"
	"github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/openzipkin/zipkin-go/reporter/recorder"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
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

// fixedEndpoint answers every call with resp and err.
func fixedEndpoint(resp any, err error) endpoint.Endpoint {
	return func(context.Context, any) (any, error) { return resp, err }
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

// roomy limits are never reached by a test that does not mean to.
var roomy = addendpoint.Limits{Rate: rate.Inf}

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

// nopTracer returns a tracer whose spans go nowhere.
func nopTracer(t *testing.T) *zipkin.Tracer {
	t.Helper()
	tracer, err := zipkin.NewTracer(reporter.NewNoopReporter())
	require.NoError(t, err)
	return tracer
}

// recordingTracer returns a tracer set up as the service's (every call
// sampled, servers' spans their own), with its spans kept in memory.
func recordingTracer(t *testing.T, name string) (*zipkin.Tracer, *recorder.ReporterRecorder) {
	t.Helper()
	rec := recorder.NewReporter()
	local, err := zipkin.NewEndpoint(name, "")
	require.NoError(t, err)
	tracer, err := zipkin.NewTracer(rec, zipkin.WithLocalEndpoint(local),
		zipkin.WithSampler(zipkin.AlwaysSample), zipkin.WithSharedSpans(false))
	require.NoError(t, err)
	return tracer, rec
}
