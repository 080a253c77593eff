// Package delta reads and writes Delta Lake tables: the transaction log
// (actions, log segments, snapshots, checkpoints, commits) and the Parquet
// data files, per the Delta PROTOCOL.md.
//
// The package knows nothing of streaming. All I/O goes through a
// [storage.Storage], so tables can live on a local disk or an object store.
//
// Reading: [Open] a table, take a [Snapshot] (latest, by version, or by
// timestamp) and read its rows. Writing: [Table.Begin] a [Transaction],
// add and remove files, and commit; a lost race with another writer is
// resolved by re-reading the winner's commit and retrying when the two
// commute. Maintenance: [Table.History], [Table.Optimize], [Table.Vacuum].
package delta
