// Package kafka is the Kafka source of streamgen queries: Spark's Kafka
// source (KafkaMicroBatchStream) on franz-go, typed by a generated
// decoder.
//
// # Topics and partitions
//
// A Source reads exactly one of: the partitions of a list of topics
// (Subscribe, Spark's subscribe), of every topic whose whole name matches
// a regular expression (SubscribePattern; Kafka's internal topics are
// left out), or a fixed list of partitions (Assign, Spark's JSON
// {"topicA":[0,1]}). The partitions are looked up again on every trigger,
// so partitions and (for a pattern) topics created while the query runs
// are picked up; they are read from offset 0, their beginning, as in
// Spark. The source never joins a consumer group: it reads partitions
// directly, from the offsets in the query's checkpoint.
//
// # Offsets
//
// The source's offset is Spark's KafkaSourceOffset JSON, the next offset
// to read in each partition:
//
//	{"events":{"0":1234,"1":1180}}
//
// and a query batch reads, in each partition of its end offset, the
// records at offsets [start, end) (a partition missing from the start
// offset is new and read from 0). Offsets are compared as JSON by the
// engine; the source always writes topics and partitions sorted.
//
// # Starting offsets
//
// A new query starts at StartingOffsets: "latest" (the default: only
// records produced after the start), "earliest", or per-partition JSON
// {"events":{"0":23,"1":-2}} with -2 for earliest and -1 for latest,
// which must name every partition read; or, taking precedence, at
// StartingTimestamp (the first record at or after a time in each
// partition; a partition without one starts at its latest offset). The
// choice is resolved once, by the first InitialOffset call of a
// checkpoint, and recorded in the source's log in the checkpoint
// (sources/<i>/0, "v1" then the offsets JSON, as Spark's
// KafkaSourceInitialOffsetWriter writes it): a re-run of batch 0, a
// restart, or a changed option all start from what was recorded.
//
// # Read limits
//
// MaxOffsetsPerTrigger caps a batch at about n offsets, split over the
// partitions in proportion to their backlog (end − start, with a new
// partition's earliest offset as its start): each share is rounded down,
// or up to 1 when below 1 so no partition starves — Spark's rateLimit.
// MinOffsetsPerTrigger holds a batch back until n offsets are new in
// total, or MaxTriggerDelay (default 15 minutes) has passed since the last
// batch the rule let through; as in Spark, the first trigger of a process
// is always let through. LatestOffsetAllAvailable (the Once trigger)
// ignores both limits. Under AvailableNow, PrepareAvailableNow fixes the
// end at the latest offsets of the partitions existing then;
// MaxOffsetsPerTrigger still splits the work into batches,
// MinOffsetsPerTrigger is ignored, and partitions created later wait for
// the next run.
//
// # Reading
//
// Read(ctx, start, end, fn) fetches each partition of the batch in turn
// (sorted by topic, then partition) from its leader with plain Fetch
// requests, hands every record at an offset in [start, end) to the
// decoder and then to fn, and stops at end exactly: a re-run of a batch
// after a crash reads the same records in the same order. Offsets taken
// by transaction markers or removed by compaction are skipped. The
// isolation level is read_uncommitted, Spark's default. Each Record
// carries the key, value, topic, partition, offset, timestamp, timestamp
// type and, with IncludeHeaders, the headers (Spark's columns).
//
// # Malformed records
//
// A value the decoder rejects, or a record without a value (a
// tombstone), follows OnMalformed: QuarantineMalformed (the default)
// hands it to the quarantine.Writer set with QuarantineTo, with File
// "kafka:<topic>/<partition>", Offset the record's offset, Line 0 (null
// in the quarantine table) and the raw value; DropMalformed counts it;
// FailMalformed stops the query with "kafka: <topic>/<partition>@<offset>:
// <field>: <msg>". A Read hands its quarantined records over as one
// quarantine.Batch after every valid row, keyed by the checkpoint's query
// ID, the source index and the ID of the query batch whose logged offsets
// end at end (the engine logs offsets/N before the batch reads), so a
// re-run is quarantined once.
//
// # Data loss
//
// Offsets the query has not read may disappear: retention or
// DeleteRecords moves a partition's earliest offset past them, a
// partition or topic is deleted, a topic is re-created with lower
// offsets, a log is truncated. With FailOnDataLoss(true), the default,
// the query stops with a *DataLossError naming the topic, partition and
// offsets lost. With FailOnDataLoss(false) the source logs a warning,
// continues from the earliest offset available (or drops a partition
// that is gone), counts the offsets in Stats (numOffsetsLost,
// numDataLossRanges) and, when a quarantine writer is set, records each
// lost range as a quarantine record whose Err starts with "data loss:"
// and whose Offset is the first offset lost.
//
// # Committing to a consumer group
//
// Nothing is written to Kafka unless CommitToGroup is set: then Commit
// commits each committed batch's end offsets to that group, so that lag
// tools (kafka-consumer-groups, Burrow, Event Hubs' metrics) show the
// query's progress. The group's offsets are never read back: the
// checkpoint is the truth.
//
// # Polling
//
// Under the Default trigger an idle query asks the source for new offsets
// every 10ms (PollInterval, Spark's pollingDelay; stream.PollingSource)
// rather than the engine's 100ms, since one ListOffsets request per
// partition leader is cheap: that bounds how long a record produced to an
// idle topic waits for its batch.
//
// # Metrics
//
// Read returns Stats, whose Metrics method gives the batch's progress
// metrics for stream.BatchResult.SourceMetrics: numRecordsRead,
// numBytesRead (keys and values), numMalformedRows, numQuarantinedRows,
// numDroppedMalformedRows, numOffsetsLost and numDataLossRanges. As a
// stream.MetricsSource it reports Spark's lag metrics at the end of each
// batch: minOffsetsBehindLatest, maxOffsetsBehindLatest and
// avgOffsetsBehindLatest, over the partitions, against the latest offsets
// listed by the trigger (under AvailableNow, the fixed end).
//
// # Security
//
// TLS(config) encrypts connections (LoadTLS builds a config from PEM
// files); SASL(mechanism, user, password) authenticates with PLAIN,
// SCRAM-SHA-256 or SCRAM-SHA-512. Passwords are Secrets read from an
// environment variable (SecretFromEnv) or a file (SecretFromFile) each
// time a connection authenticates; they are never logged or formatted.
// Azure Event Hubs' Kafka endpoint works with:
//
//	kafka.BootstrapServers("my-namespace.servicebus.windows.net:9093"),
//	kafka.TLS(nil),
//	kafka.SASL(kafka.SASLPlain, "$ConnectionString", kafka.SecretFromEnv("EVENTHUBS_CONNECTION_STRING")),
//
// ClientOpts passes other franz-go client options (timeouts, dialer,
// client ID).
package kafka
