package addtransport_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine is left running after
// them: every server, client connection and request that a test starts must
// end with it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
