package main

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParsePromResponse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []promSample
		wantErr string
	}{
		{
			name: "a vector",
			body: `{"status":"success","data":{"resultType":"vector","result":[
				{"metric":{"method":"Sum","success":"true"},"value":[1795737312.157,"12"]},
				{"metric":{"method":"Sum","success":"false"},"value":[1795737312.157,"8"]}]}}`,
			want: []promSample{
				{labels: map[string]string{"method": "Sum", "success": "true"}, value: 12},
				{labels: map[string]string{"method": "Sum", "success": "false"}, value: 8},
			},
		},
		{
			name: "no series",
			body: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			want: []promSample{},
		},
		{
			name: "a sample without labels",
			body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.5,"0.25"]}]}}`,
			want: []promSample{{labels: map[string]string{}, value: 0.25}},
		},
		{
			name:    "a bad query",
			body:    `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""}`,
			wantErr: `bad_data: 1:5: parse error`,
		},
		{
			name:    "a scalar",
			body:    `{"status":"success","data":{"resultType":"scalar","result":[1.5,"2"]}}`,
			wantErr: "",
		},
		{
			name:    "a value that is not a number",
			body:    `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.5,"many"]}]}}`,
			wantErr: `value "many"`,
		},
		{name: "not JSON", body: `<html>`, wantErr: "not an answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePromResponse([]byte(tt.body))
			if tt.name == "a scalar" {
				// A scalar's result is no list of series: it can't be
				// decoded as a vector, which is an error either way.
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one that says %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePromResponseNaN(t *testing.T) {
	got, err := parsePromResponse([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"method":"Sum"},"value":[1.5,"NaN"]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !math.IsNaN(got[0].value) {
		t.Errorf("got %v, want one NaN", got)
	}
}

func TestNewPromQueries(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		elapsed time.Duration
		want    string
	}{
		{18*time.Second + 100*time.Millisecond, "19s"},
		{18 * time.Second, "18s"},
		{0, "1s"},
	}
	for _, tt := range tests {
		q := newPromQueries(start, start.Add(tt.elapsed))
		if q.window != tt.want {
			t.Errorf("window after %s = %q, want %q", tt.elapsed, q.window, tt.want)
		}
	}
	q := promQueries{window: "18s"}
	if got, want := q.calls(), `sum by (method, success) (last_over_time(addsvc_request_duration_seconds_count[18s]))`; got != want {
		t.Errorf("calls() = %s, want %s", got, want)
	}
	if got, want := q.quantile(0.99), `histogram_quantile(0.99, sum by (method, le) (last_over_time(addsvc_request_duration_seconds_bucket[18s])))`; got != want {
		t.Errorf("quantile(0.99) = %s, want %s", got, want)
	}
	if got, want := q.counter(integersSummed), `sum(last_over_time(addsvc_integers_summed_total[18s]))`; got != want {
		t.Errorf("counter() = %s, want %s", got, want)
	}
}

func TestBuildPromReport(t *testing.T) {
	s := func(v float64, kv ...string) promSample {
		labels := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			labels[kv[i]] = kv[i+1]
		}
		return promSample{labels: labels, value: v}
	}
	ptr := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		res  promResults
		want promReport
	}{
		{
			name: "both methods, Concat first in the answers",
			res: promResults{
				calls: []promSample{
					s(12, "method", "Concat", "success", "true"), s(4, "method", "Concat", "success", "false"),
					s(12, "method", "Sum", "success", "true"), s(8, "method", "Sum", "success", "false"),
				},
				rate:                   []promSample{s(0.9, "method", "Sum"), s(0.75, "method", "Concat")},
				average:                []promSample{s(0.0001, "method", "Sum"), s(0.0002, "method", "Concat")},
				p99:                    []promSample{s(0.00495, "method", "Sum"), s(0.00495, "method", "Concat")},
				bucketTotal:            []promSample{s(20, "method", "Sum"), s(16, "method", "Concat")},
				integersSummed:         []promSample{s(24)},
				charactersConcatenated: []promSample{s(92)},
			},
			want: promReport{
				methods: []methodStats{
					{method: "Sum", ok: 12, failed: 8, rate: 0.9, avg: 0.0001, p99: 0.00495, bucketTotal: 20},
					{method: "Concat", ok: 12, failed: 4, rate: 0.75, avg: 0.0002, p99: 0.00495, bucketTotal: 16},
				},
				integersSummed:         ptr(24),
				charactersConcatenated: ptr(92),
			},
		},
		{
			name: "only failures of one method, and no counters",
			res: promResults{
				calls: []promSample{s(3, "method", "Sum", "success", "false")},
			},
			want: promReport{methods: []methodStats{{method: "Sum", failed: 3}}},
		},
		{
			name: "nothing",
			want: promReport{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buildPromReport(promQueries{}, tt.res)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCountsMatch(t *testing.T) {
	want := expectCounts(trafficPlan(2))
	report := promReport{methods: []methodStats{
		{method: "Sum", ok: 12, failed: 8},
		{method: "Concat", ok: 12, failed: 4},
	}}
	if err := report.countsMatch(want); err != nil {
		t.Errorf("countsMatch: %v", err)
	}
	report.methods[1].failed = 3
	err := report.countsMatch(want)
	if err == nil || !strings.Contains(err.Error(), "Concat: Prometheus has 12 ok and 3 failed, the traffic made 12 and 4") {
		t.Errorf("countsMatch = %v, want a difference in Concat", err)
	}
	if err := (promReport{}).countsMatch(want); err == nil {
		t.Error("countsMatch of an empty report = nil, want an error")
	}
}
