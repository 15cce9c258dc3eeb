package addsvc_test

import (
	"testing"

	"github.com/gokit-workshop/workshop/step01-naive/addsvc"
)

// BenchmarkService measures one call of the service, Sum, as the HTTP
// handler makes it: the business logic alone.
func BenchmarkService(b *testing.B) {
	svc := addsvc.NewBasicService()
	b.ReportAllocs()
	for b.Loop() {
		if v, err := svc.Sum(1, 2); v != 3 || err != nil {
			b.Fatalf("Sum(1, 2) = %d, %v; want 3", v, err)
		}
	}
}
