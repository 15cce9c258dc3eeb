package stringservice_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
	"github.com/stretchr/testify/assert"

	"github.com/gokit-workshop/workshop/step09-services/stringservice"
)

func TestUppercase(t *testing.T) {
	svc := stringservice.NewBasicService()
	for in, want := range map[string]string{"gokit": "GOKIT", "a1-b2": "A1-B2", "grüßdich": "GRÜßDICH"} {
		v, err := svc.Uppercase(context.Background(), in)
		assert.NoError(t, err)
		assert.Equal(t, want, v)
	}
	_, err := svc.Uppercase(context.Background(), "")
	assert.ErrorIs(t, err, stringservice.ErrEmpty)
	assert.True(t, stringservice.IsBusinessError(err))
}

func TestCountCountsBytes(t *testing.T) {
	svc := stringservice.NewBasicService()
	assert.Equal(t, 0, svc.Count(context.Background(), ""))
	assert.Equal(t, 6, svc.Count(context.Background(), "héllo"))
}

func TestMiddlewares(t *testing.T) {
	var buf bytes.Buffer
	upper, counted := &counter{}, &counter{}
	svc := stringservice.NewBasicService()
	svc = stringservice.LoggingMiddleware(log.NewLogfmtLogger(&buf))(svc)
	svc = stringservice.InstrumentingMiddleware(upper, counted)(svc)
	ctx := context.Background()
	svc.Uppercase(ctx, "abc")
	svc.Uppercase(ctx, "")
	svc.Count(ctx, "héllo")
	assert.Equal(t, 3.0, upper.v, "the bytes of successful results")
	assert.Equal(t, 6.0, counted.v)
	assert.Contains(t, buf.String(), "method=Uppercase s=abc v=ABC err=null")
	assert.Contains(t, buf.String(), `method=Uppercase s= v= err="empty string"`)
	assert.Contains(t, buf.String(), "method=Count s=héllo v=6")
}

// counter is a metrics.Counter that keeps its sum.
type counter struct{ v float64 }

func (c *counter) With(...string) metrics.Counter { return c }
func (c *counter) Add(delta float64)              { c.v += delta }
