package main

import (
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpanJSONWritesWhatZipkinGoWrites compares spanJSON with zipkin-go's
// own serializer, byte for byte: on spans such as the service sends, on
// spans with every field set or unusual, and on random ones.
func TestSpanJSONWritesWhatZipkinGoWrites(t *testing.T) {
	parent := model.ID(0x0123456789abcdef)
	now := time.Date(2026, 11, 27, 15, 4, 5, 123456789, time.UTC)
	cases := map[string][]*model.SpanModel{
		"none": {},
		"the service's": {{
			SpanContext:   model.SpanContext{TraceID: model.TraceID{Low: 0xfedcba9876543210}, ID: 42, ParentID: &parent},
			Name:          "Sum",
			Timestamp:     now,
			Duration:      12345 * time.Nanosecond,
			LocalEndpoint: &model.Endpoint{ServiceName: "addsvc"},
			Tags:          map[string]string{"error": "a and b must be at most 10 digits long"},
		}, {
			SpanContext:   model.SpanContext{TraceID: model.TraceID{Low: 1}, ID: 2},
			Name:          "POST /sum",
			Kind:          model.Server,
			Timestamp:     now,
			Duration:      time.Millisecond,
			LocalEndpoint: &model.Endpoint{ServiceName: "addsvc"},
			Tags:          map[string]string{"http.method": "POST", "http.path": "/sum", "http.status_code": "200"},
		}},
		"every field": {{
			SpanContext: model.SpanContext{TraceID: model.TraceID{High: 7, Low: 8}, ID: 9, ParentID: &parent, Debug: true},
			Name:        "UPPER <&> \"quoted\" \\ é \u2028 \x01 \xff",
			Kind:        model.Client,
			Timestamp:   now,
			Duration:    400 * time.Nanosecond, // written as 1 µs
			Shared:      true,
			LocalEndpoint: &model.Endpoint{ServiceName: "AddSvc", IPv4: net.ParseIP("10.0.0.1"),
				IPv6: net.ParseIP("2001:db8::1"), Port: 8080},
			RemoteEndpoint: &model.Endpoint{IPv4: net.IPv4(127, 0, 0, 1).To4()},
			Annotations: []model.Annotation{
				{Timestamp: now, Value: "wire send"},
				{Timestamp: now.Add(1499 * time.Nanosecond), Value: "<tag>"},
			},
			Tags: map[string]string{"b": "2", "a": "1", "é": "\n", "": ""},
		}},
		"empty and zero": {{
			SpanContext:    model.SpanContext{},
			LocalEndpoint:  &model.Endpoint{},
			RemoteEndpoint: nil,
			Annotations:    []model.Annotation{},
			Tags:           map[string]string{},
		}, nil},
		"rounding": {{
			Timestamp: time.Unix(1, 500), // 1.0000005 s: rounded up to the µs
			Duration:  1500 * time.Nanosecond,
		}, {
			Timestamp: time.Unix(1, 499),
			Duration:  999*time.Microsecond + 499*time.Nanosecond,
		}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	var random []*model.SpanModel
	for range 500 {
		random = append(random, randomSpan(r, now))
	}
	cases["random"] = random

	for name, spans := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := reporter.JSONSerializer{}.Serialize(spans)
			require.NoError(t, err)
			got, err := spanJSON{}.Serialize(spans)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
	assert.Equal(t, reporter.JSONSerializer{}.ContentType(), spanJSON{}.ContentType())
}

// TestSpanJSONRefusesWhatZipkinGoRefuses: a timestamp before 1970 or a
// negative duration, and an IP address of a wrong length.
func TestSpanJSONRefusesWhatZipkinGoRefuses(t *testing.T) {
	for name, s := range map[string]*model.SpanModel{
		"timestamp":  {Timestamp: time.Unix(0, 0)},
		"duration":   {Duration: -time.Microsecond},
		"IP address": {LocalEndpoint: &model.Endpoint{IPv4: net.IP{1, 2, 3}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, want := reporter.JSONSerializer{}.Serialize([]*model.SpanModel{s})
			require.Error(t, want)
			_, err := spanJSON{}.Serialize([]*model.SpanModel{s})
			assert.Error(t, err)
		})
	}
}

// randomSpan returns a span with random fields, each set or not.
func randomSpan(r *rand.Rand, now time.Time) *model.SpanModel {
	words := []string{"", "sum", "Concat", "POST /sum", "a\tb", "<x>", "ü", "/addsvc.Add/Sum", "x\"y"}
	word := func() string { return words[r.IntN(len(words))] }
	s := &model.SpanModel{
		SpanContext: model.SpanContext{TraceID: model.TraceID{Low: r.Uint64()}, ID: model.ID(r.Uint64()), Debug: r.IntN(4) == 0},
		Name:        word(),
		Kind:        []model.Kind{model.Undetermined, model.Client, model.Server, model.Producer, model.Consumer}[r.IntN(5)],
		Shared:      r.IntN(2) == 0,
	}
	if r.IntN(3) == 0 {
		s.TraceID.High = r.Uint64()
	}
	if r.IntN(2) == 0 {
		p := model.ID(r.Uint64())
		s.ParentID = &p
	}
	if r.IntN(5) > 0 {
		s.Timestamp = now.Add(time.Duration(r.Int64N(int64(time.Hour))))
	}
	if r.IntN(5) > 0 {
		s.Duration = time.Duration(r.Int64N(int64(10 * time.Millisecond)))
	}
	if r.IntN(2) == 0 {
		s.LocalEndpoint = &model.Endpoint{ServiceName: word(), Port: uint16(r.IntN(3) * 8080)}
		if r.IntN(2) == 0 {
			s.LocalEndpoint.IPv4 = net.IPv4(127, 0, byte(r.IntN(256)), 1)
		}
	}
	if r.IntN(4) == 0 {
		s.RemoteEndpoint = &model.Endpoint{IPv6: net.ParseIP("::1")}
	}
	for range r.IntN(3) {
		s.Annotations = append(s.Annotations, model.Annotation{Timestamp: now.Add(time.Duration(r.Int64N(1e9))), Value: word()})
	}
	if n := r.IntN(4); n > 0 {
		s.Tags = map[string]string{}
		for range n {
			s.Tags[word()] = word()
		}
	}
	return s
}

// BenchmarkSpanJSON compares the two serializers on a batch of the
// service's spans.
func BenchmarkSpanJSON(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	spans := make([]*model.SpanModel, 100)
	for i := range spans {
		p := model.ID(r.Uint64())
		spans[i] = &model.SpanModel{
			SpanContext:   model.SpanContext{TraceID: model.TraceID{Low: r.Uint64()}, ID: model.ID(r.Uint64()), ParentID: &p},
			Name:          "Sum",
			Timestamp:     now,
			Duration:      12345 * time.Nanosecond,
			LocalEndpoint: &model.Endpoint{ServiceName: "addsvc"},
		}
		if i%2 == 0 {
			spans[i].ParentID = nil
			spans[i].Name, spans[i].Kind = "POST /sum", model.Server
			spans[i].Tags = map[string]string{"http.method": "POST", "http.path": "/sum"}
		}
	}
	for _, c := range []struct {
		name string
		s    reporter.SpanSerializer
	}{{"zipkin-go", reporter.JSONSerializer{}}, {"spanJSON", spanJSON{}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.s.Serialize(spans); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
