// Package stream is streamgen's micro-batch engine: Spark Structured
// Streaming's MicroBatchExecution, type-agnostic, driven by the typed code
// that streamgen generates.
//
// A Query owns a checkpoint (package checkpoint), a list of Sources and a
// Runner. Sources only deal in offsets, opaque JSON each source owns; the
// Runner is the generated pipeline code that reads each source's range of a
// Batch with typed readers, runs the steps and state, and writes the sink
// with the batch ID.
//
// # The loop
//
// At start the query reads the checkpoint's RecoveryPlan: an uncommitted
// batch N (offsets/N without commits/N) is first run again with exactly the
// logged offsets, timestamp and watermark (Batch.Rerun is set; the sink
// skips or replaces what it already holds for that batch ID). Then, on each
// trigger:
//
//  1. each source's LatestOffset from where the previous batch ended;
//  2. no source has new data and the watermark did not move: nothing runs
//     (an idle trigger);
//  3. otherwise offsets/N is written first, with the batch watermark,
//     timestamp and pinned settings (the write-ahead log);
//  4. the Runner runs batch N;
//  5. the next watermark is max(previous, max event time − delay);
//  6. commits/N is written with it, each source's Commit is called with its
//     end offset, and old checkpoint entries are purged;
//  7. a Progress is recorded and handed to the listeners.
//
// # Metrics
//
// Progress carries Spark's per-source and sink metrics maps
// (SourceProgress.Metrics, SinkProgress.Metrics: metric name to decimal
// string). The Runner reports the batch's counts in
// BatchResult.SourceMetrics (per source, such as the files source's
// numFilesRead) and BatchResult.SinkMetrics (such as the Delta sink's
// committedVersion). After step 6 the engine calls Metrics(end) on each
// source implementing MetricsSource, for lag metrics such as
// numFilesBehindLatest, and merges them into that source's map; on a key
// both report, the MetricsSource's value wins.
//
// With a WatermarkDelay, a batch whose watermark moved is followed by a
// batch without new data that runs with the new watermark, so the pipeline
// can emit and evict state (Spark's no-data batch).
//
// # Triggers
//
// Default runs the next batch as soon as the previous one ends and polls
// every trigger.PollInterval while there is no new data. ProcessingTime(d)
// starts triggers at multiples of d since the epoch. Once runs one trigger
// (after any re-run), reading everything available when the source can
// lift its read limit (AllAvailableSource), then stops. AvailableNow calls
// PrepareAvailableNow on each AvailableNowSource to fix the end at start,
// runs as many batches as the read limits need, and stops once no source
// has new data.
//
// # Stopping and errors
//
// Stop lets the current batch finish, then ends the query. Cancelling the
// context given to Start interrupts the current batch at once; the batch
// stays uncommitted and is re-run by the next query on the checkpoint.
// Neither is an error: Err returns nil. An error from a source, the Runner
// or the checkpoint stops the query, and Err returns it as
// "stream: batch N: …", except a *checkpoint.ConcurrentQueryError (another
// query writes the same checkpoint), which is returned as is.
package stream
