// Package objstore is the [storage.Storage] of object stores (S3 and
// S3-compatible stores, Google Cloud Storage, Azure Blob Storage) on
// gocloud.dev/blob. It links no cloud SDK itself: the packages s3store,
// gcsstore and azurestore open their buckets and register their URL
// schemes with [storage.OpenURL].
package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/streamgen/streamgen/runtime/storage"
)

var (
	errExist    = storage.ErrExist
	errNotExist = storage.ErrNotExist
)

// ObjectStore is a [storage.Storage] on a bucket of an object store (S3 or an
// S3-compatible store such as MinIO, Google Cloud Storage, Azure Blob
// Storage), through gocloud.dev/blob. Names are keys under a prefix of the
// bucket; "directories" are key prefixes ending in "/".
//
// PutIfAbsent is a conditional write (S3 If-None-Match: *, GCS
// DoesNotExist precondition, Azure If-None-Match: *), atomic on the
// service: exactly one of several writers of a key wins, and a reader
// sees either no object or the whole one. When the outcome of a
// PutIfAbsent cannot be known (the request may have reached the service
// but no answer came back) it returns an [*storage.UnknownOutcomeError] and not
// ErrExist: see there.
//
// Idempotent operations (List, ListFrom, Read, Open, Stat, Put, Delete)
// are retried with jittered exponential backoff when the service throttles
// (HTTP 429, 503 SlowDown) or fails transiently (500, 502, 504), on top of
// the cloud SDK's own retries.
type ObjectStore struct {
	bucket *blob.Bucket
	prefix string // "" or ends in "/"
	base   string // URL of the root, ends in "/"
	opts   Options
}

var (
	_ storage.Storage = (*ObjectStore)(nil)
	_ storage.Opener  = (*ObjectStore)(nil)
)

// Options tunes an [ObjectStore]. The zero value is usable.
type Options struct {
	// MaxRetries is how many times an idempotent operation is retried
	// after a throttling or transient error (default 8; negative: none).
	MaxRetries int
	// BaseBackoff is the wait before the first retry; it doubles on each
	// retry up to MaxBackoff, jittered (defaults 50ms and 5s).
	BaseBackoff, MaxBackoff time.Duration
	// ListPageSize is the number of keys asked per list request
	// (default: the service's, 1000 on S3).
	ListPageSize int
	// StartAt, when set, makes a listing start at startKey (inclusive)
	// on the service, through gocloud's BeforeList as-function; it
	// reports whether the driver took it (the listing is filtered from
	// its beginning otherwise). The driver packages set it: S3's
	// StartAfter, GCS's StartOffset.
	StartAt func(as func(any) bool, startKey string) bool
	// Write, when set, writes data to key in place of bucket.WriteAll,
	// for a driver whose Writer needs working around: azurestore sets
	// it (see azurestore.Write).
	Write func(ctx context.Context, bucket *blob.Bucket, key string, data []byte, opts *blob.WriterOptions) error
}

func (o Options) withDefaults() Options {
	if o.MaxRetries == 0 {
		o.MaxRetries = 8
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 50 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	return o
}

// New returns a store on bucket whose names are keys under
// prefix (a trailing "/" is added to a non-empty prefix). baseURL names
// the root in messages (such as "s3://bucket/prefix"); opts may be nil.
// The store does not close the bucket: Close does.
func New(bucket *blob.Bucket, prefix, baseURL string, opts *Options) *ObjectStore {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	return &ObjectStore{bucket: bucket, prefix: prefix, base: baseURL, opts: o.withDefaults()}
}

// Bucket returns the underlying bucket.
func (s *ObjectStore) Bucket() *blob.Bucket { return s.bucket }

// Prefix returns the key prefix of the store's root ("" or ending in "/").
func (s *ObjectStore) Prefix() string { return s.prefix }

// Close closes the underlying bucket.
func (s *ObjectStore) Close() error { return s.bucket.Close() }

// URL implements [storage.Storage.URL].
func (s *ObjectStore) URL(name string) string { return s.base + name }

func (s *ObjectStore) key(name string) string { return s.prefix + name }

// List implements [storage.Storage.List]: one flat (recursive) listing of the
// keys under prefix, in pages.
func (s *ObjectStore) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	var out []storage.FileInfo
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.list(ctx, &blob.ListOptions{Prefix: s.key(prefix)}, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list %s: %w", s.URL(prefix), err)
	}
	return out, nil
}

// ListFrom implements [storage.Storage.ListFrom]. With a StartAt hook
// (S3, GCS) the listing starts at start on the service, so a poll costs
// one request for the new keys however long the directory is; without
// one (Azure Blob, which has no such parameter) the directory is listed
// from its beginning and filtered.
func (s *ObjectStore) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	dir = strings.TrimSuffix(dir, "/")
	p := ""
	if dir != "" {
		p = dir + "/"
	}
	full := s.key(p)
	startKey := ""
	if start != "" {
		startKey = full + start
	}
	opts := &blob.ListOptions{Prefix: full, Delimiter: "/"}
	if startKey != "" && s.opts.StartAt != nil {
		opts.BeforeList = func(as func(any) bool) error {
			s.opts.StartAt(as, startKey)
			return nil // when not taken: filtered below
		}
	}
	var out []storage.FileInfo
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.list(ctx, opts, startKey)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list %s: %w", s.URL(p), err)
	}
	return out, nil
}

