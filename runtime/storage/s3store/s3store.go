// Package s3store opens S3 and S3-compatible stores (MinIO, Ceph, R2...)
// as [storage.Storage]: importing it registers the s3:// scheme with
// [storage.OpenURL].
//
// s3://bucket/prefix?region=...&endpoint=...&use_path_style=true takes
// gocloud.dev/blob/s3blob's parameters (also profile=, disable_https=,
// s3ForcePathStyle= for use_path_style, ssetype=, kmskeyid=).
// Credentials and region come from the AWS SDK's standard chain
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws,
// AWS_REGION, web identity and instance roles), and the endpoint may also
// come from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. When an endpoint is
// set and path style is not said, path-style addressing is used, which
// MinIO and most S3-compatible stores need:
//
//	s3://tables/events?endpoint=http://127.0.0.1:9000&region=us-east-1
//
// PutIfAbsent is a PUT with If-None-Match: *; the store must support
// conditional writes (AWS S3 since 2024-08, MinIO): on one that ignores
// the header, several writers of a Delta table can overwrite each other.
package s3store

import (
	"context"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // registers s3:// with gocloud's mux

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
)

func init() {
	storage.RegisterScheme("s3", func(ctx context.Context, u *url.URL) (storage.Storage, error) {
		return Open(ctx, u)
	})
}

// Open opens an s3:// URL.
func Open(ctx context.Context, u *url.URL) (*objstore.ObjectStore, error) {
	q := u.Query()
	if q.Get("use_path_style") == "" && q.Get("s3ForcePathStyle") == "" &&
		(q.Get("endpoint") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "") {
		q.Set("use_path_style", "true")
		c := *u
		c.RawQuery = q.Encode()
		u = &c
	}
	return objstore.OpenURL(ctx, u, &objstore.Options{StartAt: StartAt})
}

// New returns the store on prefix of an s3blob bucket, with S3's
// StartAfter for ListFrom. opts may be nil.
func New(bucket *blob.Bucket, prefix, baseURL string, opts *objstore.Options) *objstore.ObjectStore {
	var o objstore.Options
	if opts != nil {
		o = *opts
	}
	o.StartAt = StartAt
	return objstore.New(bucket, prefix, baseURL, &o)
}

// StartAt is the [objstore.Options] StartAt hook of S3: ListObjectsV2's
// StartAfter (exclusive) at a key just below startKey; the keys between
// it and startKey are filtered out by the store.
func StartAt(as func(any) bool, startKey string) bool {
	var in *s3.ListObjectsV2Input
	if !as(&in) || startKey == "" {
		return false
	}
	in.StartAfter = aws.String(before(startKey))
	return true
}

// before returns a key below k, above every key below k but the
// extensions of before(k) itself: k with its last byte decremented, or k
// without its last byte when that is 0.
func before(k string) string {
	last := k[len(k)-1]
	if last == 0 {
		return k[:len(k)-1]
	}
	return k[:len(k)-1] + string([]byte{last - 1})
}
