package gcsstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"google.golang.org/api/option"

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/gcstest"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
	"github.com/streamgen/streamgen/runtime/storage/storagetest"
)

// The storage contract on a GCS emulator (fake-gcs-server, built once
// into a cache directory by gcstest), through gcsblob and the Go client's
// JSON API.
func TestContractFakeGCS(t *testing.T) {
	srv := gcstest.Start(t)
	t.Run("prefix", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return srv.Store(t, "tables/events", nil)
		}, nil) // the full PutIfAbsent race: 16 writers, 20 names
	})
	t.Run("bucket root", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return srv.Store(t, "", nil)
		}, &storagetest.Options{Writers: 8, Names: 10})
	})
	t.Run("OpenURL", func(t *testing.T) {
		// gcsblob's URL opener and the Go client both take the emulator
		// from STORAGE_EMULATOR_HOST, without credentials.
		srv.SetEnv(t)
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			bucket := srv.NewBucket(t)
			s, err := storage.OpenURL(context.Background(), "gs://"+bucket+"/a/b")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.URL("x.json"), "gs://"+bucket+"/a/b/x.json"; got != want {
				t.Errorf("URL = %q, want %q", got, want)
			}
			t.Cleanup(func() { s.(*objstore.ObjectStore).Close() })
			return s
		}, &storagetest.Options{Writers: 4, Names: 5})
	})
	t.Run("PutIfAbsentIsConditional", func(t *testing.T) {
		testConditional(t, srv)
	})
	t.Run("ListFromIsIncremental", func(t *testing.T) {
		testListFromIncremental(t, srv)
	})
	t.Run("UnknownOutcome", func(t *testing.T) {
		testUnknownOutcome(t, srv)
	})
	t.Run("LargePutIfAbsent", func(t *testing.T) {
		// Over the 5 MiB chunk: a resumable upload, its precondition
		// given when it starts and checked when it ends.
		testLarge(t, srv.Store(t, "t", nil))
	})
}

func testLarge(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	first := bytes.Repeat([]byte("first\x00\xff"), 6<<20/7+1) // just over 6 MiB
	second := bytes.Repeat([]byte("second\n"), 6<<20/7+1)
	if err := s.PutIfAbsent(ctx, "big", first); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "big", second); !storage.IsExist(err) {
		t.Fatalf("second PutIfAbsent of 6 MiB = %v, want ErrExist", err)
	}
	if b, err := s.Read(ctx, "big"); err != nil || !bytes.Equal(b, first) {
		t.Fatalf("Read = %d bytes, %v; want the first %d", len(b), err, len(first))
	}
	if err := s.Put(ctx, "big", second); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Read(ctx, "big"); err != nil || !bytes.Equal(b, second) {
		t.Fatalf("Read after Put = %d bytes, %v; want the second %d", len(b), err, len(second))
	}
}

// recorder is an HTTP transport that records the requests it carries and
// their answers, and can lose the answer of the next uploads (the request
// reaches the server, the client sees a broken connection).
type recorder struct {
	mu        sync.Mutex
	reqs      []call
	loseNext  int
	transport http.RoundTripper
}