// list pages through one listing, skipping "directories" (common prefixes
// and zero-length keys ending in "/") and keys below startKey.
func (s *ObjectStore) list(ctx context.Context, opts *blob.ListOptions, startKey string) ([]storage.FileInfo, error) {
	var out []storage.FileInfo
	pageSize := s.opts.ListPageSize
	if pageSize <= 0 {
		pageSize = 1000
	}
	token := blob.FirstPageToken
	for {
		objs, next, err := s.bucket.ListPage(ctx, token, pageSize, opts)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if o.IsDir || strings.HasSuffix(o.Key, "/") || o.Key < startKey {
				continue
			}
			out = append(out, storage.FileInfo{Name: strings.TrimPrefix(o.Key, s.prefix), Size: o.Size, ModTime: o.ModTime})
		}
		if len(next) == 0 {
			break
		}
		token = next
	}
	// The services list in key order already (S3: UTF-8 byte order);
	// keep the contract explicit.
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Read implements [storage.Storage.Read].
func (s *ObjectStore) Read(ctx context.Context, name string) ([]byte, error) {
	var b []byte
	err := s.retry(ctx, func() error {
		var err error
		b, err = s.bucket.ReadAll(ctx, s.key(name))
		return err
	})
	if err != nil {
		return nil, s.wrap("read", name, err)
	}
	return b, nil
}

// Open implements [storage.Opener]. The object is streamed by one GET request;
// if it is replaced while being read the reader gives the old content or
// an error (S3 and GCS serve the version the GET started on).
func (s *ObjectStore) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	var r *blob.Reader
	err := s.retry(ctx, func() error {
		var err error
		r, err = s.bucket.NewReader(ctx, s.key(name), nil)
		return err
	})
	if err != nil {
		return nil, s.wrap("read", name, err)
	}
	return r, nil
}

// Stat implements [storage.Storage.Stat].
func (s *ObjectStore) Stat(ctx context.Context, name string) (storage.FileInfo, error) {
	var a *blob.Attributes
	err := s.retry(ctx, func() error {
		var err error
		a, err = s.bucket.Attributes(ctx, s.key(name))
		return err
	})
	if err != nil {
		return storage.FileInfo{}, s.wrap("stat", name, err)
	}
	return storage.FileInfo{Name: name, Size: a.Size, ModTime: a.ModTime}, nil
}

func writerOptions(ifNotExist bool) *blob.WriterOptions {
	return &blob.WriterOptions{
		ContentType: "application/octet-stream",
		IfNotExist:  ifNotExist,
		// One request for small objects (commits, hints): a 5 MiB
		// buffer keeps Delta log files out of multipart uploads.
		BufferSize: 5 << 20,
	}
}

// write writes one object whole: bucket.WriteAll, or the driver's Write.
func (s *ObjectStore) write(ctx context.Context, key string, data []byte, opts *blob.WriterOptions) error {
	if s.opts.Write != nil {
		return s.opts.Write(ctx, s.bucket, key, data, opts)
	}
	return s.bucket.WriteAll(ctx, key, data, opts)
}

// Put implements [storage.Storage.Put]: one PUT replaces the object whole.
func (s *ObjectStore) Put(ctx context.Context, name string, data []byte) error {
	err := s.retry(ctx, func() error {
		return s.write(ctx, s.key(name), data, writerOptions(false))
	})
	if err != nil {
		return s.wrap("put", name, err)
	}
	return nil
}

// PutIfAbsent implements [storage.Storage.PutIfAbsent] by a conditional write.
//
// A throttled request (429, 503 SlowDown) was not carried out and is
// retried with backoff. A request that failed otherwise, or that the
// service answered with "precondition failed" while the object now holds
// exactly data, has an unknown outcome: the cloud SDKs retry a request
// whose answer was lost, and the retry of a write that had succeeded is
// refused as if another writer had won. Both give an
// [*storage.UnknownOutcomeError]; a refusal while the object holds other bytes is
// ErrExist.
func (s *ObjectStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = s.write(ctx, s.key(name), data, writerOptions(true))
		if err == nil {
			return nil
		}
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return s.resolveExisting(ctx, name, data, err)
		}
		if ctx.Err() == nil && isThrottled(err) && attempt < s.opts.MaxRetries {
			if serr := s.sleep(ctx, attempt); serr != nil {
				break
			}
			continue
		}
		break
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return &storage.UnknownOutcomeError{Name: name, URL: s.URL(name), Err: err}
}

// resolveExisting decides a refused conditional write: ErrExist when the
// object holds other bytes than ours, an UnknownOutcomeError when it holds
// ours (our own earlier attempt, retried by the SDK, may have won).
func (s *ObjectStore) resolveExisting(ctx context.Context, name string, data []byte, cause error) error {
	got, rerr := s.Read(ctx, name)
	switch {
	case rerr == nil && !bytes.Equal(got, data):
		return fmt.Errorf("storage: put %s: %w", s.URL(name), errExist)
	case rerr == nil:
		return &storage.UnknownOutcomeError{Name: name, URL: s.URL(name), SameContent: true, Err: cause}
	default:
		// Refused, but unreadable now (deleted since?): unknown.
		return &storage.UnknownOutcomeError{Name: name, URL: s.URL(name), Err: fmt.Errorf("%w; read back: %w", cause, rerr)}
	}
}

// Delete implements [storage.Storage.Delete].
func (s *ObjectStore) Delete(ctx context.Context, name string) error {
	err := s.retry(ctx, func() error {
		err := s.bucket.Delete(ctx, s.key(name))
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil
		}
		return err
	})
	if err != nil {
		return s.wrap("delete", name, err)
	}
	return nil
}

// wrap turns a driver error into one that IsNotExist/IsExist recognize.
func (s *ObjectStore) wrap(op, name string, err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("storage: %s %s: %w (%w)", op, s.URL(name), errNotExist, err)
	case gcerrors.FailedPrecondition:
		return fmt.Errorf("storage: %s %s: %w (%w)", op, s.URL(name), errExist, err)
	}
	return fmt.Errorf("storage: %s %s: %w", op, s.URL(name), err)
}
