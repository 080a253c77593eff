// Package gcstest runs a Google Cloud Storage emulator, fake-gcs-server,
// for tests.
//
// The server is built from source through the Go module proxy at a pinned
// version ([Module]@[Version]) into a cache directory, once per machine
// (cold: about 1.5 minutes on 2 cores; the binary is 50 MB), and then
// started per test on 127.0.0.1 with a random port and the in-memory
// backend (about 0.1 s); it is stopped when the test ends. It speaks the
// JSON API (uploads, listings with StartOffset, ifGenerationMatch
// preconditions, checked atomically) and the XML API reads the Go client
// uses.
//
// When the server cannot be built or started the test is skipped with the
// reason, except under CI=true, where it fails. STREAMGEN_FAKE_GCS names a
// fake-gcs-server binary to use instead of building one;
// STREAMGEN_FAKE_GCS_CACHE overrides the cache directory (default:
// $XDG_CACHE_HOME or ~/.cache, then streamgen/fake-gcs-server-VERSION).
package gcstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gcs "cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"google.golang.org/api/option"

	"github.com/streamgen/streamgen/runtime/storage/gcsstore"
	"github.com/streamgen/streamgen/runtime/storage/internal/gotool"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
)

const (
	// Module is fake-gcs-server's module path.
	Module = "github.com/fsouza/fake-gcs-server"
	// Version is the pinned release.
	Version = "v1.56.1"
	// Project is the project buckets are created in (the emulator takes
	// any).
	Project = "streamgen-test"
)

// EnvBinary names a fake-gcs-server binary to use instead of building one.
const EnvBinary = "STREAMGEN_FAKE_GCS"

// EnvCache overrides the directory the binary is built into.
const EnvCache = "STREAMGEN_FAKE_GCS_CACHE"

// Server is a running fake-gcs-server.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// Host is the server's host:port, the value of STORAGE_EMULATOR_HOST.
	Host string

	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	exitLog string // the log, once the process has exited
	stop    sync.Once
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// CacheDir returns the directory the pinned fake-gcs-server is built into.
func CacheDir() (string, error) { return tool.CacheDir() }

// Binary returns the path of the fake-gcs-server binary, building it
// first if the cache does not hold it. Concurrent callers, in this process
// or others (go test runs packages in parallel), build it once: a lock
// file in the cache directory serializes the builds.
func Binary() (string, error) {
	buildOnce.Do(func() { buildPath, buildErr = binary() })
	return buildPath, buildErr
}

// tool is the pinned build of the server.
var tool = gotool.Tool{Name: "fake-gcs-server", Module: Module, Version: Version,
	EnvBinary: EnvBinary, EnvCache: EnvCache, Logger: "gcstest"}

func binary() (string, error) { return tool.Binary() }

// Start starts a fake-gcs-server for the test and stops it when the test
// ends. It skips the test when the server cannot be had, or fails it
// under CI=true.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("fake-gcs-server required under CI=true: %v", err)
		}
		tb.Skipf("skipping: fake-gcs-server (GCS emulator) not available: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a port taken between pick and bind
		s, err := startOnce(bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func startOnce(bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gcstest-")
	if err != nil {
		return nil, err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	s := &Server{
		Endpoint: "http://" + host,
		Host:     host,
		done:     make(chan struct{}),
		logPath:  filepath.Join(dir, "fake-gcs-server.log"),
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin,
		"-scheme", "http",
		"-host", "127.0.0.1",
		"-port", fmt.Sprint(port),
		"-backend", "memory",
		"-external-url", s.Endpoint, // the Location of resumable uploads
		"-public-host", host,
		"-log-level", "warn",
	)
	cmd.Dir = dir
	// FAKE_GCS_* variables would override the flags' defaults.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FAKE_GCS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	setPdeathsig(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait()
		logf.Close()
		log, _ := os.ReadFile(s.logPath) // before the directory goes
		s.exitLog = strings.TrimSpace(string(log))
		os.RemoveAll(dir)
		close(s.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("fake-gcs-server exited at start: %s", s.exitLog)
		default:
		}
		resp, err := client.Get(s.Endpoint + "/storage/v1/b")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("fake-gcs-server at %s not ready after 30s: %v", s.Endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s). It is
// idempotent.
func (s *Server) Stop() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Env returns the environment a process needs to reach the server
// through gocloud.dev/blob/gcsblob's gs:// URLs (and the Go client's
// storage.NewClient): STORAGE_EMULATOR_HOST, which also makes both use no
// credentials.
func (s *Server) Env() []string {
	return []string{"STORAGE_EMULATOR_HOST=" + s.Host}
}

// SetEnv sets [Server.Env] for the test (so the test must not be
// parallel).
func (s *Server) SetEnv(t testing.TB) {
	t.Helper()
	type setenv interface{ Setenv(k, v string) }
	se, ok := t.(setenv)
	if !ok {
		t.Fatalf("gcstest: %T cannot Setenv", t)
	}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		se.Setenv(k, v)
	}
}

// ClientOptions returns the options of a Go storage client of the server:
// its endpoint, no authentication, and opts after them (for example
// option.WithHTTPClient with a recording transport).
func (s *Server) ClientOptions(opts ...option.ClientOption) []option.ClientOption {
	return append([]option.ClientOption{
		option.WithEndpoint(s.Endpoint + "/storage/v1/"),
		option.WithoutAuthentication(),
	}, opts...)
}

// Client returns a Go storage client of the server, without touching the
// environment. The caller closes it.
func (s *Server) Client(ctx context.Context, opts ...option.ClientOption) (*gcs.Client, error) {
	return gcs.NewClient(ctx, s.ClientOptions(opts...)...)
}

// NewBucket creates a bucket with a fresh name and returns the name.
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	c, err := s.Client(ctx)
	if err != nil {
		tb.Fatalf("gcstest: client: %v", err)
	}
	defer c.Close()
	name := "test-" + randHex(8)
	if err := c.Bucket(name).Create(ctx, Project, nil); err != nil {
		tb.Fatalf("gcstest: create bucket %s: %v", name, err)
	}
	return name
}

// OpenBucket opens bucket through gocloud.dev's gcsblob with client (see
// [Server.Client]), without touching the environment. The bucket does not
// close the client.
func (s *Server) OpenBucket(client *gcs.Client, bucket string) (*blob.Bucket, error) {
	return gcsblob.OpenBucket(context.Background(), nil, bucket, &gcsblob.Options{Client: client})
}

// Store returns a gcsstore store on prefix of a new bucket, closed when
// the test ends. clientOpts are the Go client's (after the server's own).
func (s *Server) Store(tb testing.TB, prefix string, opts *objstore.Options, clientOpts ...option.ClientOption) *objstore.ObjectStore {
	tb.Helper()
	return s.StoreOf(tb, s.NewBucket(tb), prefix, opts, clientOpts...)
}

// StoreOf returns a gcsstore store on prefix of bucket, with a client of
// its own, closed when the test ends.
func (s *Server) StoreOf(tb testing.TB, bucket, prefix string, opts *objstore.Options, clientOpts ...option.ClientOption) *objstore.ObjectStore {
	tb.Helper()
	c, err := s.Client(context.Background(), clientOpts...)
	if err != nil {
		tb.Fatalf("gcstest: client: %v", err)
	}
	b, err := s.OpenBucket(c, bucket)
	if err != nil {
		c.Close()
		tb.Fatal(err)
	}
	st := gcsstore.New(b, prefix, "gs://"+bucket+"/"+prefix, opts)
	tb.Cleanup(func() {
		st.Close()
		c.Close()
	})
	return st
}
