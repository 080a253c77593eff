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
// Read streams each file through one buffer (256 KiB, reused from file
// to file and from Read to Read) when the store implements
// storage.Opener, as storage.Local does; other stores are read whole with
// Storage.Read. Memory does not grow with the size of a file, only with
// its longest line: the buffer doubles for a line longer than it (lines
// of any length are read) and a buffer grown past 1 MiB is dropped after
// its file. A line handed to the decoder is valid only during its Decode
// or Header call: decoders copy what they keep (generated decoders copy
// strings into their arena), and quarantined lines are copied.
//
// # Listing
//
// LatestOffset lists the root on every trigger (one ListFrom for a glob
// whose only pattern is its last segment, one List of the glob's literal
// directory prefix otherwise), so that new files are seen. Under
// AvailableNow, PrepareAvailableNow lists the root once and, as in Spark,
// every batch of the run is planned from that listing without listing
// again; the lag metrics are measured against it too. Metrics never lists
// the root when the process has listed it before: it uses the listing of
// the LatestOffset of the trigger that planned the batch (or
// PrepareAvailableNow's), and lists only for a batch re-run right after a
// restart, before any listing.
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
package files
