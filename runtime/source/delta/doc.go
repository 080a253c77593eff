// Package deltasource is the Delta table source of streamgen queries:
// Spark's DeltaSource, reading a table's rows into the generated record
// type.
//
// # What is read
//
// By default a new query reads the table's snapshot at its latest version
// when the query starts — every file of it, however it was written — and
// then the add actions of each new commit, in order. StartingVersion
// (startingVersion N) instead reads the changes from version N on, without
// a snapshot; StartingLatest (startingVersion "latest") the commits made
// after the start; StartingTimestamp the changes from the first version
// committed at or after a time (the earliest commit in the log when the
// time is before them all, the next commit when it is after them all).
// The start is resolved once, by the first InitialOffset call of a
// checkpoint, and recorded in the source's log in the checkpoint
// (sources/<i>/0, "v1" then the offset), so a restart or a re-run of
// batch 0 starts from the same place.
//
// Rows are read with the metadata in force at their version (schema,
// partition columns: partition values come from the add action, never
// from directory names), then projected by name (case-insensitively) onto
// Config.Schema, the record's Delta schema, and handed to Config.FromRow.
//
// # Offsets
//
// The offset is Spark's DeltaSourceOffset, with Spark's field names:
//
//	{"sourceVersion":1,"reservoirId":"<table id>","reservoirVersion":5,"index":2,"isStartingVersion":false}
//
// meaning every file up to and including file 2 of version 5 was read.
// Index -1 is the start of a version (nothing of it read). With
// isStartingVersion the files are those of the initial snapshot at that
// version, in Spark's order: by modification time, then path. Otherwise
// they are the commit's add actions with dataChange=true, in commit order
// (Origin.Index is that index). When a batch ends with the last file of a
// version the offset moves to the start of the next version (index -1),
// as Spark does, so a batch that read the whole snapshot at version 5
// ends at {"reservoirVersion":6,"index":-1,"isStartingVersion":false}. A
// batch reads the files after its start offset up to and including its
// end offset's, so a re-run batch reads the same rows in the same order.
// An offset whose reservoirId is not the table's current id (the table
// was deleted and re-created) stops the query with a *TableChangedError.
//
// # Read limits
//
// A batch holds at most MaxFilesPerTrigger files (default 1000) and, with
// MaxBytesPerTrigger, files are taken while the bytes taken are below it
// (Spark's soft limit: the file that reaches it is the batch's last, and
// a batch has at least one file); the first limit reached wins. As in
// Spark, setting only MaxBytesPerTrigger lifts the default file limit.
// Limits apply to the initial snapshot too. LatestOffsetAllAvailable (the
// Once trigger) ignores them. Under AvailableNow, PrepareAvailableNow fixes
// the end at the latest version then; later commits wait for the next
// run.
//
// # Changes to existing data
//
// A commit is classified by its actions with dataChange=true:
//
//   - only adds (appends): its files are read;
//   - nothing (OPTIMIZE, whose adds and removes have dataChange=false;
//     metadata-only commits; VACUUM's commits): skipped;
//   - removes without adds (a delete along partition boundaries, a
//     truncate): a *ChangeError of kind "delete" stops the query at that
//     version, unless IgnoreDeletes (or IgnoreChanges) skips it;
//   - removes and adds (UPDATE, MERGE, a DELETE that rewrites files, an
//     overwrite): a *ChangeError of kind "update" stops the query, unless
//     IgnoreChanges reads the added files (so the unchanged rows of a
//     rewritten file are streamed again: downstream must tolerate
//     duplicates).
//
// SkipChangeCommits skips every commit that removes a file with
// dataChange=true, adds included, whatever the other options say. The
// error names the table, the version, the commit's operation and a file
// it removes:
//
//	deltasource: table /data/events: version 7 deletes data (DELETE removes 1 file(s), e.g. date=2026-01-01/part-0001.parquet, and adds none); the stream stops here: set ignoreDeletes to skip such commits (or ignoreChanges or skipChangeCommits)
//
// # Schema and protocol
//
// The table must have every column of Config.Schema with the same type
// (nested types compared whole); other table columns are ignored and
// nullability is not compared. At start, the schema of the start version
// is checked (an error says which columns are missing or typed
// otherwise). A later metaData action that adds columns is accepted (the
// record does not see them: unlike Spark, which stops on any schema
// change, since a generated record cannot change while the query runs);
// one that drops a record column or changes its type stops the query with
// a *SchemaError saying what changed ("column score changed type from
// integer to long (the record reads integer)"). A protocol action this
// reader cannot read stops the query with an error wrapping a
// *delta.UnsupportedFeatureError, as does a table that needs one at
// start; files with deletion vectors cannot be read.
//
// A commit that stops the query ends the batch being planned just before
// it, so every row before it is processed and committed; the next
// LatestOffset returns the error, naming the version. Restarting with the
// option that allows the commit continues from exactly there.
//
// # Vacuum and log cleanup
//
// Files of versions the stream has read are never read again, so VACUUM
// removing them has no effect. A data file of a version not read yet that
// is gone stops the query with a *MissingFileError naming the file and
// its version. A commit not read yet that log cleanup removed stops it
// with an error wrapping delta.ErrVersionNotFound.
//
// # Polling the log
//
// Each LatestOffset lists the log with one ListFrom of _delta_log starting
// at the version after the newest one seen (on an object store one LIST
// request from that key: new commits only, never the whole log), and
// reads only the commits the batch needs. Commits read are cached until
// the batch that read them is committed. The first call of a process
// reads the table's latest snapshot (its id, protocol and latest
// version), and a restart in the middle of the initial snapshot reads
// that snapshot again.
//
// # Metrics
//
// Read returns Stats, whose Metrics method gives numFilesRead,
// numBytesRead and numRowsRead for stream.BatchResult.SourceMetrics. As a
// stream.MetricsSource the source reports its lag after each batch
// against the newest version listed (under AvailableNow, the run's end):
// Spark's numFilesOutstanding and numBytesOutstanding (the files and
// bytes later batches will read, initial snapshot included; left out when
// more than 1000 commits are unread) and numVersionsBehindLatest (the
// versions not completely read).
package deltasource
