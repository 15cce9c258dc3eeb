// Package module_test checks the step as a Go module.
package module_test

import (
	"os/exec"
	"testing"
)

// TestGoModHoldsWhatTheStepImports pins the rule that a step's go.mod and
// go.sum hold exactly what its code imports: go mod tidy would change
// nothing. (go test runs this in the step's root, with Go on its PATH.)
func TestGoModHoldsWhatTheStepImports(t *testing.T) {
	out, err := exec.Command("go", "mod", "tidy", "-diff").CombinedOutput()
	if err != nil {
		t.Fatalf("go mod tidy would change this step's go.mod or go.sum (run it here and commit the result): %v\n%s", err, out)
	}
}
