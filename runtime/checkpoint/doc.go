// Package checkpoint keeps a streaming query's checkpoint directory with
// Spark Structured Streaming's layout, file names and file formats, so
// that anyone who has read a Spark checkpoint can read a streamgen one.
//
// # Layout
//
//	<checkpoint>/
//	  metadata          {"id":"<uuid>"}: the query ID, created once
//	  offsets/0, 1, …   the offsets log: what each batch reads (OffsetSeq)
//	  commits/0, 1, …   the commit log: which batches are done (CommitMetadata)
//	  sources/<i>/…     source i's own logs (SourceLog), e.g. seen files
//	  state/…           reserved for the state store
//	  streamgen/plan.json  the pipeline's plan record (runtime/planprint)
//
// # Write-ahead protocol
//
// For batch N the engine writes offsets/N before reading any input, then
// runs the batch and writes its output, then writes commits/N. A restart
// calls RecoveryPlan: offsets/N without commits/N means batch N is re-run
// with exactly the logged offsets, timestamp and watermark; commits/N means
// the query continues with batch N+1.
//
// # Files
//
// offsets/N (Spark's OffsetSeqLog), no trailing newline:
//
//	v1
//	{"batchWatermarkMs":0,"batchTimestampMs":1700000000000,"conf":{}}
//	{"logOffset":0}
//	-
//
// The first line is the format version, the second the batch metadata,
// then one line per source with its end offset as JSON, or "-" for a
// source without one. Offsets are opaque to this package: every source
// owns its offset format (json.RawMessage).
//
// commits/N (Spark's CommitLog), no trailing newline:
//
//	v1
//	{"nextBatchWatermarkMs":0}
//
// sources/<i>/N and sources/<i>/N.compact (Spark's CompactibleFileStreamLog):
// a version line, then one JSON entry per line; see SourceLog.
//
// # Guarantees
//
// Every file is written to a temporary name and linked into place
// (storage.Storage.PutIfAbsent), so readers never see a partial file, and
// is never overwritten. If offsets/N or commits/N already exists when the
// query writes it, another query is running on the same checkpoint and
// the write fails with a *ConcurrentQueryError.
//
// Damaged checkpoints stop the query with a *CorruptError naming the file,
// the line and the fix: a version line from a newer release ("v2"), JSON
// that does not parse, gaps in the batch IDs, a commit without offsets.
// Nothing in this package panics on file content.
//
// Old batches are deleted by Purge and PurgeExpired (keeping the newest
// 100 by default, like Spark's minBatchesToRetain), never including what a
// restart needs.
package checkpoint
