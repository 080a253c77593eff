package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
	"github.com/streamgen/streamgen/runtime/storage/s3store"
	"github.com/streamgen/streamgen/runtime/storage/storagetest"
)

// The object-store adapter on gocloud's in-memory bucket: no service-side
// start key (the filtered fallback of ListFrom), no network. Fast.
func TestObjectStoreContractInMemory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s := objstore.New(memblob.OpenBucket(nil), "root/table", "mem://b/root/table", nil)
		t.Cleanup(func() { s.Close() })
		return s
	}, nil)
}

// The same contract on a real S3-compatible server (MinIO, built once
// into a cache directory by miniotest).
func TestObjectStoreContractMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	t.Run("prefix", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return srv.Store(t, "tables/events", nil)
		}, &storagetest.Options{Writers: 8, Names: 10})
	})
	t.Run("bucket root", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return srv.Store(t, "", nil)
		}, &storagetest.Options{Writers: 8, Names: 10})
	})
	t.Run("OpenURL", func(t *testing.T) {
		srv.SetEnv(t)
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			bucket := srv.NewBucket(t)
			// The endpoint comes from AWS_ENDPOINT_URL_S3, path style by default.
			s, err := storage.OpenURL(context.Background(), "s3://"+bucket+"/a/b")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.URL("x.json"), "s3://"+bucket+"/a/b/x.json"; got != want {
				t.Errorf("URL = %q, want %q", got, want)
			}
			t.Cleanup(func() { s.(*objstore.ObjectStore).Close() })
			return s
		}, &storagetest.Options{Writers: 4, Names: 5})
		// The URL form with the endpoint in the query.
		bucket := srv.NewBucket(t)
		s, err := storage.OpenURL(context.Background(), srv.URL(bucket, "p"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.(*objstore.ObjectStore).Close()
		if err := s.PutIfAbsent(context.Background(), "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		if b, err := srv.Store(t, "", nil).Read(context.Background(), "x"); !storage.IsNotExist(err) {
			t.Errorf("a fresh bucket: Read = %q, %v", b, err)
		}
	})
	t.Run("ListFromIsIncremental", func(t *testing.T) {
		testListFromIncremental(t, srv)
	})
	t.Run("UnknownOutcome", func(t *testing.T) {
		testUnknownOutcome(t, srv)
	})
	t.Run("ThrottlingIsRetried", func(t *testing.T) {
		testThrottling(t, srv)
	})
}

// proxy is a reverse proxy in front of the server that can drop answers
// and throttle requests, and counts the requests it sees.
type proxy struct {
	URL string
	mu  sync.Mutex
	// dropPutAnswers: the next n PUTs reach the server, but their
	// answers are lost (the connection is closed).
	dropPutAnswers int
	// throttle: the next n requests get 503 SlowDown without reaching
	// the server.
	throttle int
	lists    atomic.Int64
}

