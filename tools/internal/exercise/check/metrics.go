package check

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Sample is one line of the Prometheus text format: a series and its value.
type Sample struct {
	Name   string            // addsvc_requests_total
	Labels map[string]string // {"outcome": "success"}
	Value  float64
}

// String writes the sample as Prometheus does:
// addsvc_requests_total{outcome="success"} 3.
func (s Sample) String() string {
	var b strings.Builder
	b.WriteString(s.Name)
	if len(s.Labels) > 0 {
		b.WriteString("{")
		for i, k := range slices.Sorted(maps.Keys(s.Labels)) {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%s=%q", k, s.Labels[k])
		}
		b.WriteString("}")
	}
	fmt.Fprintf(&b, " %s", strconv.FormatFloat(s.Value, 'g', -1, 64))
	return b.String()
}

// Metrics is what one scrape of /metrics read.
type Metrics []Sample

// Value returns the value of the series name whose labels are exactly the
// given ones, as name, value pairs ("outcome", "success"), and whether the
// series is there.
func (m Metrics) Value(name string, labelPairs ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labelPairs); i += 2 {
		want[labelPairs[i]] = labelPairs[i+1]
	}
	for _, s := range m {
		if s.Name == name && maps.Equal(s.Labels, want) {
			return s.Value, true
		}
	}
	return 0, false
}

// Named returns the samples of the metric name, for messages.
func (m Metrics) Named(name string) Metrics {
	var out Metrics
	for _, s := range m {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// String lists the samples, one a line.
func (m Metrics) String() string {
	lines := make([]string, len(m))
	for i, s := range m {
		lines[i] = s.String()
	}
	return strings.Join(lines, "\n")
}

// Scrape reads the service's GET /metrics, in the Prometheus text format.
// Its error says what the service answered instead.
func (s *Service) Scrape(ctx context.Context) (Metrics, error) {
	resp, err := s.Do(ctx, http.MethodGet, "/metrics", "", "")
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics answered %s, not the metrics", resp)
	}
	m, err := ParseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics answered something that is not Prometheus's text format: %w", err)
	}
	return m, nil
}

// ParseMetrics parses the Prometheus text exposition format: the samples,
// without the # HELP and # TYPE lines.
func ParseMetrics(text string) (Metrics, error) {
	var m Metrics
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d, %q: %w", n+1, line, err)
		}
		m = append(m, s)
	}
	return m, nil
}

// parseSample parses one line: name{label="value",…} value [timestamp].
func parseSample(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return s, fmt.Errorf("no value")
	}
	s.Name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " \t,")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, "=")
			if eq <= 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, fmt.Errorf("a label is not name=\"value\"")
			}
			key := strings.TrimSpace(line[:eq])
			value, rest, err := unquoteLabel(line[eq+2:])
			if err != nil {
				return s, err
			}
			s.Labels[key], line = value, rest
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("want a value and perhaps a timestamp after the series")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("the value: %w", err)
	}
	s.Value = v
	return s, nil
}

// unquoteLabel reads a label value up to its closing quote, undoing the
// escapes \\, \" and \n, and returns it and what follows the quote.
func unquoteLabel(s string) (value, rest string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("a label value has no closing quote")
}
