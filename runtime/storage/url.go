package storage

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// SchemeOpener opens the store a URL of its scheme names.
type SchemeOpener func(ctx context.Context, u *url.URL) (Storage, error)

var (
	schemesMu sync.RWMutex
	schemes   = map[string]SchemeOpener{}
)

// schemePackages names the package that registers each known scheme.
var schemePackages = map[string]string{
	"s3":     "github.com/streamgen/streamgen/runtime/storage/s3store",
	"gs":     "github.com/streamgen/streamgen/runtime/storage/gcsstore",
	"azblob": "github.com/streamgen/streamgen/runtime/storage/azurestore",
}

// RegisterScheme makes [OpenURL] open URLs of scheme with open. The
// object-store packages register theirs in init (s3store: "s3", gcsstore:
// "gs", azurestore: "azblob"; cloud imports all three). Registering a
// scheme twice, or "file", panics.
func RegisterScheme(scheme string, open SchemeOpener) {
	scheme = strings.ToLower(scheme)
	schemesMu.Lock()
	defer schemesMu.Unlock()
	if scheme == "file" || schemes[scheme] != nil {
		panic("storage: scheme " + scheme + " registered twice")
	}
	schemes[scheme] = open
}

// Schemes returns the registered URL schemes, sorted ("file" is always
// there besides).
func Schemes() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	var out []string
	for s := range schemes {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// OpenURL opens the store a location names, by its scheme:
//
//   - a bare path (relative or absolute) or file:///abs/path: a [Local]
//     store on that directory;
//   - s3://bucket/prefix: S3 or an S3-compatible store (MinIO, Ceph...);
//   - gs://bucket/prefix: Google Cloud Storage;
//   - azblob://container/prefix: Azure Blob Storage.
//
// The object stores are objstore.ObjectStore's, registered by their
// packages so that a binary links only the cloud SDKs it uses (each adds
// 10 to 35 MB): import _ "github.com/streamgen/streamgen/runtime/storage/s3store"
// (or gcsstore, azurestore; or runtime/storage/cloud for all three).
// Credentials come from each cloud's standard chain; see those packages
// for the URL parameters.
//
// gocloud.dev's fileblob is never used: its conditional write is not
// atomic, so file:// opens a Local store.
func OpenURL(ctx context.Context, location string) (Storage, error) {
	if location == "" {
		return nil, fmt.Errorf("storage: empty location")
	}
	scheme, _, hasScheme := strings.Cut(location, "://")
	if !hasScheme || filepath.VolumeName(location) != "" {
		return NewLocal(location)
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("storage: parse %q: %w", location, err)
	}
	scheme = strings.ToLower(scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("storage: %q: a file URL names a local path (file:///abs/path)", location)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("storage: %q: no path", location)
		}
		return NewLocal(filepath.FromSlash(u.Path))
	}
	schemesMu.RLock()
	open := schemes[scheme]
	schemesMu.RUnlock()
	if open == nil {
		if pkg, ok := schemePackages[scheme]; ok {
			return nil, fmt.Errorf("storage: %q: scheme %s is not linked into this program: import _ %q (or .../runtime/storage/cloud)", location, scheme, pkg)
		}
		return nil, fmt.Errorf("storage: %q: unsupported scheme %q (want a path, file://, s3://, gs:// or azblob://)", location, scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("storage: %q: no bucket", location)
	}
	return open(ctx, u)
}

// JoinLocation returns the location of elem (a slash-separated relative
// name) inside location, a path or URL as OpenURL takes:
// JoinLocation("s3://b/t?region=x", "_quarantine") is
// "s3://b/t/_quarantine?region=x", JoinLocation("data/t", "_q") is
// "data/t/_q" (filepath.Join). A URL's query is kept.
func JoinLocation(location, elem string) string {
	if _, _, ok := strings.Cut(location, "://"); !ok || filepath.VolumeName(location) != "" {
		return filepath.Join(location, filepath.FromSlash(elem))
	}
	u, err := url.Parse(location)
	if err != nil {
		return strings.TrimSuffix(location, "/") + "/" + elem
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(elem, "/")
	return u.String()
}
