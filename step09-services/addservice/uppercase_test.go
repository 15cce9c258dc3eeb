package addservice_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

func TestUppercaseMiddleware(t *testing.T) {
	var sent []string
	upper := func(_ context.Context, s string) (string, error) {
		sent = append(sent, s)
		if s == "fail" {
			return "", errors.New("dial tcp 10.0.0.7:8080: connection refused")
		}
		return strings.ToUpper(s), nil
	}
	svc := addservice.UppercaseMiddleware(upper)(addservice.NewBasicService())
	ctx := context.Background()

	v, err := svc.Concat(ctx, "go", "kit")
	assert.NoError(t, err)
	assert.Equal(t, "GOKIT", v)
	v, err = svc.Concat(ctx, "", "")
	assert.NoError(t, err)
	assert.Equal(t, "", v, "an empty result is not sent")
	_, err = svc.Concat(ctx, "hello", "world!")
	assert.ErrorIs(t, err, addservice.ErrMaxSizeExceeded, "the rule first, then upper-casing")
	_, err = svc.Concat(ctx, "fa", "il")
	assert.Equal(t, addservice.ErrUppercase, err, "no address of stringsvc's reaches the caller")
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err = svc.Concat(gone, "fa", "il")
	assert.ErrorIs(t, err, context.Canceled)
	n, err := svc.Sum(ctx, 1, 2)
	assert.Equal(t, 3, n, "Sum as it was")
	assert.NoError(t, err)
	assert.Equal(t, []string{"gokit", "fail", "fail"}, sent)
}
