package objstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/blob"
)

// OpenURL opens scheme://bucket/prefix?query through gocloud.dev/blob's
// default URL mux, where the driver of the scheme must be registered (by
// importing it), and returns the store on prefix of that bucket. The
// query holds the driver's parameters.
func OpenURL(ctx context.Context, u *url.URL, opts *Options) (*ObjectStore, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("objstore: %s: no bucket", u.Redacted())
	}
	prefix := strings.Trim(u.Path, "/")
	bucketURL := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	b, err := blob.OpenBucket(ctx, bucketURL.String())
	if err != nil {
		return nil, fmt.Errorf("storage: open %s://%s: %w", u.Scheme, u.Host, err)
	}
	base := u.Scheme + "://" + u.Host + "/"
	if prefix != "" {
		base += prefix + "/"
	}
	return New(b, prefix, base, opts), nil
}
