package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLeftOut(t *testing.T) {
	for _, tc := range []struct {
		file           string
		plain, withAll bool
	}{
		{"go.sum", true, true},
		{"sub/go.sum", true, true},
		{"README.md", true, false},
		{"addsvc/README.md", true, false},
		{"pb/addsvc.pb.go", true, false},
		{"pb/addsvc_grpc.pb.go", true, false},
		{"pb/addsvc.proto", false, false},
		{"go.mod", false, false},
		{"addsvc/service.go", false, false},
		{"README.md.go", false, false},
	} {
		if got := leftOut(tc.file, false); got != tc.plain {
			t.Errorf("leftOut(%q, false) = %v", tc.file, got)
		}
		if got := leftOut(tc.file, true); got != tc.withAll {
			t.Errorf("leftOut(%q, true) = %v", tc.file, got)
		}
	}
}

// twoSteps is a repository whose step 2 moves step 1's service.go to
// another folder and changes it, and changes its module path.
func twoSteps() map[string]string {
	var body strings.Builder
	for i := range 40 {
		body.WriteString("// line " + string(rune('a'+i%26)) + strings.Repeat("x", i) + "\n")
	}
	return map[string]string{
		"go.work":                            "go 1.26.0\n",
		"step01-naive/go.mod":                "module example.com/w/step01-naive\n",
		"step01-naive/go.sum":                "sum 1\n",
		"step01-naive/README.md":             "# one\n",
		"step01-naive/addsvc/service.go":     "package addsvc\n\nimport _ \"example.com/w/step01-naive/x\"\n" + body.String(),
		"step02-moved/go.mod":                "module example.com/w/step02-moved\n",
		"step02-moved/go.sum":                "sum 2\n",
		"step02-moved/README.md":             "# two\n",
		"step02-moved/addservice/service.go": "package addservice\n\nimport _ \"example.com/w/step02-moved/x\"\n" + body.String() + "// a new line\n",
	}
}

func TestDiffShowsRenamesWithChanges(t *testing.T) {
	t.Setenv("ALL", "")
	// Whatever git's configuration says, diff asks for renames.
	config := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(config, []byte("[diff]\n\trenames = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", config)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	w, out, errOut := fakeRepo(t, twoSteps())
	if err := runDiff(context.Background(), w, []string{"1", "2"}); err != nil {
		t.Fatalf("diff 1 2: %v\n%s", err, errOut)
	}
	got := out.String()
	for _, want := range []string{
		"(go.sum is left out, and so are the READMEs",
		"rename from step01-naive/addsvc/service.go",
		"rename to step02-moved/addservice/service.go",
		"-package addsvc",
		"+package addservice",
		"+// a new line",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diff 1 2 lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"step01-naive/x", "step01-naive/README.md", "step01-naive/go.sum", "\x1b["} {
		if strings.Contains(got, unwanted) {
			t.Errorf("diff 1 2 shows %q:\n%s", unwanted, got)
		}
	}
}

func TestDiffAll(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
	}{
		{"1", []string{"1", "2"}},
		{"", []string{"-all", "1", "2"}},
	} {
		t.Setenv("ALL", tc.env)
		w, out, errOut := fakeRepo(t, twoSteps())
		if err := runDiff(context.Background(), w, tc.args); err != nil {
			t.Fatalf("ALL=%s diff %q: %v\n%s", tc.env, tc.args, err, errOut)
		}
		got := out.String()
		if !strings.Contains(got, "-# one") || strings.Contains(got, "step01-naive/go.sum") || strings.Contains(got, "left out") {
			t.Errorf("ALL=%s diff %q: want the READMEs, no go.sum and no note:\n%s", tc.env, tc.args, got)
		}
	}
}

func TestDiffSameStep(t *testing.T) {
	t.Setenv("MAKELEVEL", "1")
	w, out, _ := fakeRepo(t, twoSteps())
	if err := runDiff(context.Background(), w, []string{"2", "step02"}); err != nil {
		t.Fatal(err)
	}
	want := "step 2 and step step02 are the same step (step02-moved): there is no difference to show.\n" +
		"What step 2 changes in step 1: make diff 1 2\n"
	if out.String() != want {
		t.Errorf("diff 2 step02:\n got %q\nwant %q", out.String(), want)
	}
}

