// Package kafka is the Kafka sink: it writes each micro-batch's rows of
// type T to a Kafka topic as records whose value is the row's JSON (a
// generated encoder), with an optional key and headers, through
// franz-go. Generated code imports it as kafkasink:
//
//	sink, err := kafkasink.New(ctx, kafkasink.Config[Reading]{
//		Conn:        kafkaconn.Conn{Brokers: brokers},
//		Topic:       "sensor-out",
//		Value:       AppendReadingJSON,
//		Key:         func(dst []byte, r *Reading) []byte { return append(dst, r.Device...) },
//		ExactlyOnce: true,
//		Logger:      logger,
//	})
//	...
//	bw, err := sink.BeginBatch(ctx, b.QueryID, b.ID)
//	defer bw.Abort(ctx) // a no-op after Commit
//	err = bw.Write(ctx, rows) // as many times as needed
//	err = bw.Commit(ctx)
//
// [Sink.BeginBatch], [BatchWriter.Write], [BatchWriter.Commit] and
// [BatchWriter.Abort] mirror runtime/sink/deltasink: the stream engine
// runs one batch at a time and, after a crash, may run the last batch
// again with the same batch ID (the checkpoint's commit of a batch
// follows the sink's).
//
// # At-least-once (the default)
//
// The producer is idempotent (franz-go's default: acks=all, retries
// without duplicates or reordering within a partition). Write hands the
// records to the producer, which sends them in the background; Commit
// waits until all are acknowledged and returns the first produce error.
// A re-run batch is written again, so a crash between Commit and the
// checkpoint's commit duplicates that batch's records, as with Spark's
// Kafka sink. Abort drops the records not sent yet; those already sent
// stay.
//
// # Exactly-once (Config.ExactlyOnce)
//
// The producer is transactional (kgo.TransactionalID), with a stable
// transactional ID: Config.TransactionalID, or "streamgen-" + queryID +
// "-" + Topic. Each batch is one Kafka transaction, begun by BeginBatch
// and committed by Commit; Abort (or any error) aborts it. Consumers
// must read with isolation.level=read_committed (franz-go:
// kgo.FetchIsolationLevel(kgo.ReadCommitted())); read_uncommitted
// consumers also see the records of aborted transactions.
//
// The batch ID is recorded atomically with the records: inside the
// batch's transaction, the sink commits (AddOffsetsToTxn then
// TxnOffsetCommit, as a producer's sendOffsetsToTransaction does) the
// offset batchID+1 of the sink's topic, partition 0, for the consumer
// group whose name is the transactional ID, with metadata
// {"writer":"streamgen-kafka-sink","queryId":…,"batchId":…}. No consumer
// joins that group; Kafka makes its offset visible exactly when the
// transaction's records become visible. At its first batch a sink
// initializes its producer ID, which fences any earlier producer with
// the same transactional ID (a crashed or hung instance: its open
// transaction is aborted and it can no longer commit), then reads the
// group's offset (OffsetFetch with require_stable). A batch whose ID is
// at most the recorded one, of the same query, is skipped: Write
// discards its rows and Commit only records the skip (Metrics reports
// batchSkipped). A batch without rows records nothing (there is nothing
// to skip when it runs again).
//
// The design uses only requests that Kafka has honoured since 0.11 and
// that franz-go's in-process kfake cluster implements (transactional
// produce, AddOffsetsToTxn, TxnOffsetCommit with generation -1 and no
// member, EndTxn, OffsetFetch with require_stable): the sink caps EndTxn
// and TxnOffsetCommit below version 5, so the KIP-890 part 2 protocol
// (implicit partition and group registration) is not used.
//
// Requirements and limits: the principal needs Write and Read on the
// topic, Write and Describe on the transactional ID, and Read on the
// group (ACLs); a cluster with fewer than three brokers needs
// transaction.state.log.replication.factor and
// transaction.state.log.min.isr lowered. A transaction must finish
// within the producer's transaction timeout (franz-go's default, 40s;
// set kgo.TransactionTimeout in Config.ClientOpts for longer batches, up
// to the broker's transaction.max.timeout.ms). Kafka expires the
// offsets of an empty group after offsets.retention.minutes (7 days by
// default): a query stopped longer than that, then restarted on its last
// batch, writes that batch again. Two sinks of one query must not share
// a topic and a transactional ID.
//
// # Records
//
// Config.Value appends the row's JSON value; Config.Key, when set,
// appends its key (the partition is then murmur2(key) modulo the number
// of partitions, as with the Java client; without a key records are
// spread by franz-go's sticky partitioner); Config.Headers, when set,
// returns its headers. Rows and the memory they point to may be reused
// as soon as Write returns. The topic must exist: New checks it (and
// that the connection and authentication work) and fails with
// "kafka sink: topic X does not exist" otherwise.
//
// # Metrics
//
// [Sink.Metrics] returns the latest committed batch's progress metrics
// (stream.BatchResult.SinkMetrics): numRecordsWritten, numBytesWritten
// (keys, values and headers of the acknowledged records), batchSkipped,
// and committedBatchId in exactly-once mode. [Sink.Description] is
// "KafkaSink[<topic>]" or "KafkaSink[<topic>, exactly-once]".
//
// # Connection
//
// Config.Conn (runtime/kafkaconn) holds the brokers, TLS and SASL
// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, with the password a Secret
// resolved at each authentication and never logged); Config.ClientOpts
// adds franz-go options (linger, batch size, compression,
// kgo.RecordDeliveryTimeout to bound how long Commit waits for an
// unreachable cluster). Errors name the batch and the topic:
// "kafka sink: batch 7: produce to sensor-out: …".
package kafka
