// Package quarantine stores the malformed input records of streaming
// queries (the onMalformed=quarantine policy): the raw record, where it
// came from and why it was rejected. It is source-neutral: the files
// source hands over lines with their file, line number and byte offset;
// other sources hand over their own records the same way.
//
// A source collects the malformed records of one read of a query batch
// into a [Batch] and hands it to a [Writer] after every valid row was
// processed. A batch re-run after a crash is handed over again with the
// same content and the same key (QueryID, Source, Version), and a Writer
// writes each key at most once, so every malformed record is quarantined
// exactly once.
//
// # The quarantine Delta table
//
// [Delta] appends each batch to a Delta table, typically beside the
// query's sink, as one commit. The table is created by the first write,
// without partitions, with this schema ([Schema]):
//
//	source          integer    not null  the source's index in the query
//	file            string     not null  storage URL of the origin file
//	line            long       nullable  1-based line number; null when the origin has no lines
//	offset          long       not null  byte offset of the record in the file
//	raw             string     nullable  the record, when it is valid UTF-8
//	raw_bytes       binary     nullable  the record, when it is not valid UTF-8
//	error           string     not null  why the record is malformed
//	query_id        string     not null  the query's ID
//	quarantined_at  timestamp  not null  when the batch was written
//
// Exactly one of raw and raw_bytes is set. An existing table must have
// exactly this schema and no partition columns.
//
// Each commit carries txn{appId: "<query ID>/quarantine/<source>",
// version: Batch.Version} ([AppID]) and commitInfo operation
// "STREAMING UPDATE" with outputMode Append, the queryId and
// epochId=Version. Before writing, Write looks the appId up in the latest
// snapshot: when the table records it at Version or later, the batch was
// quarantined before and is skipped; a concurrent commit of the same
// batch that wins the race counts as success too (its data files are
// deleted). Appends of other writers (other queries or sources sharing
// the table) commute and are retried by the transaction layer; losing the
// race to create the table is retried from a fresh snapshot. A batch
// without records commits nothing.
//
// Several queries and sources may share one table: rows are told apart by
// query_id and source, and each (query, source) has its own appId.
//
// [Memory] is an in-memory Writer for tests.
package quarantine
