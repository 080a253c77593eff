// Package kafkagroup scales a Kafka-to-Delta pipeline out over several
// processes: N copies of the same pipeline binary share a topic through a
// Kafka consumer group and append to one Delta table, exactly once, with
// the table as the only checkpoint (the kafka-delta-ingest design).
//
// # When to use it
//
// For append-only, stateless pipelines — a bronze ingest, a filter, a
// projection, a per-record enrichment — whose input outgrows one process.
// Every record becomes zero or more rows independently of the others, so
// any process may handle any partition. A pipeline with state (a
// groupBy/aggregation, a window, a dedup, a join, a watermark) must see
// all the records of a key in one process and keep its state in a
// checkpoint: run it as the checkpointed single-process query
// (runtime/stream with runtime/source/kafka). To scale such a pipeline,
// partition by key at the producer (the record key decides the
// partition, so a key lives in one partition) and run one query per
// partition range with the Kafka source's Assign option
// ({"events":[0,1,2]}, {"events":[3,4,5]}, ...), each with its own
// checkpoint; each writes its own output table, or one table through
// its own queryId, and the ranges never overlap. Repartitioning then
// means stopping the queries and starting new ones on new ranges with
// new checkpoints.
//
// # How it works
//
// A Group is one process of the group. It consumes the topics as a member
// of the consumer group Config.Group (franz-go, cooperative-sticky
// balancing by default) and turns what it polls into commits of the table:
// at most Config.MaxRecords records, or what came within Config.MaxWait of
// the first one. Each commit holds the rows of its records as new Parquet
// files and, for every partition it read, a txn action
//
//	{"txn":{"appId":"<query>-<topic>-<partition>","version":<last offset written>}}
//
// with commitInfo operation "STREAMING UPDATE" (outputMode Append,
// queryId the query name), as the Delta sink writes. The table thus
// records, atomically with the data, how far each partition was written.
//
// When the group assigns a partition to a process (kgo.AdjustFetchOffsetsFn,
// before anything of it is fetched), the process reads the latest snapshot
// and starts the partition at its txn version + 1. A partition the table
// has no txn for starts at Config.StartingOffsets (latest by default, or
// earliest), which the first process assigned it resolves and records at
// once with a commit carrying only the partition's txn (version = start −
// 1): a later owner continues from there, even if nothing was written
// yet, instead of resolving "latest" again and skipping what came between.
// Offsets are never read from Kafka; with Config.CommitToGroup they are
// committed there after each table commit for lag tools only.
//
// # Exactly once
//
// Every record is in the table exactly once, whatever the rebalances,
// crashes and pauses, because each commit is conditional on the table
// still holding, for each of its partitions, the txn version the process
// read the partition after:
//
//   - The process remembers, per partition it owns, the version it sought
//     from (or last committed). Before committing it checks that the
//     latest snapshot holds exactly that version for each partition of the
//     batch; then runtime/delta's conflict checker fails the commit,
//     without retrying it, if a commit landing between that snapshot and
//     ours carries one of our appIds (ConflictConcurrentTransaction, or
//     ConflictTxnAlreadyCommitted when it is at our version or later).
//     Commits of other partitions commute and are retried, as blind
//     appends are.
//   - A batch that fails that way is stale: another process owns (or
//     owned) one of its partitions and wrote past where this batch
//     starts. Its data files are deleted, its rows dropped, and the
//     process seeks every partition it owns to the table's txn + 1
//     (ErrStale is logged, Stats.Stale counted; the run goes on).
//   - Rebalances wait for the batch in hand (kgo.BlockRebalanceOnPoll):
//     normally a revoked partition's last batch is committed before the
//     next owner reads the table, and nothing is dropped. The check above
//     covers the rest: a process whose session expired (a long GC pause,
//     SIGSTOP, a network partition) and that commits late, or two owners
//     overlapping during a rebalance. Whichever commits first wins; the
//     other's batch is stale.
//   - A process killed at any point leaves at most orphaned data files
//     (never committed; VACUUM removes them): its partitions' next owner
//     starts after the last committed offset.
//
// Malformed values (Config.OnMalformed, as in runtime/source/kafka)
// are quarantined, before the data commit, in one quarantine.Batch per
// partition with QueryID "<query>-<topic>-<partition>", Source 0,
// Version the last malformed offset, and each record's File
// "kafka:<topic>/<partition>" and Offset. With a quarantine.Delta writer
// the records at or below the offset the quarantine table already holds
// for that key are left out first, so a batch re-read after a failed data
// commit quarantines each record once; with another writer a malformed
// record may be handed over again after such a failure (at least once).
//
// # Data loss
//
// Offsets a partition still needs may be gone: retention or DeleteRecords
// moved its log start past the offset after its txn version (or its
// recorded start) before they were written. A Group compares each
// assigned partition's offset with its log start offset, and consumes
// with kgo.NoResetOffset so that a fetch out of range (the records were
// deleted while the process was behind) is an error instead of a silent
// reset. Gaps of transaction markers or compaction are not data loss.
//
// With Config.FailOnDataLoss (the generated code passes the spec's
// failOnDataLoss, true by default) the Group stops with a
// *kafka.DataLossError naming the topic, partition and offsets lost,
// [from, to), and the table's txn stays where it was. Without it, the
// Group logs a warning, seeks the partition to its log start and records
// the loss in its next commit: the partition's txn moves to the log start
// − 1, Stats (OffsetsLost, DataLossRanges) and the commit's progress
// metrics (numOffsetsLost, numDataLossRanges) count it, and with a
// quarantine writer one quarantine record per lost range is written with
// the partition's malformed records (QueryID "<query>-<topic>-<partition>",
// File "kafka:<topic>/<partition>", Offset the first offset lost, Err
// starting "data loss:"). A commit that does not land leaves the txn
// where it was, so the partition's next owner finds the loss again; with
// a quarantine.Delta writer the range is quarantined once (the same
// keying as malformed records), with another writer at least once.
//
// # Triggers
//
// By default a Group runs until Stop (SIGTERM in a generated main, through
// command.MainRunner), which commits the batch in hand and leaves the
// group so its partitions move at once. With Config.AvailableNow it lists
// the topics' end offsets at start and stops once every partition it owns
// has been written up to them (partitions created later are left for the
// next run); start every process of the group together, and each stops
// when its own assignment is done — a process leaving only hands over
// partitions that are done.
//
// # Failure modes and limits
//
//   - Rebalances wait for the batch in hand: MaxWait plus a commit must
//     stay well below the rebalance timeout (kgo.RebalanceTimeout, 60 s by
//     default), or the coordinator evicts the member (its late commit is
//     then stale and dropped, which is safe but wasted work).
//   - Every commit of every process goes to one Delta log: throughput is
//     bounded by how fast the table's store takes commits (conditional
//     puts; tens per second on S3-compatible stores). Size MaxRecords and
//     MaxWait so each process commits about once a second or less.
//   - The table must not expire txns (delta.setTransactionRetentionDuration):
//     a partition idle for longer would be read again from its starting
//     offset. New warns when the table sets it.
//   - Data loss is found where an offset is sought (assignment) and
//     where a fetch is out of range; a loss that franz-go hides behind
//     an exact offset it had to list (a partition assigned before its
//     metadata was loaded, records deleted between this check and the
//     fetch) resumes at the log start unseen. A lost range found again
//     after a failed commit, grown meanwhile, is quarantined with its
//     first extent only (the record is keyed by its first offset).
//     Truncation detected by franz-go (*kgo.ErrDataLoss, an unclean
//     leader election) stops the Group under FailOnDataLoss and is only
//     logged otherwise.
//   - Under AvailableNow a partition whose last offsets are transaction
//     markers is never seen "reaching" its end offset; use the default
//     trigger for transactional topics.
//   - Two pipelines writing one table must use different query names; all
//     processes of one pipeline must use the same one.
//
// # Running it
//
// Generated code builds a Group with New and runs it with command's
// MainRunner, which gives it the flags, logging, signals and monitor of
// every pipeline binary (the Group hands a stream.Progress per commit to
// the command's listeners):
//
//	c.MainRunner(func(ctx context.Context, env command.Env) (command.Runner, error) {
//		cfg.Logger, cfg.Listeners = env.Logger, env.Listeners
//		return kafkagroup.New(ctx, cfg)
//	})
package kafkagroup