func TestSameNameMoves(t *testing.T) {
	a := []string{"go.mod", "addsvc/service.go", "addsvc/transport.go", "addsvc/doc.go", "x/doc.go", "cmd/addsvc/main.go"}
	b := []string{"go.mod", "addservice/service.go", "addtransport/http.go", "addservice/doc.go", "y/doc.go", "cmd/addsvc/main.go"}
	got := sameNameMoves(a, b)
	// doc.go left two folders and came to two: which went where is unknown.
	want := []move{{"addsvc/service.go", "addservice/service.go"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sameNameMoves = %v, want %v", got, want)
	}
}

// TestDiffShowsRewrittenMoves: a file that a step moves and rewrites, too
// much for git's rename detection, still shows as the one file moved, with
// its changes.
func TestDiffShowsRewrittenMoves(t *testing.T) {
	t.Setenv("ALL", "")
	files := twoSteps()
	files["step01-naive/addsvc/rules.go"] = "package addsvc\n\nfunc a() {}\n"
	files["step02-moved/addservice/rules.go"] = "package addservice\n\n// B is new.\nfunc B() int {\n\treturn 2\n}\n"
	w, out, errOut := fakeRepo(t, files)
	if err := runDiff(context.Background(), w, []string{"1", "2"}); err != nil {
		t.Fatalf("diff 1 2: %v\n%s", err, errOut)
	}
	got := out.String()
	for _, want := range []string{
		"rename to step02-moved/addservice/service.go", // git sees this one
		"(addsvc/rules.go moved to addservice/rules.go, with the changes below)\n",
		"diff --git a/step01-naive/addsvc/rules.go b/step02-moved/addservice/rules.go\n",
		"-func a() {}\n",
		"+func B() int {\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diff 1 2 lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "deleted file") || strings.Contains(got, "new file") {
		t.Errorf("diff 1 2 shows a move as a deletion and an addition:\n%s", got)
	}
}

func TestExerciseMarkersAreLeftOut(t *testing.T) {
	src := "func f() {\n\t// exercise 4.2 begin\n\tx()\n\t// exercise 4.2 end\n\t// exercise 4.2 begins here, says a comment\n}\n"
	want := "func f() {\n\tx()\n\t// exercise 4.2 begins here, says a comment\n}\n"
	if got := string(exerciseMarker.ReplaceAll([]byte(src), nil)); got != want {
		t.Errorf("without the markers:\n%s\nwant:\n%s", got, want)
	}
	for _, f := range []string{"exercises/4.2.md", "exercises/4.1.md", "addtransport/testdata/fuzz/FuzzX/0a1b"} {
		if !leftOut(f, false) || leftOut(f, true) {
			t.Errorf("leftOut(%q) = %v, %v; want true without -all, false with it", f, leftOut(f, false), leftOut(f, true))
		}
	}
}

// TestDiffShowsAMoveThatKeepsAThirdAsARename is step 4's case: the
// transport of addsvc/transport_http.go moves to addtransport/http.go and
// most of it is rewritten; a third of it stays, and diff pairs the two.
func TestDiffShowsAMoveThatKeepsAThirdAsARename(t *testing.T) {
	t.Setenv("ALL", "")
	var kept, before, after strings.Builder
	for i := range 20 {
		kept.WriteString("// kept " + strings.Repeat("k", i) + "\n")
	}
	for i := range 30 {
		before.WriteString("// before " + strings.Repeat("b", i) + "\n")
		after.WriteString("// after " + strings.Repeat("a", i) + "\n")
	}
	files := map[string]string{
		"go.work":                           "go 1.26.0\n",
		"step01-naive/go.mod":               "module example.com/w/step01-naive\n",
		"step01-naive/addsvc/transport.go":  "package addsvc\n" + kept.String() + before.String(),
		"step02-moved/go.mod":               "module example.com/w/step02-moved\n",
		"step02-moved/addtransport/http.go": "package addtransport\n" + kept.String() + after.String(),
	}
	w, out, errOut := fakeRepo(t, files)
	if err := runDiff(context.Background(), w, []string{"1", "2"}); err != nil {
		t.Fatalf("diff 1 2: %v\n%s", err, errOut)
	}
	for _, want := range []string{"rename from step01-naive/addsvc/transport.go", "rename to step02-moved/addtransport/http.go"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("diff 1 2 lacks %q:\n%s", want, out)
		}
	}
}
