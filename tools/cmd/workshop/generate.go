package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/gokit-workshop/workshop/tools/internal/repo"
)

// The protoc plugins, pinned by the tool directives of tools/go.mod.
var protocPlugins = []struct{ name, pkg string }{
	{"protoc-gen-go", "google.golang.org/protobuf/cmd/protoc-gen-go"},
	{"protoc-gen-go-grpc", "google.golang.org/grpc/cmd/protoc-gen-go-grpc"},
}

func generateCommand() command {
	return command{
		name:    "generate",
		args:    "[-check]",
		summary: "regenerate the steps' gRPC code (-check: fail if it is stale)",
		run:     runGenerate,
	}
}

// runGenerate regenerates the gRPC code of every step that has a
// pb/*.proto. With -check it generates into a scratch directory instead,
// and fails if the committed code differs from what the generators write;
// the line naming protoc's own version is ignored, so that another protoc
// release is no change.
func runGenerate(ctx context.Context, w *workshop, args []string) error {
	fset := flag.NewFlagSet("generate", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	check := fset.Bool("check", false, "compare instead of writing")
	if err := fset.Parse(args); err != nil || fset.NArg() > 0 {
		return usageError{"usage: " + suggest("make generate, or make generate-check", "generate [-check]")}
	}
	protoc, err := w.protoc(ctx)
	if err != nil {
		return err
	}
	plugins, err := w.buildPlugins(ctx)
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "workshop-generate-")
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer os.RemoveAll(scratch)

	steps, err := w.steps()
	if err != nil {
		return err
	}
	stale := false
	for _, s := range steps {
		pb := filepath.Join(w.root, s.Dir, "pb")
		protos, err := filepath.Glob(filepath.Join(pb, "*.proto"))
		if err != nil || len(protos) == 0 {
			continue
		}
		module, err := modulePath(filepath.Join(w.root, s.Dir, "go.mod"))
		if err != nil {
			return err
		}
		out := pb
		if *check {
			out = filepath.Join(scratch, s.Dir)
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
		}
		for _, proto := range protos {
			name := filepath.Base(proto)
			m := "M" + name + "=" + module + "/pb"
			cmd := w.command(ctx, pb, protoc, "-I", ".",
				"--plugin="+plugins[0], "--plugin="+plugins[1],
				"--go_out="+out, "--go_opt=paths=source_relative", "--go_opt="+m,
				"--go-grpc_out="+out, "--go-grpc_opt=paths=source_relative", "--go-grpc_opt="+m,
				name)
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("protoc %s/pb/%s: %w", s.Dir, name, err)
			}
		}
		if !*check {
			fmt.Fprintf(w.stderr, "generated %s/pb\n", s.Dir)
			continue
		}
		ok, err := w.compareGenerated(s, pb, out)
		if err != nil {
			return err
		}
		stale = stale || !ok
	}
	if stale {
		return exitStatus{exitFailed}
	}
	if *check {
		fmt.Fprintln(w.stderr, "generated gRPC code is up to date")
	}
	return nil
}

// compareGenerated compares the code generated into dir with step s's
// committed code in pb, says what differs, and reports whether nothing
// does.
func (w *workshop) compareGenerated(s repo.Step, pb, dir string) (bool, error) {
	generated, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return false, err
	}
	ok := true
	for _, g := range generated {
		name := filepath.Base(g)
		want, err := os.ReadFile(g)
		if err != nil {
			return false, fmt.Errorf("generate: %w", err)
		}
		committed, err := os.ReadFile(filepath.Join(pb, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("generate: %w", err)
		}
		if d := diff.Diff("committed", withoutProtocVersion(committed), "generated", withoutProtocVersion(want)); d != nil {
			w.stderr.Write(d)
			fmt.Fprintf(w.stderr, "%s/pb/%s is stale: run make generate and commit the result\n", s.Dir, name)
			ok = false
		}
	}
	return ok, nil
}

// protocVersionLine matches the line of generated code that names protoc's
// version: "// \tprotoc        v3.21.12" or "// - protoc             v3.21.12".
var protocVersionLine = regexp.MustCompile(`(?m)^//[ \t]*(-[ \t]*)?protoc[ \t].*$`)

func withoutProtocVersion(code []byte) []byte {
	return protocVersionLine.ReplaceAll(code, []byte("// protoc (version left out)"))
}

// modulePath returns the module path that the go.mod file at path declares.
func modulePath(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("generate: %s declares no module", path)
}

// protoc returns the protoc to run: the one on PATH, or on Debian and
// Ubuntu the one that the package protobuf-compiler installs.
func (w *workshop) protoc(ctx context.Context) (string, error) {
	if path, err := exec.LookPath("protoc"); err == nil {
		return path, nil
	}
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return "", errors.New("protoc is missing: install it (macOS: brew install protobuf; Windows: winget install protobuf) and run this again")
	}
	fmt.Fprintln(w.stderr, "installing protoc (Debian package protobuf-compiler) ...")
	if err := w.aptInstall(ctx, "protobuf-compiler"); err != nil {
		return "", fmt.Errorf("install protoc: %w", err)
	}
	return exec.LookPath("protoc")
}

// aptInstall installs the Debian packages pkgs, with sudo unless this runs
// as root.
func (w *workshop) aptInstall(ctx context.Context, pkgs ...string) error {
	var sudo []string
	if os.Geteuid() != 0 {
		sudo = []string{"sudo"}
	}
	run := func(args ...string) error {
		argv := append(append(sudo, "env", "DEBIAN_FRONTEND=noninteractive"), args...)
		cmd := w.command(ctx, w.root, argv[0], argv[1:]...)
		cmd.Stdout = io.Discard
		return cmd.Run()
	}
	if err := run("apt-get", "update", "-qq"); err != nil {
		return err
	}
	return run(append([]string{"apt-get", "install", "-y", "-qq"}, pkgs...)...)
}

// buildPlugins builds the protoc plugins at the versions that tools/go.mod
// pins into .tools/bin and returns protoc's --plugin values for them.
func (w *workshop) buildPlugins(ctx context.Context) ([]string, error) {
	bin := filepath.Join(w.root, ".tools", "bin")
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	var plugins []string
	for _, p := range protocPlugins {
		args = append(args, p.pkg)
		plugins = append(plugins, p.name+"="+filepath.Join(bin, exe(p.name)))
	}
	// In the tools module alone: the workspace could select other versions.
	cmd := w.command(ctx, filepath.Join(w.root, "tools"), "go", args...)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build the protoc plugins: %w", err)
	}
	return plugins, nil
}
