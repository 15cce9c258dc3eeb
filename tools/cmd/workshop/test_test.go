package main

import (
	"context"
	"strings"
	"testing"
)

func TestTestCommand(t *testing.T) {
	w, out, errOut := fakeRepo(t, map[string]string{
		"go.work":                   "go 1.26.0\n\nuse (\n\t./step01-good\n\t./step02-unformatted\n\t./step03-failing\n)\n",
		"step01-good/go.mod":        "module example.com/step01-good\n\ngo 1.26.0\n",
		"step01-good/a.go":          "package a\n\n// A is one.\nfunc A() int { return 1 }\n",
		"step01-good/a_test.go":     "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tif A() != 1 {\n\t\tt.Fatal(A())\n\t}\n}\n",
		"step02-unformatted/go.mod": "module example.com/step02-unformatted\n\ngo 1.26.0\n",
		"step02-unformatted/a.go":   "package a\nfunc  A() int { return 1 }\n",
		"step03-failing/go.mod":     "module example.com/step03-failing\n\ngo 1.26.0\n",
		"step03-failing/a_test.go":  "package a\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"red\") }\n",
	})
	err := runTest(context.Background(), w, nil)
	if status, ok := err.(exitStatus); !ok || status.code != exitFailed {
		t.Errorf("runTest = %v, want exit status 1", err)
	}
	want := "\n\nstep01-good              passed\nstep02-unformatted       FAILED\nstep03-failing           FAILED\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("summary:\n%s\nwant:\n%s\nstderr:\n%s", out, want, errOut)
	}
	if !strings.Contains(errOut.String(), "gofmt would change (run gofmt -w):\n    a.go\n") {
		t.Errorf("stderr does not name the unformatted file:\n%s", errOut)
	}

	// One step, named as people do.
	out.Reset()
	if err := runTest(context.Background(), w, []string{"1"}); err != nil {
		t.Errorf("runTest 1 = %v", err)
	}
	if !strings.HasSuffix(out.String(), "\n\nstep01-good              passed\n") {
		t.Errorf("summary of step 1:\n%s", out)
	}
}