func newProxy(t *testing.T, target string) *proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		throttle := p.throttle > 0
		if throttle {
			p.throttle--
		}
		drop := r.Method == http.MethodPut && p.dropPutAnswers > 0
		if drop {
			p.dropPutAnswers--
		}
		p.mu.Unlock()
		if throttle {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
			p.lists.Add(1)
		}
		if drop {
			rec := &discard{h: http.Header{}}
			rp.ServeHTTP(rec, r)
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			c, _, _ := hj.Hijack()
			c.Close()
			return
		}
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.URL = "http://" + l.Addr().String()
	return p
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// storeVia opens bucket of srv through the proxy.
func storeVia(t *testing.T, srv *miniotest.Server, p *proxy, bucket string, opts *objstore.Options, optFns ...func(*s3.Options)) *objstore.ObjectStore {
	client := miniotest.ClientFor(p.URL, srv.AccessKey, srv.SecretKey, optFns...)
	b, err := s3blob.OpenBucket(context.Background(), client, bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := s3store.New(b, "t", "s3://"+bucket+"/t", opts)
	t.Cleanup(func() { s.Close() })
	return s
}

func testListFromIncremental(t *testing.T, srv *miniotest.Server) {
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	p := newProxy(t, srv.Endpoint)
	s := storeVia(t, srv, p, bucket, &objstore.Options{ListPageSize: 10})
	const n = 120
	for v := 0; v < n; v++ {
		if err := s.Put(ctx, fmt.Sprintf("_delta_log/%020d.json", v), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	before := p.lists.Load()
	got, err := s.ListFrom(ctx, "_delta_log", fmt.Sprintf("%020d", n-3))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != fmt.Sprintf("_delta_log/%020d.json", n-3) {
		t.Fatalf("ListFrom = %v", got)
	}
	// With pages of 10 keys a scan from the start would take 12 requests.
	if reqs := p.lists.Load() - before; reqs != 1 {
		t.Errorf("ListFrom of the last 3 of %d keys took %d list requests, want 1", n, reqs)
	}
	before = p.lists.Load()
	all, err := s.List(ctx, "_delta_log/")
	if err != nil || len(all) != n {
		t.Fatalf("List = %d entries, %v", len(all), err)
	}
	if reqs := p.lists.Load() - before; reqs != n/10+1 && reqs != n/10 {
		t.Errorf("List of %d keys in pages of 10 took %d requests", n, reqs)
	}
}

func testUnknownOutcome(t *testing.T, srv *miniotest.Server) {
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	p := newProxy(t, srv.Endpoint)
	s := storeVia(t, srv, p, bucket, nil)

	// The PUT lands but its answer is lost: the SDK retries, the retry is
	// refused (412), and the object holds our bytes: unknown, not ErrExist.
	p.mu.Lock()
	p.dropPutAnswers = 1
	p.mu.Unlock()
	err := s.PutIfAbsent(ctx, "_delta_log/00000000000000000001.json", []byte("ours"))
	var u *storage.UnknownOutcomeError
	if !errors.As(err, &u) {
		t.Fatalf("PutIfAbsent with a lost answer = %v, want an UnknownOutcomeError", err)
	}
	if storage.IsExist(err) {
		t.Errorf("an unknown outcome matches ErrExist: %v", err)
	}
	if got, rerr := storage.ResolvePut(ctx, s, "_delta_log/00000000000000000001.json", []byte("ours")); rerr != nil || got != storage.PutOurs {
		t.Errorf("ResolvePut = %v, %v; want PutOurs", got, rerr)
	}
	if got, rerr := storage.ResolvePut(ctx, s, "_delta_log/00000000000000000001.json", []byte("theirs")); rerr != nil || got != storage.PutTheirs {
		t.Errorf("ResolvePut(other bytes) = %v, %v; want PutTheirs", got, rerr)
	}
	// Without the SDK's retries the lost answer itself is the unknown.
	direct := storeVia(t, srv, p, bucket, nil, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	p.mu.Lock()
	p.dropPutAnswers = 1
	p.mu.Unlock()
	err = direct.PutIfAbsent(ctx, "_delta_log/00000000000000000002.json", []byte("ours"))
	if !errors.As(err, &u) || u.SameContent || storage.IsExist(err) {
		t.Fatalf("PutIfAbsent with a lost answer, no SDK retries = %v, want an UnknownOutcomeError", err)
	}
	if got, rerr := storage.ResolvePut(ctx, s, "_delta_log/00000000000000000002.json", []byte("ours")); rerr != nil || got != storage.PutOurs {
		t.Errorf("ResolvePut = %v, %v; want PutOurs (the PUT landed)", got, rerr)
	}
	// Another writer's bytes are ErrExist, as before.
	if err := s.PutIfAbsent(ctx, "_delta_log/00000000000000000001.json", []byte("theirs")); !storage.IsExist(err) || storage.IsUnknownOutcome(err) {
		t.Errorf("PutIfAbsent over other bytes = %v, want ErrExist", err)
	}
}

func testThrottling(t *testing.T, srv *miniotest.Server) {
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	p := newProxy(t, srv.Endpoint)
	// The SDK's own retries (3 attempts, with their backoff) are off:
	// this is about ours.
	noSDKRetries := func(o *s3.Options) { o.Retryer = aws.NopRetryer{} }
	s := storeVia(t, srv, p, bucket, &objstore.Options{BaseBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}, noSDKRetries)
	for _, op := range []struct {
		name string
		fn   func() error
	}{
		{"PutIfAbsent", func() error { return s.PutIfAbsent(ctx, "a", []byte("1")) }},
		{"Put", func() error { return s.Put(ctx, "b", []byte("2")) }},
		{"Read", func() error { _, err := s.Read(ctx, "a"); return err }},
		{"Stat", func() error { _, err := s.Stat(ctx, "b"); return err }},
		{"List", func() error { _, err := s.List(ctx, ""); return err }},
		{"ListFrom", func() error { _, err := s.ListFrom(ctx, "", "a"); return err }},
		{"Delete", func() error { return s.Delete(ctx, "b") }},
	} {
		p.mu.Lock()
		p.throttle = 7
		p.mu.Unlock()
		if err := op.fn(); err != nil {
			t.Errorf("%s under 7 throttled requests: %v", op.name, err)
		}
	}
	b, err := s.Read(ctx, "a")
	if err != nil || !bytes.Equal(b, []byte("1")) {
		t.Errorf("Read = %q, %v", b, err)
	}
	// Throttled for good: the error comes back, not a hang.
	p.mu.Lock()
	p.throttle = 1 << 20
	p.mu.Unlock()
	s2 := storeVia(t, srv, p, bucket, &objstore.Options{MaxRetries: 2, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, noSDKRetries)
	if _, err := s2.Read(ctx, "a"); err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("Read under endless throttling = %v, want a SlowDown error", err)
	}
	p.mu.Lock()
	p.throttle = 0
	p.mu.Unlock()
}
