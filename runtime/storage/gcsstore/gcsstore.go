// Package gcsstore opens Google Cloud Storage buckets as
// [storage.Storage]: importing it registers the gs:// scheme with
// [storage.OpenURL].
//
// gs://bucket/prefix uses Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login,
// the metadata server); gocloud.dev/blob/gcsblob's parameters apply
// (access_id=, private_key_path=, anonymous=). STORAGE_EMULATOR_HOST=host:port
// points gs:// URLs at an emulator over plain HTTP, without credentials
// (as the Go client does). PutIfAbsent is a write with the DoesNotExist
// precondition (ifGenerationMatch=0), atomic on the service; listings are
// strongly consistent and ListFrom starts at its key on the service
// (StartOffset). The contract tests run on fake-gcs-server
// (runtime/storage/gcstest).
package gcsstore

import (
	"context"
	"net/url"

	gcs "cloud.google.com/go/storage"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/gcsblob" // registers gs:// with gocloud's mux

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
)

func init() {
	storage.RegisterScheme("gs", func(ctx context.Context, u *url.URL) (storage.Storage, error) {
		return Open(ctx, u)
	})
}

// Open opens a gs:// URL.
func Open(ctx context.Context, u *url.URL) (*objstore.ObjectStore, error) {
	return objstore.OpenURL(ctx, u, &objstore.Options{StartAt: StartAt})
}

// New returns the store on prefix of a gcsblob bucket, with GCS's
// StartOffset for ListFrom. opts may be nil.
func New(bucket *blob.Bucket, prefix, baseURL string, opts *objstore.Options) *objstore.ObjectStore {
	var o objstore.Options
	if opts != nil {
		o = *opts
	}
	o.StartAt = StartAt
	return objstore.New(bucket, prefix, baseURL, &o)
}

// StartAt is the [objstore.Options] StartAt hook of GCS: the query's
// StartOffset, inclusive.
func StartAt(as func(any) bool, startKey string) bool {
	var q *gcs.Query
	if !as(&q) {
		return false
	}
	q.StartOffset = startKey
	return true
}
