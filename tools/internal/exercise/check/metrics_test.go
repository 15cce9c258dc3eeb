package check

import (
	"errors"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP addsvc_requests_total HTTP requests answered, by outcome (success or error).
# TYPE addsvc_requests_total counter
addsvc_requests_total{outcome="error"} 2
addsvc_requests_total{outcome="success"} 5
go_goroutines 7
http_duration_seconds_bucket{le="+Inf",method="sum"} 3 1700000000000
weird{path="a \"quoted\" \\ back\nslash",x="1"} 1.5e+06
`
	m, err := ParseMetrics(text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		labels []string
		want   float64
		ok     bool
	}{
		{"addsvc_requests_total", []string{"outcome", "success"}, 5, true},
		{"addsvc_requests_total", []string{"outcome", "error"}, 2, true},
		{"addsvc_requests_total", nil, 0, false},
		{"addsvc_requests_total", []string{"outcome", "other"}, 0, false},
		{"go_goroutines", nil, 7, true},
		{"http_duration_seconds_bucket", []string{"method", "sum", "le", "+Inf"}, 3, true},
		{"weird", []string{"path", "a \"quoted\" \\ back\nslash", "x", "1"}, 1.5e6, true},
		{"missing", nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := m.Value(tt.name, tt.labels...)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Value(%s, %q) = %v, %v; want %v, %v", tt.name, tt.labels, got, ok, tt.want, tt.ok)
		}
	}
	want := `addsvc_requests_total{outcome="error"} 2
addsvc_requests_total{outcome="success"} 5`
	if got := m.Named("addsvc_requests_total").String(); got != want {
		t.Errorf("Named().String() = %q, want %q", got, want)
	}
}

func TestParseMetricsErrors(t *testing.T) {
	for _, text := range []string{
		"<html>404 page not found</html>",
		"name{label=unquoted} 1",
		`name{label="open} 1`,
		"name one",
		"name 1 2 3",
	} {
		if _, err := ParseMetrics(text); err == nil {
			t.Errorf("ParseMetrics(%q) took it", text)
		}
	}
}

func TestHasNumber(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want bool
	}{
		{"Sum(17,25)=(42,<nil>)", 17, true},
		{"Sum(17,25)=(42,<nil>)", 42, true},
		{"a=17 b=25 v=42", 25, true},
		{"170", 17, false},
		{"217", 17, false},
		{"-17", 17, false},
		{"Sum(-7,-8)=(-15,<nil>)", -7, true},
		{"Sum(-7,-8)=(-15,<nil>)", -8, true},
		{"Sum(-7,-8)=(-15,<nil>)", -15, true},
		{"Sum(-7,-8)=(-15,<nil>)", 7, false},
		{"-75", -7, false},
		{"x-7", -7, true},
		{"17 and 170", 170, true},
	}
	for _, tt := range tests {
		if got := hasNumber(tt.s, tt.n); got != tt.want {
			t.Errorf("hasNumber(%q, %d) = %v", tt.s, tt.n, got)
		}
	}
}

func TestResultCounts(t *testing.T) {
	errTest := errors.New("failed")
	r := Result{{Case: "a"}, {Case: "b", Err: errTest}, {Case: "c", Err: errTest}}
	if r.Passed() != 1 || r.OK() || r.FirstFailure().Case != "b" {
		t.Errorf("Passed %d, OK %v, first failure %v", r.Passed(), r.OK(), r.FirstFailure())
	}
	if ok := (Result{{Case: "a"}}).OK(); !ok {
		t.Error("a result of passes is not OK")
	}
	if (Result{}).OK() {
		t.Error("no cases at all is OK")
	}
}
