package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDurationHistogramFitsMicrosecondCalls(t *testing.T) {
	m := newMetrics()
	m.duration.WithLabelValues("Sum", "true").Observe(20e-6) // 20 µs, a typical call

	families, err := m.reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "addsvc_request_duration_seconds" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		buckets := h.GetBucket()
		assert.Equal(t, 10e-6, buckets[0].GetUpperBound(), "the smallest bucket")
		assert.Equal(t, 10.0, buckets[len(buckets)-1].GetUpperBound(), "the largest bucket")
		for _, b := range buckets {
			if b.GetUpperBound() == 25e-6 {
				assert.Equal(t, uint64(1), b.GetCumulativeCount(), "20 µs falls in the 25 µs bucket")
			}
		}
		assert.NotEmpty(t, h.GetPositiveSpan(), "a native histogram too")
		assert.Equal(t, int32(3), h.GetSchema(), "native buckets at most 10% apart (factor 2^(2^-3) ≈ 1.09)")
		return
	}
	t.Fatal("no addsvc_request_duration_seconds")
}
