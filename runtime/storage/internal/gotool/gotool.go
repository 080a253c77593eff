// Package gotool builds a Go command pinned at a module version into a
// cache directory, once: the test servers of runtime/storage (MinIO,
// fake-gcs-server) are built from the Go module proxy this way, since the
// machines that run the tests have nothing else to get them from.
package gotool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// Tool is a command of a Go module at a pinned version.
type Tool struct {
	// Name is the command's binary name ("minio").
	Name string
	// Module is the package path go install builds; Version its pinned
	// version.
	Module, Version string
	// EnvBinary names the environment variable that points at a binary to
	// use instead; EnvCache the one that overrides CacheDir.
	EnvBinary, EnvCache string
	// Logger names who reports the build on stderr ("miniotest").
	Logger string
}

// CacheDir returns the directory the tool is built into:
// $EnvCache, else <user cache>/streamgen/<Name>-<Version>.
func (t Tool) CacheDir() (string, error) {
	if d := os.Getenv(t.EnvCache); d != "" {
		return d, nil
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "streamgen", t.Name+"-"+t.Version), nil
}

// Binary returns the path of the tool's binary, building it first if the
// cache does not hold it. Concurrent callers, in this process or others
// (go test runs packages in parallel), build it once: a lock file in the
// cache directory serializes the builds.
func (t Tool) Binary() (string, error) {
	if p := os.Getenv(t.EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", t.EnvBinary, p, err)
		}
		return p, nil
	}
	dir, err := t.CacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, t.Name)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another process meanwhile
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "install", "-trimpath", t.Module+"@"+t.Version)
	cmd.Dir = tmp // outside any module: go.mod and its flags do not apply
	cmd.Env = append(os.Environ(),
		"GOBIN="+tmp,
		"GOFLAGS=", // e.g. CI's -mod=readonly is for our module, not this install
		"CGO_ENABLED=0",
		"GOTOOLCHAIN=local",
		"GOWORK=off",
	)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 4000 {
			tail = "..." + tail[len(tail)-4000:]
		}
		return "", fmt.Errorf("go install %s@%s: %w\n%s", t.Module, t.Version, err, tail)
	}
	if err := os.Rename(filepath.Join(tmp, t.Name), bin); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "%s: built %s@%s into %s in %s\n", t.Logger, t.Module, t.Version, dir, time.Since(start).Round(time.Second))
	return bin, nil
}
