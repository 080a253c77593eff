// Package state is the state store of stateful operators (aggregations):
// a typed in-memory map from grouping keys to accumulators, versioned per
// batch and kept in the checkpoint with the layout and semantics of Spark's
// HDFSBackedStateStoreProvider.
//
// # Versions
//
// Batch N of a query reads state version N and writes version N+1 before
// commits/N is written; version 0 is the empty state. One Store lives
// across the batches of a running query (as Spark caches its provider):
//
//	s, err := state.Open[XKey, XState](ctx, state.Sub(ckpt.Storage(), state.Dir(op, 0)), N,
//		state.Fingerprint(planFingerprint))
//	for each batch N {
//		for each row r { k := XKeyOf(r); s.GetOrCreate(k).Add(r) }
//		s.DeleteFunc(window ends at or before the watermark)   // eviction
//		emit s.Updated() (update mode) or s.All() (complete mode)
//		progress.StateOperators = s.Metrics()
//		s.Commit(ctx, N+1)                                     // then commits/N
//		s.Purge(ctx, oldest batch the checkpoint keeps)
//	}
//
// A restart opens the version of the batch it runs (RecoveryPlan's BatchID):
// a re-run of batch N opens version N, ignoring files of later versions left
// by the crashed attempt, and replaces them when it commits. After a failed
// batch, Reload drops the uncommitted changes.
//
// # Layout
//
// The store of operator op, partition p (streamgen runs partition 0) is the
// checkpoint directory state/<op>/<p> (Dir, Sub):
//
//	state/<op>/<p>/1.delta       changes of version 1 (batch 0)
//	state/<op>/<p>/2.delta       …
//	state/<op>/<p>/10.snapshot   every key of version 10
//
// Commit(N) writes N.delta and, when N is a multiple of the snapshot
// interval (SnapshotInterval, default 10 like Spark's minDeltasForSnapshot),
// N.snapshot. Loading version N reads the newest snapshot at or before N
// (none: the empty version 0), then every delta after it up to N; a missing
// delta is a *MissingFileError naming it. Purge(min) deletes what loading
// versions >= min does not need: snapshots older than the newest snapshot
// at or before min, and deltas up to that snapshot, oldest first.
//
// Files are written whole to a temporary name and renamed into place
// (storage.Storage.Put), replacing a file of the same name. Unlike offsets/N
// and commits/N they may be overwritten: a file of version N+1 can only
// exist before commits/N if an attempt at batch N crashed, and the re-run,
// reading the same logged input, writes the same state (the record order
// may differ; the content is the same set of records). A snapshot left by
// such an attempt where the re-run writes none is deleted by Commit.
//
// # File format
//
// All integers are little-endian; uvarint is encoding/binary's.
//
//	magic          4 bytes  "SGST"
//	format         1 byte   1
//	kind           1 byte   'D' delta, 'S' snapshot
//	version        8 bytes  the state version the file is of
//	length         8 bytes  the length of the whole file
//	fingerprint    uvarint length, then bytes: the key/state layout
//	records        each: type (1 byte), key, [value]
//	                 1 put:    uvarint key length, key, uvarint value length, value
//	                 2 remove: uvarint key length, key (deltas only)
//	end            1 byte   0
//	count          8 bytes  the number of records
//	checksum       4 bytes  CRC-32C (Castagnoli) of everything before it
//
// Keys and values are the encodings of the types' AppendBinary. A delta
// holds the removed keys, then the keys created or updated since the
// previous version with their values; applied in order they give the new
// version. A snapshot holds a put for every key.
//
// Reading checks, in order: magic, format version (a newer one asks for an
// upgrade), length (truncated file), checksum (damaged file), kind and
// version against the file name, fingerprint (a *LayoutMismatchError when
// the grouping keys or aggregates changed: start from a new checkpoint),
// then every record and the decoding of every key and value. A failure is a
// *CorruptError naming the file and, for a record, its index and offset.
// Nothing here panics on file content.
//
// # Memory
//
// Keys and values are the generated XKey and XState types, constrained by
// Codec: no interface{} on the hot path. A key type whose == is equality of
// its encodings (integers, bools, strings, time.Time in UTC without a
// monotonic reading, as window bounds are, and structs and arrays of those)
// is the index key itself; strings are copied when a key is inserted, since a
// row's strings live in its decoder's arena. Other key types (nullable
// pointer fields, floats, whose == differs from Spark's grouping equality)
// are indexed by their encoding, which costs an encoding per lookup and a
// decoding per key visited by All and Updated.
//
// The index is an open-addressing hash table (linear probing, at most 3/4
// full) of 8-byte entries, each a slot number and 32 bits of the key's hash
// (hash/maphash.Comparable, seeded per store), so a lookup reads a key only
// when the hash bits match, and growing or deleting rehashes nothing. Keys
// and values live by slot in chunks of 256 that never move, so GetOrCreate
// of an existing key is a hash, a probe and a bit set, without allocation,
// and returned pointers stay valid until the key is deleted or the store
// reloaded. Deleted slots are zeroed and reused. The strings of direct keys
// are interned (up to 4,096 distinct strings of up to 64 bytes per store;
// others are copied per key): grouping keys such as an action repeat across
// windows. All, Updated and the files visit keys in slot order.
//
// Per key this costs the key and the value, 8/0.75 to 8/0.375 bytes of
// table, two bits, and the key's strings when not interned: a generated
// windowed count's key (a string and the window start, a time.Time) and
// count take some 65 bytes a key at 1M keys (TestBytesPerKey,
// BenchmarkWindowedCount in bench/). Metrics().MemoryUsedBytes estimates the
// table, the key and value chunks, key strings, and what values report
// beyond their size through an optional SizeBytes() int method.
package state