type call struct {
	method string
	url    *url.URL
	status int
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.transport.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	c := call{method: req.Method, url: req.URL}
	if resp != nil {
		c.status = resp.StatusCode
	}
	r.reqs = append(r.reqs, c)
	if err == nil && isUpload(c) && r.loseNext > 0 {
		r.loseNext--
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

func isUpload(c call) bool { return strings.HasPrefix(c.url.Path, "/upload/storage/v1/") }

func isList(c call) bool {
	return c.method == http.MethodGet && strings.HasPrefix(c.url.Path, "/storage/v1/b/") && strings.HasSuffix(c.url.Path, "/o")
}

// take returns the requests recorded since the last take.
func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

func recordingStore(t *testing.T, srv *gcstest.Server, opts *objstore.Options) (*objstore.ObjectStore, *recorder) {
	rec := &recorder{transport: http.DefaultTransport.(*http.Transport).Clone()}
	s := srv.Store(t, "t", opts, option.WithHTTPClient(&http.Client{Transport: rec}))
	return s, rec
}

// PutIfAbsent sends ifGenerationMatch=0, and the emulator refuses it with
// 412 when the object exists: the refusal comes from the service, not
// from a check before the write.
func testConditional(t *testing.T, srv *gcstest.Server) {
	ctx := context.Background()
	s, rec := recordingStore(t, srv, nil)
	if err := s.PutIfAbsent(ctx, "_delta_log/0.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "_delta_log/0.json", []byte("second")); !storage.IsExist(err) {
		t.Fatalf("second PutIfAbsent = %v, want ErrExist", err)
	}
	var statuses []int
	for _, c := range rec.take() {
		if !isUpload(c) {
			continue
		}
		if got := c.url.Query().Get("ifGenerationMatch"); got != "0" {
			t.Errorf("PutIfAbsent's upload %s %s: ifGenerationMatch=%q, want 0", c.method, c.url, got)
		}
		statuses = append(statuses, c.status)
	}
	if fmt.Sprint(statuses) != "[200 412]" {
		t.Errorf("PutIfAbsent uploads answered %v, want [200 412]", statuses)
	}
	// Put is unconditional.
	if err := s.Put(ctx, "_last_checkpoint", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "_last_checkpoint", []byte("2")); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.take() {
		if isUpload(c) && c.url.Query().Has("ifGenerationMatch") {
			t.Errorf("Put's upload %s carries a precondition", c.url)
		}
	}
}

// ListFrom starts at its key on the service (StartOffset): the tail of a
// long directory costs one request.
func testListFromIncremental(t *testing.T, srv *gcstest.Server) {
	ctx := context.Background()
	s, rec := recordingStore(t, srv, &objstore.Options{ListPageSize: 10})
	const n = 120
	for v := 0; v < n; v++ {
		if err := s.Put(ctx, fmt.Sprintf("_delta_log/%020d.json", v), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	rec.take()
	got, err := s.ListFrom(ctx, "_delta_log", fmt.Sprintf("%020d", n-3))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != fmt.Sprintf("_delta_log/%020d.json", n-3) {
		t.Fatalf("ListFrom = %v", got)
	}
	lists := 0
	for _, c := range rec.take() {
		if isList(c) {
			lists++
			if c.url.Query().Get("startOffset") == "" {
				t.Errorf("ListFrom's list request %s has no startOffset", c.url)
			}
		}
	}
	// With pages of 10 keys a scan from the start would take 12 requests.
	if lists != 1 {
		t.Errorf("ListFrom of the last 3 of %d keys took %d list requests, want 1", n, lists)
	}
	all, err := s.List(ctx, "_delta_log/")
	if err != nil || len(all) != n {
		t.Fatalf("List = %d entries, %v", len(all), err)
	}
	lists = 0
	for _, c := range rec.take() {
		if isList(c) {
			lists++
		}
	}
	if lists != n/10 && lists != n/10+1 {
		t.Errorf("List of %d keys in pages of 10 took %d requests", n, lists)
	}
}

// A conditional upload whose answer is lost: the Go client retries it (a
// write with a generation precondition is idempotent), the retry is
// refused with 412, and the object holds our bytes: an unknown outcome,
// which ResolvePut settles, never ErrExist.
func testUnknownOutcome(t *testing.T, srv *gcstest.Server) {
	ctx := context.Background()
	s, rec := recordingStore(t, srv, nil)
	rec.mu.Lock()
	rec.loseNext = 1
	rec.mu.Unlock()
	name := "_delta_log/00000000000000000001.json"
	err := s.PutIfAbsent(ctx, name, []byte("ours"))
	var u *storage.UnknownOutcomeError
	if !errors.As(err, &u) || storage.IsExist(err) {
		t.Fatalf("PutIfAbsent with a lost answer = %v, want an UnknownOutcomeError", err)
	}
	if !u.SameContent {
		t.Errorf("PutIfAbsent with a lost answer = %v, want the client's retry refused over our own bytes (SameContent)", err)
	}
	if got, rerr := storage.ResolvePut(ctx, s, name, []byte("ours")); rerr != nil || got != storage.PutOurs {
		t.Errorf("ResolvePut = %v, %v; want PutOurs", got, rerr)
	}
	if got, rerr := storage.ResolvePut(ctx, s, name, []byte("theirs")); rerr != nil || got != storage.PutTheirs {
		t.Errorf("ResolvePut(other bytes) = %v, %v; want PutTheirs", got, rerr)
	}
	if err := s.PutIfAbsent(ctx, name, []byte("theirs")); !storage.IsExist(err) || storage.IsUnknownOutcome(err) {
		t.Errorf("PutIfAbsent over other bytes = %v, want ErrExist", err)
	}
}
