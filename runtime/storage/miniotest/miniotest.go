// Package miniotest runs a real S3-compatible server, MinIO, for tests.
//
// The server is built from source through the Go module proxy at a pinned
// version ([Module]@[Version]) into a cache directory, once per machine
// (cold: about 4.5 minutes on 2 cores, ~1.2 GB of modules and ~1.6 GB of
// build cache; the binary is 150 MB), and then started in about 0.2 s per
// test on 127.0.0.1 with random ports, random credentials and a temporary
// data directory; it is stopped when the test ends.
//
// When the server cannot be built or started the test is skipped with the
// reason, except under CI=true, where it fails. STREAMGEN_MINIO names a
// minio binary to use instead of building one; STREAMGEN_MINIO_CACHE
// overrides the cache directory (default: $XDG_CACHE_HOME or ~/.cache,
// then streamgen/minio-VERSION).
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/streamgen/streamgen/runtime/storage/internal/gotool"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
	"github.com/streamgen/streamgen/runtime/storage/s3store"
)

const (
	// Module is MinIO's module path. It has no semver tags (its releases
	// are RELEASE.<date> tags, which the proxy does not serve by name), so
	// it is pinned by pseudo-version.
	Module = "github.com/minio/minio"
	// Version is the pinned MinIO commit (2026-02-12; its go.mod asks for
	// go 1.24, built here with the project's Go).
	Version = "v0.0.0-20260212201848-7aac2a2c5b7c"
	// Region is the region the server and clients agree on.
	Region = "us-east-1"
)

// EnvBinary names a minio binary to use instead of building one.
const EnvBinary = "STREAMGEN_MINIO"

// EnvCache overrides the directory the binary is built into.
const EnvCache = "STREAMGEN_MINIO_CACHE"

// Server is a running MinIO server.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string

	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	// exitLog is the server's log, read when it exits (before done closes).
	exitLog string
	stop    sync.Once
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// CacheDir returns the directory the pinned MinIO is built into.
func CacheDir() (string, error) { return tool.CacheDir() }

// Binary returns the path of the minio binary, building it first if the
// cache does not hold it. Concurrent callers, in this process or others
// (go test runs packages in parallel), build it once: a lock file in the
// cache directory serializes the builds.
func Binary() (string, error) {
	buildOnce.Do(func() { buildPath, buildErr = binary() })
	return buildPath, buildErr
}

// tool is the pinned build of the server.
var tool = gotool.Tool{Name: "minio", Module: Module, Version: Version,
	EnvBinary: EnvBinary, EnvCache: EnvCache, Logger: "miniotest"}

func binary() (string, error) { return tool.Binary() }

// Start starts a MinIO server for the test and stops it when the test
// ends. It skips the test when the server cannot be had, or fails it
// under CI=true.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// unavailable skips tb because no server could be had, or fails it under
// CI=true.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("MinIO required under CI=true: %v", err)
	}
	tb.Skipf("skipping: MinIO not available: %v", err)
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns one server shared by all the tests of the process that
// call it, started by the first call: for tests that upload the same data
// once and read it from several tests, or that would rather not start a
// server each. Like [Start] it skips the test when the server cannot be
// had (every caller, not only the first), or fails it under CI=true.
// The server outlives the tests: call [StopShared] in TestMain after
// m.Run (on Linux it also dies with the test process, but its temporary
// data directory is then left behind). Tests sharing the server keep to
// buckets of their own ([Server.NewBucket], [Server.Store]).
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		unavailable(tb, shared.err)
	}
	return shared.srv
}

// StopShared stops the server [Shared] started, if any, and makes later
// calls of Shared skip (or fail) their tests. It is idempotent; it must
// not run concurrently with Shared (call it once the tests are done).
func StopShared() {
	shared.once.Do(func() {})
	if shared.srv != nil {
		shared.srv.Stop()
		shared.srv = nil
	}
	if shared.err == nil {
		shared.err = errors.New("miniotest: the shared server was stopped")
	}
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
	console, err := freePort()
	if err != nil {
		return nil, err
	}
	if console == port {
		return nil, errors.New("the same free port twice")
	}
	data, err := os.MkdirTemp("", "miniotest-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint:  fmt.Sprintf("http://127.0.0.1:%d", port),
		AccessKey: "test" + randHex(6),
		SecretKey: randHex(16),
		done:      make(chan struct{}),
		logPath:   filepath.Join(data, "minio.log"),
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(data)
		return nil, err
	}
	cmd := exec.Command(bin, "server", "--quiet", "--anonymous",
		"--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", console),
		filepath.Join(data, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_REGION="+Region,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	setPdeathsig(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(data)
		return nil, err
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait()
		logf.Close()
		// Read the log before its directory goes: a server that exits at
		// start says why there.
		if b, err := os.ReadFile(s.logPath); err == nil {
			s.exitLog = strings.TrimSpace(string(b))
		}
		os.RemoveAll(data)
		close(s.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("minio exited at start: %s", s.exitLog)
		default:
		}
		resp, err := client.Get(s.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("minio at %s not ready after 30s: %v", s.Endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s) and removes
// its data. It is idempotent.
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

// Env returns the environment a process needs to reach the server with
// the AWS SDK's standard chain (credentials, region, endpoint): for
// subprocesses, or for t.Setenv before storage.OpenURL (this package
// imports s3store, which registers s3://).
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
	}
}

// SetEnv sets [Server.Env] for the test (so the test must not be
// parallel).
func (s *Server) SetEnv(t testing.TB) {
	t.Helper()
	type setenv interface{ Setenv(k, v string) }
	se, ok := t.(setenv)
	if !ok {
		t.Fatalf("miniotest: %T cannot Setenv", t)
	}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		se.Setenv(k, v)
	}
}

// URL returns the s3:// location of prefix in bucket, with the endpoint
// and region in its query (credentials still come from the environment:
// see [Server.SetEnv]).
func (s *Server) URL(bucket, prefix string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}, "use_path_style": {"true"}}
	u := url.URL{Scheme: "s3", Host: bucket, Path: "/" + strings.Trim(prefix, "/"), RawQuery: q.Encode()}
	return u.String()
}

// Client returns an S3 client of the server with its root credentials.
func (s *Server) Client() *s3.Client { return ClientFor(s.Endpoint, s.AccessKey, s.SecretKey) }

// ClientFor returns a path-style S3 client of endpoint with static
// credentials (for example through a fault-injecting proxy in front of a
// Server).
func ClientFor(endpoint, accessKey, secretKey string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}, optFns...)
}

// NewBucket creates a bucket with a fresh name and returns the name.
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	name := "test-" + randHex(8)
	_, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		tb.Fatalf("miniotest: create bucket %s: %v", name, err)
	}
	return name
}

// OpenBucket opens bucket through gocloud.dev's s3blob with the root
// credentials, without touching the environment.
func (s *Server) OpenBucket(ctx context.Context, bucket string) (*blob.Bucket, error) {
	return s3blob.OpenBucket(ctx, s.Client(), bucket, nil)
}

// Store returns an [objstore.ObjectStore] on prefix of a new bucket,
// closed when the test ends.
func (s *Server) Store(tb testing.TB, prefix string, opts *objstore.Options) *objstore.ObjectStore {
	tb.Helper()
	bucket := s.NewBucket(tb)
	b, err := s.OpenBucket(context.Background(), bucket)
	if err != nil {
		tb.Fatal(err)
	}
	st := s3store.New(b, prefix, "s3://"+bucket+"/"+prefix, opts)
	tb.Cleanup(func() { st.Close() })
	return st
}
