package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// findRoot returns the repository's root: the nearest directory at or above
// dir that holds go.work. "make demo" runs the demo from tools/, and "go run"
// from anywhere in the repository works as well.
func findRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find the repository root: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		_, err := os.Stat(filepath.Join(d, "go.work"))
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find the repository root: %w", err)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find the repository root: no go.work in %s or above it; run the demo inside the workshop's repository", dir)
		}
	}
}

// relPath returns path relative to root when it lies inside it, so that
// the paths that the demo prints are short; otherwise path itself.
func relPath(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
