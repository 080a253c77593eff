// Package azuritest runs Azurite, the Azure Blob Storage emulator, for
// tests.
//
// Azurite is a Node.js program: it is installed from the npm registry with
// `npm ci` at the version and dependency tree pinned by npm/package.json
// and npm/package-lock.json (embedded here) into a cache directory, once
// per machine (cold: about a minute, 365 MB of node_modules), and then
// its blob service is started per test on 127.0.0.1 with a random port
// and in-memory persistence (about 1 s); it is stopped when the test
// ends. Clients use the emulator's well-known account [Account] and
// [Key].
//
// When the emulator cannot be installed or started (no node or npm on
// PATH, no registry) the test is skipped with the reason, except under
// CI=true, where it fails. STREAMGEN_AZURITE names an azurite-blob
// executable to use instead of installing one; STREAMGEN_AZURITE_CACHE
// overrides the cache directory (default: $XDG_CACHE_HOME or ~/.cache,
// then streamgen/azurite-VERSION-LOCKHASH).
package azuritest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"

	"github.com/streamgen/streamgen/runtime/storage/azurestore"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
)

const (
	// Package is Azurite's npm package.
	Package = "azurite"
	// Version is the pinned release (npm/package.json pins it too).
	Version = "3.37.0"
	// Account is the emulator's well-known storage account.
	Account = "devstoreaccount1"
	// Key is the well-known key of [Account] (public: it is in Azurite's
	// documentation).
	Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// EnvBinary names an azurite-blob executable to use instead of
// installing one.
const EnvBinary = "STREAMGEN_AZURITE"

// EnvCache overrides the directory Azurite is installed into.
const EnvCache = "STREAMGEN_AZURITE_CACHE"

//go:embed npm/package.json npm/package-lock.json
var npmFiles embed.FS

// Server is a running Azurite blob service.
type Server struct {
	// Endpoint is the service's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// Host is the service's host:port.
	Host string

	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	exitLog string // the log, once the process has exited
	stop    sync.Once
}

var (
	installOnce sync.Once
	installPath string
	installErr  error
)

// lockHash is a short hash of the embedded package-lock.json: a new lock
// installs into a new cache directory.
func lockHash() string {
	b, err := npmFiles.ReadFile("npm/package-lock.json")
	if err != nil {
		panic(err) // embedded
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}

// CacheDir returns the directory the pinned Azurite is installed into.
func CacheDir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
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
	return filepath.Join(base, "streamgen", "azurite-"+Version+"-"+lockHash()), nil
}

// Binary returns the path of the azurite-blob executable, installing
// Azurite first if the cache does not hold it. Concurrent callers, in this
// process or others (go test runs packages in parallel), install it once:
// a lock file in the cache directory serializes the installs.
func Binary() (string, error) {
	installOnce.Do(func() { installPath, installErr = binary() })
	return installPath, installErr
}

func binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("Azurite needs Node.js: %w", err)
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("installing Azurite needs npm: %w", err)
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
		return bin, nil // installed by another process meanwhile
	}
	tmp, err := os.MkdirTemp(dir, "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := npmFiles.ReadFile("npm/" + name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", err
		}
	}
	// The lock pins every package; no install scripts are needed.
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = tmp
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 4000 {
			tail = "..." + tail[len(tail)-4000:]
		}
		return "", fmt.Errorf("npm ci %s@%s: %w\n%s", Package, Version, err, tail)
	}
	// node_modules/.bin links are relative: the tree can move whole.
	if err := os.Rename(filepath.Join(tmp, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("npm ci %s@%s: no azurite-blob: %w", Package, Version, err)
	}
	fmt.Fprintf(os.Stderr, "azuritest: installed %s@%s into %s in %s\n", Package, Version, dir, time.Since(start).Round(time.Second))
	return bin, nil
}

