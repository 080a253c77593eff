// Package azurestore opens Azure Blob Storage containers as
// [storage.Storage]: importing it registers the azblob:// scheme with
// [storage.OpenURL].
//
// azblob://container/prefix takes the account from AZURE_STORAGE_ACCOUNT
// and credentials from AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN,
// AZURE_STORAGE_CONNECTION_STRING or else DefaultAzureCredential (see
// gocloud.dev/blob/azureblob, also for domain= and protocol= to reach
// Azurite: azblob://tables/events?domain=127.0.0.1:10000&protocol=http,
// or a connection string with its BlobEndpoint). PutIfAbsent is a Put
// Blob of a block blob with If-None-Match: * (a commit of its blocks for
// objects over 5 MiB), atomic on the service; listings are strongly
// consistent. Azure has no start key for listings, so ListFrom lists the
// directory and filters. The contract tests run on Azurite
// (runtime/storage/azuritest).
package azurestore

import (
	"bytes"
	"context"
	"crypto/md5"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // registers azblob:// with gocloud's mux

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
)

func init() {
	storage.RegisterScheme("azblob", func(ctx context.Context, u *url.URL) (storage.Storage, error) {
		return Open(ctx, u)
	})
}

// Open opens an azblob:// URL.
func Open(ctx context.Context, u *url.URL) (*objstore.ObjectStore, error) {
	return objstore.OpenURL(ctx, u, &objstore.Options{Write: Write})
}

// New returns the store on prefix of an azureblob bucket (a container),
// writing through [Write]. Azure lists from the start of a prefix only,
// so ListFrom filters. opts may be nil.
func New(bucket *blob.Bucket, prefix, baseURL string, opts *objstore.Options) *objstore.ObjectStore {
	var o objstore.Options
	if opts != nil {
		o = *opts
	}
	o.Write = Write
	return objstore.New(bucket, prefix, baseURL, &o)
}

// Write is the [objstore.Options] Write hook of Azure: it writes data by
// bucket.Upload rather than bucket.WriteAll.
//
// gocloud.dev/blob/azureblob (v0.47.0) feeds the bytes of Writer.Write to
// the SDK through a pipe, and when that upload fails its Writer.Close
// dereferences the pipe it has just set to nil: every refused
// PutIfAbsent (409 BlobAlreadyExists), and any other failed write,
// panicked. Upload of a reader takes the driver's other path, without
// the pipe. The content MD5 that WriteAll would have sent (and that
// blob.Writer would have made it take the pipe) is set on the request
// instead, so the service stores and checks the same hash.
func Write(ctx context.Context, bucket *blob.Bucket, key string, data []byte, opts *blob.WriterOptions) error {
	o := *opts
	md5sum := o.ContentMD5
	if len(md5sum) == 0 {
		sum := md5.Sum(data)
		md5sum = sum[:]
	}
	o.ContentMD5 = nil
	before := o.BeforeWrite
	o.BeforeWrite = func(as func(any) bool) error {
		var uo *azblob.UploadStreamOptions
		if as(&uo) && uo.HTTPHeaders != nil {
			uo.HTTPHeaders.BlobContentMD5 = md5sum
		}
		if before != nil {
			return before(as)
		}
		return nil
	}
	return bucket.Upload(ctx, key, bytes.NewReader(data), &o)
}
