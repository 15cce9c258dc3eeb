package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine is left running after
// them: addcli's clients and the tests' servers must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
