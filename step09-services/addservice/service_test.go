package addservice_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// The 32-bit bounds of the business rules (slide 57).
const (
	intMax = 1<<31 - 1
	intMin = -(intMax + 1)
)

// sumCases are the rules of Sum at their boundaries.
var sumCases = []struct {
	name    string
	a, b    int
	want    int
	wantErr error
}{
	{"small", 1, 2, 3, nil},
	{"negatives", -7, -8, -15, nil},
	{"two zeroes", 0, 0, 0, addservice.ErrTwoZeroes},
	{"one zero", 0, 5, 5, nil},
	{"zero sum of non-zeroes", 5, -5, 0, nil},
	{"intMax plus 0", intMax, 0, intMax, nil},
	{"intMax-1 plus 1", intMax - 1, 1, intMax, nil},
	{"intMax plus 1", intMax, 1, 0, addservice.ErrIntOverflow},
	{"1 plus intMax", 1, intMax, 0, addservice.ErrIntOverflow},
	{"intMax plus intMax", intMax, intMax, 0, addservice.ErrIntOverflow},
	{"intMin plus 0", intMin, 0, intMin, nil},
	{"intMin+1 minus 1", intMin + 1, -1, intMin, nil},
	{"intMin minus 1", intMin, -1, 0, addservice.ErrIntOverflow},
	{"-1 plus intMin", -1, intMin, 0, addservice.ErrIntOverflow},
	{"intMin plus intMax", intMin, intMax, -1, nil},
	{"intMax+1 plus 0", intMax + 1, 0, 0, addservice.ErrIntOverflow},
	{"0 plus intMax+1", 0, intMax + 1, 0, addservice.ErrIntOverflow},
	{"intMax+1 minus 1", intMax + 1, -1, 0, addservice.ErrIntOverflow},
	{"intMin-1 plus 1", intMin - 1, 1, 0, addservice.ErrIntOverflow},
	{"1 plus intMin-1", 1, intMin - 1, 0, addservice.ErrIntOverflow},
	{"3000000000 minus 1", 3000000000, -1, 0, addservice.ErrIntOverflow},
}

// concatCases are the rules of Concat at their boundaries: at most 10 bytes,
// however many characters they are.
var concatCases = []struct {
	name    string
	a, b    string
	want    string
	wantErr error
}{
	{"small", "x", "y", "xy", nil},
	{"empty", "", "", "", nil},
	{"10 bytes", "hello", "world", "helloworld", nil},
	{"10 bytes in one argument", "", "0123456789", "0123456789", nil},
	{"11 bytes", "hello", "world!", "", addservice.ErrMaxSizeExceeded},
	{"11 bytes in one argument", "0123456789a", "", "", addservice.ErrMaxSizeExceeded},
	{"10 bytes of 2-byte characters", "ééé", "éé", "ééééé", nil},
	{"11 bytes, 6 characters", "ééééé", "a", "", addservice.ErrMaxSizeExceeded},
	{"9 bytes of 3-byte characters", "世界", "語", "世界語", nil},
	{"12 bytes, 4 characters", "世界", "語語", "", addservice.ErrMaxSizeExceeded},
	{"far too long", strings.Repeat("a", 1000), "b", "", addservice.ErrMaxSizeExceeded},
}

func TestSumRules(t *testing.T) {
	svc := addservice.NewBasicService()
	for _, tt := range sumCases {
		t.Run(tt.name, func(t *testing.T) {
			v, err := svc.Sum(context.Background(), tt.a, tt.b)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.wantErr, err)
		})
	}
}

func TestConcatRules(t *testing.T) {
	svc := addservice.NewBasicService()
	for _, tt := range concatCases {
		t.Run(tt.name, func(t *testing.T) {
			v, err := svc.Concat(context.Background(), tt.a, tt.b)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.wantErr, err)
		})
	}
}

func TestErrorMessages(t *testing.T) {
	assert.EqualError(t, addservice.ErrTwoZeroes, "can't sum two zeroes")
	assert.EqualError(t, addservice.ErrIntOverflow, "integer overflow")
	assert.EqualError(t, addservice.ErrMaxSizeExceeded, "result exceeds maximum size")
}

func TestBusinessError(t *testing.T) {
	for _, err := range []error{addservice.ErrTwoZeroes, addservice.ErrIntOverflow, addservice.ErrMaxSizeExceeded} {
		assert.Equal(t, err, addservice.BusinessError(err.Error()))
	}
	for _, msg := range []string{"", "database unreachable", "Integer overflow", "integer overflow "} {
		assert.NoError(t, addservice.BusinessError(msg), "%q", msg)
	}
}
