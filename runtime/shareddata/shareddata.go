// Package shareddata locates the project's shared test data (the
// conformance tables and sample datasets kept beside the repository in
// ../shared) for tests.
//
// Tests never copy that data into the repository. When it is absent a test
// is skipped with a message, except under CI=true, where its absence fails
// the test: CI always runs with ../shared beside the clone.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names an environment variable that overrides the location of the
// shared directory.
const EnvDir = "STREAMGEN_SHARED"

// Find returns the absolute path of sub inside the shared directory, or an
// error saying where it looked.
func Find(sub string) (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		p := filepath.Join(d, sub)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("shareddata: %s=%s: %w", EnvDir, d, err)
		}
		return filepath.Abs(p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	// Walk up to the module root (the directory holding go.mod), then
	// look for ../shared beside it.
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(dir), "shared", sub)
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("shareddata: %s not found beside the module root %s (set %s to override)", p, dir, EnvDir)
			}
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("shareddata: no go.mod above %s", wd)
		}
	}
}

// Dir returns the absolute path of sub inside the shared directory. When
// it is missing the test is skipped, or failed when CI=true.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	p, err := Find(sub)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data required under CI=true: %v", err)
		}
		t.Skipf("skipping: shared test data not available: %v", err)
	}
	return p
}
