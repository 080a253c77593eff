// Package azurestore opens Azure Blob Storage containers as
// [storage.Storage]: importing it registers the azblob:// scheme with
// [storage.OpenURL].
//
// azblob://container/prefix takes the account from AZURE_STORAGE_ACCOUNT
// and credentials from AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN,
// AZURE_STORAGE_CONNECTION_STRING or else DefaultAzureCredential (see
// gocloud.dev/blob/azureblob, also for domain= and protocol= to reach
// Azurite). PutIfAbsent commits the block blob with If-None-Match: *,
// atomic on the service; listings are strongly consistent. Azure has no
// start key for listings, so ListFrom lists the directory and filters.
package azurestore

import (
	"context"
	"net/url"

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
	return objstore.OpenURL(ctx, u, nil)
}
