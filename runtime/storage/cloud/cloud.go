// Package cloud links every object store into a program: importing it
// registers s3://, gs:// and azblob:// with [storage.OpenURL]. It adds
// about 55 MB to a binary (gocloud.dev/blob and the AWS, Google Cloud and
// Azure SDKs); import only s3store, gcsstore or azurestore for one cloud.
package cloud

import (
	_ "github.com/streamgen/streamgen/runtime/storage/azurestore" // azblob://
	_ "github.com/streamgen/streamgen/runtime/storage/gcsstore"   // gs://
	_ "github.com/streamgen/streamgen/runtime/storage/s3store"    // s3://
)