// Start starts an Azurite blob service for the test and stops it when the
// test ends. It skips the test when the emulator cannot be had, or fails
// it under CI=true.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Azurite required under CI=true: %v", err)
		}
		tb.Skipf("skipping: Azurite (Azure Blob Storage emulator) not available: %v", err)
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
	dir, err := os.MkdirTemp("", "azuritest-")
	if err != nil {
		return nil, err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	s := &Server{
		Endpoint: "http://" + host,
		Host:     host,
		done:     make(chan struct{}),
		logPath:  filepath.Join(dir, "azurite.log"),
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin,
		"--blobHost", "127.0.0.1",
		"--blobPort", fmt.Sprint(port),
		// Blobs and metadata in memory (Azurite refuses --location
		// with it): nothing on disk, nothing to clean.
		"--inMemoryPersistence",
		"--skipApiVersionCheck", // the Go SDK may be newer than the emulator
		"--loose",
		"--disableTelemetry", // no network but the loopback
		"--silent",
	)
	cmd.Dir = dir
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
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("azurite exited at start: %s", s.exitLog)
		default:
		}
		// Any HTTP answer (an unauthenticated listing is refused) says
		// the service is up.
		resp, err := client.Get(s.Endpoint + "/" + Account + "?comp=list")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("azurite at %s not ready after 60s: %v", s.Endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the emulator (SIGTERM, then SIGKILL after 5 s). It is
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

// BlobEndpoint returns the URL of the account's blob service.
func (s *Server) BlobEndpoint() string { return s.Endpoint + "/" + Account }

// ConnectionString returns the connection string of [Account] on the
// server.
func (s *Server) ConnectionString() string {
	return "DefaultEndpointsProtocol=http;AccountName=" + Account + ";AccountKey=" + Key +
		";BlobEndpoint=" + s.BlobEndpoint() + ";"
}

// Env returns the environment a process needs to reach the server through
// gocloud.dev/blob/azureblob's azblob:// URLs: the connection string in
// AZURE_STORAGE_CONNECTION_STRING, and the variables azureblob would
// prefer to it set empty.
func (s *Server) Env() []string {
	return []string{
		"AZURE_STORAGE_CONNECTION_STRING=" + s.ConnectionString(),
		"AZURE_STORAGE_ACCOUNT=",
		"AZURE_STORAGE_KEY=",
		"AZURE_STORAGE_SAS_TOKEN=",
	}
}

// KeyEnv returns the other form of the environment: the account and its
// shared key (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY), for URLs that
// name the emulator (see [Server.URL]).
func (s *Server) KeyEnv() []string {
	return []string{
		"AZURE_STORAGE_ACCOUNT=" + Account,
		"AZURE_STORAGE_KEY=" + Key,
		"AZURE_STORAGE_SAS_TOKEN=",
		"AZURE_STORAGE_CONNECTION_STRING=",
		"AZURE_STORAGEBLOB_CONNECTIONSTRING=",
	}
}

// SetEnv sets env (such as [Server.Env]) for the test (so the test must
// not be parallel).
func SetEnv(t testing.TB, env []string) {
	t.Helper()
	type setenv interface{ Setenv(k, v string) }
	se, ok := t.(setenv)
	if !ok {
		t.Fatalf("azuritest: %T cannot Setenv", t)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		se.Setenv(k, v)
	}
}

// URL returns the azblob:// location of prefix in container with the
// emulator in its query (domain=127.0.0.1:PORT, protocol=http: azureblob
// then puts the account in the path, as Azurite wants); credentials still
// come from the environment (see [Server.KeyEnv]).
func (s *Server) URL(containerName, prefix string) string {
	q := url.Values{"domain": {s.Host}, "protocol": {"http"}}
	u := url.URL{Scheme: "azblob", Host: containerName, Path: "/" + strings.Trim(prefix, "/"), RawQuery: q.Encode()}
	return u.String()
}

// ContainerClient returns a client of containerName on the server with
// the account's key; transport, when not nil, carries its requests (for
// example to record them).
func (s *Server) ContainerClient(containerName string, transport *http.Client) (*container.Client, error) {
	var opts container.ClientOptions
	if transport != nil {
		opts.ClientOptions = azcore.ClientOptions{Transport: transport}
	}
	return container.NewClientFromConnectionString(s.ConnectionString(), containerName, &opts)
}

// NewContainer creates a container with a fresh name and returns the
// name.
func (s *Server) NewContainer(tb testing.TB) string {
	tb.Helper()
	name := "test-" + randHex(8)
	c, err := s.ContainerClient(name, nil)
	if err != nil {
		tb.Fatalf("azuritest: container client: %v", err)
	}
	if _, err := c.Create(context.Background(), nil); err != nil {
		tb.Fatalf("azuritest: create container %s: %v", name, err)
	}
	return name
}

// OpenBucket opens containerName through gocloud.dev's azureblob, without
// touching the environment; transport may be nil.
func (s *Server) OpenBucket(ctx context.Context, containerName string, transport *http.Client) (*blob.Bucket, error) {
	c, err := s.ContainerClient(containerName, transport)
	if err != nil {
		return nil, err
	}
	return azureblob.OpenBucket(ctx, c, nil)
}

// Store returns an azurestore store on prefix of a new container, closed
// when the test ends; transport may be nil.
func (s *Server) Store(tb testing.TB, prefix string, opts *objstore.Options, transport *http.Client) *objstore.ObjectStore {
	tb.Helper()
	name := s.NewContainer(tb)
	b, err := s.OpenBucket(context.Background(), name, transport)
	if err != nil {
		tb.Fatal(err)
	}
	st := azurestore.New(b, prefix, "azblob://"+name+"/"+prefix, opts)
	tb.Cleanup(func() { st.Close() })
	return st
}
