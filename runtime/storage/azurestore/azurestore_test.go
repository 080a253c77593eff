package azurestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/azurestore"
	"github.com/streamgen/streamgen/runtime/storage/azuritest"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
	"github.com/streamgen/streamgen/runtime/storage/storagetest"
)

// The storage contract on Azurite (installed once into a cache directory
// by azuritest), through azureblob and the Azure SDK.
func TestContractAzurite(t *testing.T) {
	srv := azuritest.Start(t)
	t.Run("prefix", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return srv.Store(t, "tables/events", nil, nil)
		}, nil) // the full PutIfAbsent race: 16 writers, 20 names
	})
	t.Run("container root", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return srv.Store(t, "", nil, nil)
		}, &storagetest.Options{Writers: 8, Names: 10})
	})
	t.Run("OpenURL", func(t *testing.T) {
		// The connection string in AZURE_STORAGE_CONNECTION_STRING.
		azuritest.SetEnv(t, srv.Env())
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			name := srv.NewContainer(t)
			s, err := storage.OpenURL(context.Background(), "azblob://"+name+"/a/b")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.URL("x.json"), "azblob://"+name+"/a/b/x.json"; got != want {
				t.Errorf("URL = %q, want %q", got, want)
			}
			t.Cleanup(func() { s.(*objstore.ObjectStore).Close() })
			return s
		}, &storagetest.Options{Writers: 4, Names: 5})
	})
	t.Run("OpenURLWithKey", func(t *testing.T) {
		// The account and key in the environment, the emulator in the
		// URL's domain= and protocol=.
		azuritest.SetEnv(t, srv.KeyEnv())
		name := srv.NewContainer(t)
		s, err := storage.OpenURL(context.Background(), srv.URL(name, "p"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.(*objstore.ObjectStore).Close()
		ctx := context.Background()
		if err := s.PutIfAbsent(ctx, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutIfAbsent(ctx, "k", []byte("w")); !storage.IsExist(err) {
			t.Errorf("second PutIfAbsent = %v, want ErrExist", err)
		}
		got, err := s.List(ctx, "")
		if err != nil || len(got) != 1 || got[0].Name != "k" {
			t.Errorf("List = %v, %v; want [k]", got, err)
		}
	})
	t.Run("PutIfAbsentIsConditional", func(t *testing.T) {
		testConditional(t, srv)
	})
	t.Run("UnknownOutcome", func(t *testing.T) {
		testUnknownOutcome(t, srv)
	})
	t.Run("LargePutIfAbsent", func(t *testing.T) {
		// Over the 5 MiB buffer: staged blocks and a conditional commit.
		testLarge(t, srv.Store(t, "t", nil, nil))
	})
	t.Run("FailedWriteIsAnError", func(t *testing.T) {
		// gocloud's azureblob Writer panicked on any failed upload
		// written through it; azurestore.Write goes around it.
		b, err := srv.OpenBucket(context.Background(), "no-such-container", nil)
		if err != nil {
			t.Fatal(err)
		}
		s := azurestore.New(b, "", "azblob://no-such-container/", &objstore.Options{MaxRetries: -1})
		defer s.Close()
		if err := s.Put(context.Background(), "k", []byte("v")); err == nil {
			t.Error("Put into a missing container succeeded")
		}
		if err := s.PutIfAbsent(context.Background(), "k", []byte("v")); err == nil || storage.IsExist(err) {
			t.Errorf("PutIfAbsent into a missing container = %v, want an error other than ErrExist", err)
		}
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
// reaches the service, the client sees a broken connection).
type recorder struct {
	mu       sync.Mutex
	reqs     []call
	loseNext int
}

type call struct {
	method      string
	query       string
	ifNoneMatch string
	blobType    string
	status      int
}

func (c call) isUpload() bool { return c.method == http.MethodPut && c.blobType != "" }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	c := call{
		method:      req.Method,
		query:       req.URL.RawQuery,
		ifNoneMatch: header(req, "If-None-Match"),
		blobType:    header(req, "x-ms-blob-type"),
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	if resp != nil {
		c.status = resp.StatusCode
	}
	r.reqs = append(r.reqs, c)
	if err == nil && c.isUpload() && r.loseNext > 0 {
		r.loseNext--
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

// header returns the request's header name: the Azure SDK sets its
// x-ms-* headers in the map as they are, not canonicalized.
func header(req *http.Request, name string) string {
	for k, v := range req.Header {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

func recordingStore(t *testing.T, srv *azuritest.Server) (*objstore.ObjectStore, *recorder) {
	rec := &recorder{}
	return srv.Store(t, "t", nil, &http.Client{Transport: rec}), rec
}

// PutIfAbsent is one Put Blob with If-None-Match: *, and Azurite refuses
// it when the blob exists (409 BlobAlreadyExists, as Azure does): the
// refusal comes from the service, not from a check before the write.
func testConditional(t *testing.T, srv *azuritest.Server) {
	ctx := context.Background()
	s, rec := recordingStore(t, srv)
	if err := s.PutIfAbsent(ctx, "_delta_log/0.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "_delta_log/0.json", []byte("second")); !storage.IsExist(err) {
		t.Fatalf("second PutIfAbsent = %v, want ErrExist", err)
	}
	var statuses []int
	for _, c := range rec.take() {
		if !c.isUpload() {
			continue
		}
		if c.ifNoneMatch != "*" || c.blobType != "BlockBlob" || c.query != "" {
			t.Errorf("PutIfAbsent's upload: If-None-Match %q, blob type %q, query %q; want one Put Blob of a BlockBlob with If-None-Match: *", c.ifNoneMatch, c.blobType, c.query)
		}
		statuses = append(statuses, c.status)
	}
	if fmt.Sprint(statuses) != "[201 409]" {
		t.Errorf("PutIfAbsent uploads answered %v, want [201 409]", statuses)
	}
	if err := s.Put(ctx, "_last_checkpoint", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "_last_checkpoint", []byte("2")); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.take() {
		if c.isUpload() && c.ifNoneMatch != "" {
			t.Errorf("Put's upload carries If-None-Match: %q", c.ifNoneMatch)
		}
	}
}

// A conditional upload whose answer is lost: the SDK retries it, the
// retry is refused, and the blob holds our bytes: an unknown outcome,
// which ResolvePut settles, never ErrExist.
func testUnknownOutcome(t *testing.T, srv *azuritest.Server) {
	ctx := context.Background()
	s, rec := recordingStore(t, srv)
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
		t.Errorf("PutIfAbsent with a lost answer = %v, want the SDK's retry refused over our own bytes (SameContent)", err)
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
