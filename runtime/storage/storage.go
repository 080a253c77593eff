// Package storage is the byte-level store that Delta tables and query
// checkpoints live on.
//
// The contract follows the Delta kernel's StorageHandler: names are
// slash-separated keys relative to the store's root, List returns entries
// sorted by name, PutIfAbsent is atomic (a reader never sees a partial
// object and exactly one of several concurrent writers of a name wins), and
// Delete is idempotent. [OpenURL] opens a store by location: a path or
// file:// gives [Local]; s3://, gs:// and azblob:// give an
// objstore.ObjectStore (gocloud.dev/blob), once the program imports
// runtime/storage/s3store, gcsstore or azurestore (or cloud for all
// three), which register those schemes. The package storagetest holds the
// contract tests every implementation passes; miniotest runs a real
// S3-compatible server (MinIO) for them, gcstest and azuritest the GCS
// and Azure emulators (fake-gcs-server, Azurite).
//
// What each store guarantees:
//
//   - Local: PutIfAbsent writes a synced temporary file and hard-links it
//     into place (link(2) fails if the name exists): atomic among threads
//     and processes on one machine, and on NFS only as far as link is.
//     Listing is of the directory as it is.
//   - S3 (and S3-compatible stores): PutIfAbsent is a PUT with
//     If-None-Match: * (S3 conditional writes, since 2024-08; MinIO has
//     it): the service refuses it with 412 if the key exists, and a
//     concurrent conditional PUT gets 409, retried. An S3-compatible store
//     without conditional writes is unsafe for several writers: check the
//     store before sharing a table between processes. S3 is strongly
//     consistent: a listing after a successful write shows it.
//   - Google Cloud Storage: a write with the DoesNotExist precondition
//     (ifGenerationMatch=0), atomic; listings are strongly consistent.
//   - Azure Blob Storage: a block-blob commit with If-None-Match: *,
//     atomic; listings are strongly consistent.
//
// On every object store Put replaces an object whole (one PUT), a reader
// sees an old or a new object and never a mix, and ListFrom starts at the
// start key on the service (S3 StartAfter, GCS StartOffset; Azure lists
// the directory and filters). A PutIfAbsent whose outcome cannot be known
// returns an [*UnknownOutcomeError], which a Delta commit resolves by
// reading its version file back ([ResolvePut]).
package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// ErrExist is returned by PutIfAbsent when the name is already taken.
var ErrExist = fs.ErrExist

// ErrNotExist is returned by Read and Stat when the name does not exist.
var ErrNotExist = fs.ErrNotExist

// FileInfo describes one stored object.
type FileInfo struct {
	// Name is the object's key relative to the store root, slash-separated.
	Name string
	// Size is the object's length in bytes.
	Size int64
	// ModTime is the object's last modification time.
	ModTime time.Time
}

// Storage is a flat namespace of immutable-by-convention objects.
//
// Implementations must be safe for concurrent use by several goroutines and
// several processes sharing the same root.
type Storage interface {
	// List returns every object whose name starts with prefix, sorted by
	// name (byte order). Directories are not objects: only files are
	// listed, recursively. A prefix that matches nothing gives an empty
	// list and no error.
	List(ctx context.Context, prefix string) ([]FileInfo, error)
	// ListFrom returns the objects in the "directory" dir (non-recursive)
	// whose names sort at or after start, sorted by name. It is how the
	// Delta log is tailed without a full listing on every poll.
	ListFrom(ctx context.Context, dir, start string) ([]FileInfo, error)
	// Read returns the whole content of name, or an error wrapping
	// ErrNotExist.
	Read(ctx context.Context, name string) ([]byte, error)
	// Stat describes name, or returns an error wrapping ErrNotExist.
	Stat(ctx context.Context, name string) (FileInfo, error)
	// PutIfAbsent atomically creates name with data. If name exists it
	// returns an error wrapping ErrExist and leaves the object unchanged.
	// A concurrent reader sees either nothing or the whole object.
	PutIfAbsent(ctx context.Context, name string, data []byte) error
	// Put creates or replaces name with data, atomically for readers.
	// It is meant for data files and hints (such as _last_checkpoint),
	// never for commits.
	Put(ctx context.Context, name string, data []byte) error
	// Delete removes name. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error
	// URL returns a human-readable location of name for messages.
	URL(name string) string
}

// Opener is an optional interface of a [Storage] that can stream an
// object instead of reading it whole, so that a reader holds one buffer
// and not the whole object in memory. [Local] implements it; use [Open]
// to stream from any Storage.
type Opener interface {
	// Open opens name for reading from its start, or returns an error
	// wrapping ErrNotExist. The caller closes the reader. Reading after
	// the object was replaced or deleted gives either the old content or
	// an error, never a mix of both (on local filesystems, where an open
	// file keeps its content, the old content).
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

// Open opens name of s for reading: through s's [Opener] when it has one,
// or else by reading the object whole with Read.
func Open(ctx context.Context, s Storage, name string) (io.ReadCloser, error) {
	if o, ok := s.(Opener); ok {
		return o.Open(ctx, name)
	}
	b, err := s.Read(ctx, name)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// IsExist reports whether err says that a name is already taken.
func IsExist(err error) bool { return errors.Is(err, ErrExist) }

// IsNotExist reports whether err says that a name does not exist.
func IsNotExist(err error) bool { return errors.Is(err, ErrNotExist) }
