package addsvc_test

import (
	"log"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokit-workshop/workshop/step02-logging/addsvc"
)

// benchLogger returns a logger like the command's, writing to a file as when
// a person redirects the service's log.
func benchLogger(b *testing.B) *log.Logger {
	b.Helper()
	f, err := os.Create(filepath.Join(b.TempDir(), "addsvc.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return log.New(f, "", log.LstdFlags)
}

// BenchmarkService measures one call of the service, Sum, as the HTTP
// handler makes it: the business logic and its log line.
func BenchmarkService(b *testing.B) {
	svc := addsvc.NewBasicService(benchLogger(b))
	b.ReportAllocs()
	for b.Loop() {
		if v, err := svc.Sum(1, 2); v != 3 || err != nil {
			b.Fatalf("Sum(1, 2) = %d, %v; want 3", v, err)
		}
	}
}
