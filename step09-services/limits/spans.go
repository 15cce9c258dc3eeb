package limits

import (
	"strconv"

	"github.com/go-kit/log"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"
	"golang.org/x/time/rate"
)

// SpanBudget returns a reporter that sends next the spans that budget
// allows, and counts the others to dropped, one line each (give it a
// Counting logger): zipkin-go's log reporter writes every span it is sent,
// a line or more each, however many requests come.
func SpanBudget(next reporter.Reporter, budget *rate.Limiter, dropped log.Logger) reporter.Reporter {
	return spanBudget{next: next, budget: budget, dropped: dropped,
		line: []any{"msg", "spans not logged: over " + strconv.Itoa(budget.Burst()) + " a second"}}
}

type spanBudget struct {
	next    reporter.Reporter
	budget  *rate.Limiter
	dropped log.Logger
	line    []any
}

// Send sends s on, if the budget allows.
func (r spanBudget) Send(s model.SpanModel) {
	if !r.budget.Allow() {
		r.dropped.Log(r.line...)
		return
	}
	r.next.Send(s)
}

// Close closes next.
func (r spanBudget) Close() error { return r.next.Close() }
