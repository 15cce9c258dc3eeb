package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindRoot(t *testing.T) {
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "repo")
	deep := filepath.Join(repo, "tools", "cmd", "demo")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "go.work"), []byte("go 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(tmp, "elsewhere")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		dir     string
		want    string
		wantErr bool
	}{
		{name: "at the root", dir: repo, want: repo},
		{name: "deep inside", dir: deep, want: repo},
		{name: "outside any repository", dir: outside, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findRoot(tt.dir)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("findRoot(%s) = %s, want an error", tt.dir, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("findRoot(%s): %v", tt.dir, err)
			}
			if got != tt.want {
				t.Errorf("findRoot(%s) = %s, want %s", tt.dir, got, tt.want)
			}
		})
	}
}

func TestRelPath(t *testing.T) {
	tests := []struct {
		root, path, want string
	}{
		{"/repo", "/repo/.run/demo/addsvc.log", ".run/demo/addsvc.log"},
		{"/repo", "/repo", "."},
		{"/repo", "/elsewhere/x.log", "/elsewhere/x.log"},
		{"/repo", "/repository/x.log", "/repository/x.log"},
	}
	for _, tt := range tests {
		if got := relPath(tt.root, tt.path); got != tt.want {
			t.Errorf("relPath(%q, %q) = %q, want %q", tt.root, tt.path, got, tt.want)
		}
	}
}
