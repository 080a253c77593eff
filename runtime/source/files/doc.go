// Package files is the file source of streamgen queries: Spark's
// FileStreamSource for JSON-lines files, typed by a generated decoder.
//
// # Files and offsets
//
// A Source watches one input root (a storage.Storage) for files whose
// names, relative to the root, match a glob (default "*": the files at the
// top of the root). Every trigger lists the root (under AvailableNow,
// only the start does: see Listing) and picks the files not seen before, ordered by modification time then name (newest first with
// LatestFirst), up to MaxFilesPerTrigger files and MaxBytesPerTrigger
// bytes (at least one file). The picked files are written to the source
// log in the query's checkpoint, sources/<i>/N (checkpoint.SourceLog, with
// Spark's compaction), one entry per file:
//
//	v1
//	{"path":"2026/11/a.jsonl","timestamp":1700000000000,"batchId":3}
//
// and the source's offset is the source-log batch, {"logOffset":3}: a
// query batch reads the files of log batches (start, end]. The seen set is
// rebuilt from the log at start, so a restart never reads a file twice
// and never skips one. Paths in the log are relative to the root (not
// Spark's absolute URIs), so an input directory can be moved or mounted
// elsewhere without invalidating the checkpoint.
//
// A crash after the log entry of batch N is written and before the query
// logs offsets/N leaves a pending log batch: the next LatestOffset returns
// it again, with exactly the same files, instead of picking new ones.
//
// # Complete files only
//
// A file is read once, whole, by the batch that first picks it, so a
// writer must make each file appear complete: write it under a hidden or
// temporary name (".name", "_name", "name.tmp" or "name._COPYING_", all
// ignored) or in another directory of the same filesystem, then rename it
// into place, as Spark requires. Files and directories whose names start
// with "." or "_" are never read, nor are names ending in ".tmp" or "._COPYING_". A file
// changed after it was read is not read again, nor is a new file with the
// name of one read before (Spark's rule: names are the identity).
//
// # Reading
//
// Read streams each file through one buffer (256 KiB, reused from file to
// file and from Read to Read) when the store implements storage.Opener, as
// storage.Local and objstore.ObjectStore (S3, GCS, Azure Blob: one GET per
// file, decoded as its bytes arrive) do; other stores are read whole with
// Storage.Read. Memory does not grow with the size of a file, only with
// its longest line: the buffer doubles for a line longer than it (lines of
// any length are read) and a buffer grown past 1 MiB is dropped after its
// file. A line handed to the decoder is valid only during its Decode or
// Header call: decoders copy what they keep (generated decoders copy
// strings into their arena), and quarantined lines are copied.
//
// The files of a batch are read one after the other, so on an object store
// each file costs at least one request's round trip: many small files are
// read far slower than from a local disk (BenchmarkFilesSourceMinIO: about
// 1,000 files of 2 KiB per second from a MinIO server on the same machine,
// tens of thousands from the local disk). Prefer fewer, larger files.
//
// # Listing
//
// LatestOffset lists the root on every trigger, so that new files are
// seen. The listing starts at the glob's literal prefix: its leading
// literal directories and the literal start of the next segment ("in/" and
// "date=2026-" for "in/date=2026-*/*.jsonl"). A glob whose only pattern is
// its last segment is listed by one ListFrom of its directory, from the
// literal start of the file name (non-recursive: a subdirectory is one
// entry, skipped); any other glob by one List of its literal prefix
// (recursive: every file under it, matched or not, hidden directories
// included). Under AvailableNow, PrepareAvailableNow lists the root once
// and, as in Spark, every batch of the run is planned from that listing
// without listing again; the lag metrics are measured against it too.
// Metrics never lists the root when the process has listed it before: it
// uses the listing of the LatestOffset of the trigger that planned the
// batch (or PrepareAvailableNow's), and lists only for a batch re-run
// right after a restart, before any listing.
//
// # Listing on object stores
//
// On an object store (objstore.ObjectStore) a listing is one paged LIST
// of the key prefix: on S3 one ListObjectsV2 request per 1,000 keys, made
// one after the other, so each trigger costs as many requests as the
// prefix holds thousands of keys, however few files are new (a prefix of
// 100,000 files: 100 requests per trigger, each billed). Spark's
// FileStreamSource lists the same way. An AvailableNow run lists once,
// at its start. To keep the listing small:
//
//   - Let CleanSource archive or delete the files once read, so that the
//     prefix holds only the files not yet processed; archive to another
//     prefix or bucket rather than to a hidden directory inside the root,
//     whose keys a recursive glob still pages through (a flat glob sees
//     such a directory as one entry).
//   - Partition the input by date prefixes (in/date=2026-11-21/...), so
//     that old partitions are easy to archive or delete whole, and use a
//     glob whose literal prefix narrows the listing to the partitions that
//     still receive files ("date=2026-11-*/*.jsonl" lists only the keys
//     starting with date=2026-11-), or point the source at the partition's
//     prefix itself.
//   - Prefer a flat glob (whose only pattern is in its last segment, such
//     as "date=2026-11-21/*.jsonl"): it lists one directory, each of its
//     subdirectories costing one entry, while any other glob
//     ("**/*.jsonl", "date=*/*.jsonl") pages through every key under its
//     literal prefix, including those it does not match.
//
// # Globs
//
// The glob is slash-separated and relative to the root. Each segment is
// matched with path.Match ("*", "?", "[a-z]", "\\*"), and a segment "**"
// matches any number of directories, including none: "**/*.jsonl" is
// every .jsonl file at any depth, "in/*/part-*.json" one level below in/.
//
// # Old files
//
// With MaxFileAge, a file whose modification time is older than the
// newest file already read minus the age is ignored (Spark's
// maxFileAge, relative to the newest file and not to the clock). Unlike
// Spark there is no default age limit: nothing is skipped unless asked.
// As in Spark, MaxFileAge is ignored when MaxFilesPerTrigger and
// LatestFirst are both set. Each file skipped for its age is logged once.
//
// # Malformed lines
//
// Each non-empty line of a file is one JSON record; "\r\n" line ends, a
// last line without a newline and a UTF-8 byte-order mark are accepted,
// and blank lines are skipped. A line the decoder rejects is handled by
// the OnMalformed policy: Quarantine (default) hands it, with its file's
// URL, line number, byte offset and error, to the quarantine.Writer set
// with QuarantineTo (typically a quarantine.Delta table beside the sink);
// Drop counts it; Fail stops the query with
// "files: <file>:<line>: <field>: <msg>". The malformed lines of one Read
// go to the writer as one quarantine.Batch after every valid row was
// handed to the caller, keyed by the checkpoint's query ID, the source
// index and the batch's end log offset (its Version), so a batch re-run
// after a crash is quarantined once.
//
// # Header lines
//
// When the decoder implements streamimpl.HeaderDecoder (CSV), the first
// non-empty line of each file (after the byte-order mark, without its
// "\r") is the file's header: it goes to Header and is not a record.
// Line numbers and offsets still count it. When Header fails, every
// following non-empty line of the file is malformed with the reason
// "header (line N): <err>", under the OnMalformed policy; with Fail the
// error names the header line: "files: <file>:N: header (line N): <err>".
//
// # Metrics
//
// Read returns Stats, whose Metrics method gives the batch's progress
// metrics for stream.BatchResult.SourceMetrics: numFilesRead,
// numBytesRead, numMalformedRows, numQuarantinedRows and
// numDroppedMalformedRows. The source is also a stream.MetricsSource: at
// the end of each batch it reports its lag, numFilesBehindLatest and
// numBytesBehindLatest, the number and total size of the files of its
// latest listing that no log batch up to the batch's end reads and that a
// later batch may read (not excluded by MaxFileAge and, under
// AvailableNow, among the files fixed at the start).
//
// # Cleaning the source
//
// CleanSource(CleanArchive) moves the files of each committed batch to
// SourceArchiveDir under the same relative path, and CleanDelete deletes
// them. Cleaning is best effort, as in Spark: failures are logged and
// never stop the query, and a file already moved or deleted is skipped.
//
// The source and the archive may be any two stores: a local directory, an
// S3 prefix archived to another prefix of the same bucket or to another
// bucket, S3 to local, local to S3. A move is a copy then a delete (object
// stores have no rename): the file is read whole, written to the archive
// with PutIfAbsent, and deleted from the source. A crash between the two
// leaves the file in both places; the restarted query commits its last
// batch again, which finds the archived copy identical (or, when a write
// to an object store has an unknown outcome, reads it back) and deletes
// the source file, so no file is lost or archived twice. A file whose name
// is already archived with other content is left in place, with a
// warning.
//
// SourceArchiveDir is refused when it is the source root, inside it
// (unless under a directory whose name starts with "_" or ".", never
// read) or contains it. The stores are compared by their roots' locations,
// Storage.URL(""): absolute paths for local stores, s3://bucket/prefix/
// (gs://, azblob://) for object stores, with trailing slashes ignored, so
// that s3://b/in and s3://b/in2 are not nested, and stores of different
// schemes or buckets never are. Two object stores that name the same
// bucket on different endpoints are compared as one.
package files
