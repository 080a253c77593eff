package state

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"reflect"
	"slices"
	"unsafe"

	"github.com/streamgen/streamgen/runtime/storage"
)

// Codec is the constraint on the key and value types of a Store: a pointer
// to T with T's binary encoding, as generated for an aggregation's key
// (XKey) and state (XState). UnmarshalBinary must copy what it keeps from
// its argument, and decoding an encoding must give a value equal to the
// encoded one.
type Codec[T any] interface {
	*T
	// AppendBinary appends the encoding of the value to b.
	AppendBinary(b []byte) []byte
	// UnmarshalBinary sets the value from an encoding made by
	// AppendBinary.
	UnmarshalBinary(b []byte) error
}

// sizer is the optional interface of a value that reports its memory
// (generated states' SizeBytes).
type sizer interface{ SizeBytes() int }

// DefaultSnapshotInterval is how often Commit writes a snapshot: at every
// version that is a multiple of it (Spark's
// spark.sql.streaming.stateStore.minDeltasForSnapshot).
const DefaultSnapshotInterval = 10

// Opt configures Open.
type Opt func(*config)

type config struct {
	snapshotInterval int64
	fingerprint      string
	fingerprintSet   bool
}

// SnapshotInterval makes Commit write a snapshot at every version that is a
// multiple of n, overriding the default of 10. n must be at least 1.
func SnapshotInterval(n int) Opt { return func(c *config) { c.snapshotInterval = int64(n) } }

// Fingerprint sets the key/state layout fingerprint written into every state
// file and checked when one is read: a file with another fingerprint is a
// *LayoutMismatchError. Generated pipelines pass the operator's fingerprint
// from the plan (the key and aggregate definitions and the encoding version,
// XStateVersion). The default is the Go names of the key and value types.
func Fingerprint(fp string) Opt {
	return func(c *config) { c.fingerprint, c.fingerprintSet = fp, true }
}

// Metrics reports a store's state for a batch (Spark's stateOperators
// progress).
type Metrics struct {
	// NumRowsTotal is the number of keys in the state.
	NumRowsTotal int64 `json:"numRowsTotal"`
	// NumRowsUpdated is the number of keys created or updated (through
	// GetOrCreate) since the last Commit and still present: the put
	// records of the next delta.
	NumRowsUpdated int64 `json:"numRowsUpdated"`
	// NumRowsRemoved is the number of keys deleted since the last Commit.
	NumRowsRemoved int64 `json:"numRowsRemoved"`
	// MemoryUsedBytes estimates the memory the state holds: the index
	// table, the key and value slots, key strings and what values report beyond
	// their size (SizeBytes).
	MemoryUsedBytes int64 `json:"memoryUsedBytes"`
}

// The value slots are allocated in chunks that never move, so pointers to
// values stay valid however many keys are added.
const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// A Store is the versioned state of one partition of one stateful operator:
// a map from keys K to values V kept in memory, loaded from and committed to
// delta and snapshot files (see the package documentation).
//
// A Store is not safe for concurrent use.
type Store[K comparable, V any, KP Codec[K], VP Codec[V]] struct {
	st      storage.Storage
	cfg     config
	layout  keyLayout
	version int64

	// One index is used, according to layout.mode: the keys themselves,
	// or their encodings.
	direct  *index[K]
	encoded *index[string]
	strs    interner // direct keys' strings

	chunks []*[chunkSize]V
	live   []uint64 // a bit per slot: holds a key's value
	dirty  []uint64 // a bit per slot: updated since the last commit
	free   []int32  // freed slots, reused first
	next   int32    // first never-used slot

	removed []byte // keys deleted since the last commit, length-prefixed encodings

	numUpdated int64
	numRemoved int64
	keyHeap    int64 // memory of the keys' strings or encodings
	sizeValues bool  // values report memory beyond their size

	err   error          // a failure on the hot path, reported by Commit
	stale map[int64]bool // snapshots newer than the loaded version

	k    K      // scratch key: a field, so taking its address allocates nothing
	kbuf []byte // scratch key encoding
	w    fileWriter
}

// Open loads the state of one operator partition as of version from st, the
// store rooted at the partition's directory (Sub(checkpointStore, Dir(op,
// 0))): the newest snapshot at or before version, then the deltas after it up
// to version. Version 0 is the empty state. Batch N of a query reads version
// N and commits version N+1.
func Open[K comparable, V any, KP Codec[K], VP Codec[V]](ctx context.Context, st storage.Storage, version int64, opts ...Opt) (*Store[K, V, KP, VP], error) {
	cfg := config{snapshotInterval: DefaultSnapshotInterval}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.snapshotInterval < 1 {
		return nil, fmt.Errorf("state: SnapshotInterval must be at least 1, got %d", cfg.snapshotInterval)
	}
	if !cfg.fingerprintSet {
		cfg.fingerprint = reflect.TypeFor[K]().String() + "/" + reflect.TypeFor[V]().String()
	}
	if st == nil {
		return nil, errors.New("state: Open: nil storage")
	}
	s := &Store[K, V, KP, VP]{st: st, cfg: cfg}
	if err := s.load(ctx, version); err != nil {
		return nil, err
	}
	return s, nil
}

// reset empties the in-memory state.
func (s *Store[K, V, KP, VP]) reset() {
	s.layout = layoutOf[K]()
	seed := maphash.MakeSeed()
	if s.layout.mode == keyDirect {
		s.direct, s.encoded = newIndex[K](seed), nil
	} else {
		s.direct, s.encoded = nil, newIndex[string](seed)
	}
	s.strs = interner{}
	var v V
	_, isSizer := any(VP(&v)).(sizer)
	s.sizeValues = isSizer && hasPointers(reflect.TypeFor[V]())
	s.chunks, s.live, s.dirty, s.free, s.next = nil, nil, nil, nil, 0
	s.removed = s.removed[:0]
	s.numUpdated, s.numRemoved, s.keyHeap = 0, 0, 0
	s.err = nil
}

// Version returns the version the store holds: the one it was opened or
// reloaded at, or last committed.
func (s *Store[K, V, KP, VP]) Version() int64 { return s.version }

// Len returns the number of keys.
func (s *Store[K, V, KP, VP]) Len() int {
	if s.direct != nil {
		return s.direct.n
	}
	return s.encoded.n
}

func (s *Store[K, V, KP, VP]) at(i int32) *V { return &s.chunks[i>>chunkBits][i&chunkMask] }

// GetOrCreate returns the value of k, creating it (the zero value, which is
// the empty state) if k has none, and marks it updated: it goes into the
// next delta with the value it has then. The caller updates the value in
// place. The pointer stays valid until k is deleted or the store is
// reloaded; Commit does not move values.
//
// For an existing key this is a hash table lookup and allocates nothing. A
// new key is copied (the store keeps no reference to the caller's strings,
// which may live in a decoder's arena).
func (s *Store[K, V, KP, VP]) GetOrCreate(k K) *V {
	var i int32
	var ok bool
	if s.direct != nil {
		h := s.direct.hash(&k)
		if i, ok = s.direct.find(&k, h); !ok {
			i = s.insertDirect(&k, h)
		}
	} else {
		s.k = k
		s.kbuf = KP(&s.k).AppendBinary(s.kbuf[:0])
		enc := unsafe.String(unsafe.SliceData(s.kbuf), len(s.kbuf))
		h := s.encoded.hash(&enc)
		if i, ok = s.encoded.find(&enc, h); !ok {
			i = s.insertEncoded(string(s.kbuf), h)
		}
	}
	w, bit := &s.dirty[i>>6], uint64(1)<<(i&63)
	if *w&bit == 0 {
		*w |= bit
		s.numUpdated++
	}
	return s.at(i)
}

// insertDirect adds k, whose hash is h, with the zero value, making its
// strings the store's own.
func (s *Store[K, V, KP, VP]) insertDirect(k *K, h uint32) int32 {
	i := s.alloc()
	s.k = *k
	s.keyHeap += s.layout.own(unsafe.Pointer(&s.k), &s.strs)
	s.direct.insert(&s.k, h, i)
	return i
}

// insertEncoded adds the key of encoding enc (the store's own string),
// whose hash is h, with the zero value.
func (s *Store[K, V, KP, VP]) insertEncoded(enc string, h uint32) int32 {
	i := s.alloc()
	s.keyHeap += allocBytes(len(enc))
	s.encoded.insert(&enc, h, i)
	return i
}

// alloc returns a free value slot (holding the zero value) and marks it live.
func (s *Store[K, V, KP, VP]) alloc() int32 {
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		if s.next < 0 {
			panic("state: more than 2^31 keys in one state store")
		}
		i = s.next
		s.next++
		if int(i>>chunkBits) == len(s.chunks) {
			s.chunks = append(s.chunks, new([chunkSize]V))
			s.live = append(s.live, make([]uint64, chunkSize/64)...)
			s.dirty = append(s.dirty, make([]uint64, chunkSize/64)...)
			if s.direct != nil {
				s.direct.grow(len(s.chunks))
			} else {
				s.encoded.grow(len(s.chunks))
			}
		}
	}
	s.live[i>>6] |= 1 << (i & 63)
	return i
}

// release zeroes slot i and frees it.
func (s *Store[K, V, KP, VP]) release(i int32) {
	var zero V
	*s.at(i) = zero
	s.live[i>>6] &^= 1 << (i & 63)
	if w, bit := &s.dirty[i>>6], uint64(1)<<(i&63); *w&bit != 0 {
		*w &^= bit
		s.numUpdated--
	}
	s.free = append(s.free, i)
}

// lookup finds k and returns its slot and hash.
func (s *Store[K, V, KP, VP]) lookup(k K) (int32, uint32, bool) {
	if s.direct != nil {
		h := s.direct.hash(&k)
		i, ok := s.direct.find(&k, h)
		return i, h, ok
	}
	s.k = k
	s.kbuf = KP(&s.k).AppendBinary(s.kbuf[:0])
	enc := unsafe.String(unsafe.SliceData(s.kbuf), len(s.kbuf))
	h := s.encoded.hash(&enc)
	i, ok := s.encoded.find(&enc, h)
	return i, h, ok
}

// Get returns the value of k, if any. It does not mark k updated: a caller
// that changes the value must use GetOrCreate.
func (s *Store[K, V, KP, VP]) Get(k K) (*V, bool) {
	i, _, ok := s.lookup(k)
	if !ok {
		return nil, false
	}
	return s.at(i), true
}

// Delete removes k and its value, recording the removal for the next
// delta, and reports whether k was present. Pointers to k's value must not
// be used afterwards.
func (s *Store[K, V, KP, VP]) Delete(k K) bool {
	i, h, ok := s.lookup(k)
	if !ok {
		return false
	}
	s.deleteSlot(i, h)
	return true
}

// deleteSlot deletes the key of slot i, whose hash is h, recording the
// removal.
func (s *Store[K, V, KP, VP]) deleteSlot(i int32, h uint32) {
	if s.direct != nil {
		k := s.direct.key(i)
		s.kbuf = KP(k).AppendBinary(s.kbuf[:0])
		s.keyHeap -= s.layout.release(unsafe.Pointer(k), &s.strs)
		s.direct.remove(h, i)
	} else {
		enc := s.encoded.key(i)
		s.kbuf = append(s.kbuf[:0], *enc...)
		s.keyHeap -= allocBytes(len(*enc))
		s.encoded.remove(h, i)
	}
	s.removed = binary.AppendUvarint(s.removed, uint64(len(s.kbuf)))
	s.removed = append(s.removed, s.kbuf...)
	s.release(i)
	s.numRemoved++
}

// DeleteFunc deletes every key for which del returns true, such as the
// windows that end at or before the watermark, and returns how many it
// deleted.
func (s *Store[K, V, KP, VP]) DeleteFunc(del func(k K, v *V) bool) int {
	n := 0
	s.each(false, func(i int32, k K, v *V) bool {
		if del(k, v) {
			if s.direct != nil {
				s.deleteSlot(i, s.direct.hash(s.direct.key(i)))
			} else {
				s.deleteSlot(i, s.encoded.hash(s.encoded.key(i)))
			}
			n++
		}
		return true
	})
	return n
}

// each calls yield with every live slot, its key and value, or only the
// dirty ones, in slot order. Slots freed while iterating are skipped;
// slots filled while iterating may or may not be visited. In encoded mode
// a key that does not decode ends the iteration and fails the next Commit.
func (s *Store[K, V, KP, VP]) each(onlyDirty bool, yield func(int32, K, *V) bool) {
	for w := 0; w < len(s.live); w++ {
		bits := s.live[w]
		if onlyDirty {
			bits &= s.dirty[w]
		}
		for bits != 0 {
			b := bits & -bits
			bits &^= b
			if s.live[w]&b == 0 { // deleted by yield
				continue
			}
			i := int32(w*64 + bitIndex(b))
			var k K
			if s.direct != nil {
				k = *s.direct.key(i)
			} else {
				enc := s.encoded.key(i)
				if err := KP(&k).UnmarshalBinary(unsafe.Slice(unsafe.StringData(*enc), len(*enc))); err != nil {
					if s.err == nil {
						s.err = fmt.Errorf("state: a key in the store does not decode: %w", err)
					}
					return
				}
			}
			if !yield(i, k, s.at(i)) {
				return
			}
		}
	}
}

// All returns every key and its value, in no particular order. Keys may be
// deleted (Delete) while iterating; keys added while iterating may or may
// not be visited, as with a Go map.
func (s *Store[K, V, KP, VP]) All() iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		s.each(false, func(_ int32, k K, v *V) bool { return yield(k, v) })
	}
}

// Updated returns the keys created or updated since the last Commit (or
// since Open) and still present, with their values, in no particular
// order: a batch's output in update mode.
func (s *Store[K, V, KP, VP]) Updated() iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		s.each(true, func(_ int32, k K, v *V) bool { return yield(k, v) })
	}
}

// Sorted returns every key and its value, in the order of cmp.
func (s *Store[K, V, KP, VP]) Sorted(compare func(a, b K) int) iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		type kv struct {
			k K
			v *V
		}
		all := make([]kv, 0, s.Len())
		for k, v := range s.All() {
			all = append(all, kv{k, v})
		}
		slices.SortFunc(all, func(a, b kv) int { return compare(a.k, b.k) })
		for _, e := range all {
			if !yield(e.k, e.v) {
				return
			}
		}
	}
}

// Metrics reports the state for the batch since the last Commit (or Open):
// call it before Commit, which resets the update and removal counts.
func (s *Store[K, V, KP, VP]) Metrics() Metrics {
	return Metrics{
		NumRowsTotal:    int64(s.Len()),
		NumRowsUpdated:  s.numUpdated,
		NumRowsRemoved:  s.numRemoved,
		MemoryUsedBytes: s.memoryBytes(),
	}
}

func (s *Store[K, V, KP, VP]) memoryBytes() int64 {
	var n int64
	if s.direct != nil {
		n = s.direct.memory() + s.strs.memory()
	} else {
		n = s.encoded.memory()
	}
	n += int64(len(s.chunks)) * int64(unsafe.Sizeof([chunkSize]V{}))
	n += int64(cap(s.live)+cap(s.dirty))*8 + int64(cap(s.free))*4 + int64(cap(s.chunks))*8
	n += int64(cap(s.removed))
	n += s.keyHeap
	if s.sizeValues {
		size := int(unsafe.Sizeof(*new(V)))
		for w, bits := range s.live {
			for b := 0; bits != 0; b, bits = b+1, bits>>1 {
				if bits&1 != 0 {
					i := int32(w*64 + b)
					if extra := any(VP(s.at(i))).(sizer).SizeBytes() - size; extra > 0 {
						n += int64(extra)
					}
				}
			}
		}
	}
	return n
}

// Commit writes the changes since the last Commit (or Open) as version
// newVersion, which must be Version()+1: newVersion.delta always, and
// newVersion.snapshot (every key) when newVersion is a multiple of the
// snapshot interval. The store then holds newVersion, and goes on from it
// for the next batch. The engine commits state version N+1 before writing
// commits/N.
//
// Files are written to a temporary name and renamed into place, replacing a
// file of the same name: one left by an attempt of the same batch that
// crashed before commits/N, holding the same state. If Commit fails the
// store still holds the changes: retry, or Reload to drop them.
func (s *Store[K, V, KP, VP]) Commit(ctx context.Context, newVersion int64) error {
	if s.err != nil {
		return fmt.Errorf("state: commit version %d: %w", newVersion, s.err)
	}
	if newVersion != s.version+1 {
		return fmt.Errorf("state: commit version %d: the store holds version %d, so the next version is %d",
			newVersion, s.version, s.version+1)
	}
	// Delta: the removals, then the updated keys' values. Applied in this
	// order, a key deleted and created again in the batch ends up present.
	s.w.begin(s.w.b, kindDelta, newVersion, s.cfg.fingerprint)
	for r := s.removed; len(r) > 0; {
		l, n := binary.Uvarint(r)
		s.w.removeRaw(r[n : n+int(l)])
		r = r[n+int(l):]
	}
	s.appendPuts(true)
	if err := s.write(ctx, kindDelta, newVersion); err != nil {
		return err
	}
	if newVersion%s.cfg.snapshotInterval == 0 {
		s.w.begin(s.w.b, kindSnapshot, newVersion, s.cfg.fingerprint)
		s.appendPuts(false)
		if err := s.write(ctx, kindSnapshot, newVersion); err != nil {
			return err
		}
	} else if s.stale[newVersion] {
		// A snapshot from an abandoned attempt at this version would
		// shadow the delta just written.
		name := fileName(kindSnapshot, newVersion)
		if err := s.st.Delete(ctx, name); err != nil {
			return fmt.Errorf("state: delete stale %s: %w", s.st.URL(name), err)
		}
	}
	delete(s.stale, newVersion)
	if s.err != nil {
		return fmt.Errorf("state: commit version %d: %w", newVersion, s.err)
	}
	clear(s.dirty)
	s.removed = s.removed[:0]
	if cap(s.removed) > 1<<20 {
		s.removed = nil
	}
	if cap(s.w.b) > 4<<20 {
		s.w.b = nil // do not keep a large snapshot's buffer between batches
	}
	s.numUpdated, s.numRemoved = 0, 0
	s.version = newVersion
	return nil
}

// appendPuts appends a put record for every key, or only the dirty ones.
func (s *Store[K, V, KP, VP]) appendPuts(onlyDirty bool) {
	put := func(key []byte, i int32) {
		b := append(s.w.b, opPut)
		b = binary.AppendUvarint(b, uint64(len(key)))
		b = append(b, key...)
		b, at := reserveLen(b)
		b = VP(s.at(i)).AppendBinary(b)
		s.w.b = fixLen(b, at)
		s.w.count++
	}
	for w := range s.live {
		bits := s.live[w]
		if onlyDirty {
			bits &= s.dirty[w]
		}
		for bits != 0 {
			b := bits & -bits
			bits &^= b
			i := int32(w*64 + bitIndex(b))
			if s.direct != nil {
				s.kbuf = KP(s.direct.key(i)).AppendBinary(s.kbuf[:0])
				put(s.kbuf, i)
			} else {
				enc := *s.encoded.key(i)
				put(unsafe.Slice(unsafe.StringData(enc), len(enc)), i)
			}
		}
	}
}

// write finishes the file being built and stores it.
func (s *Store[K, V, KP, VP]) write(ctx context.Context, kind byte, v int64) error {
	data := s.w.finish()
	name := fileName(kind, v)
	if err := s.st.Put(ctx, name, data); err != nil {
		return fmt.Errorf("state: write %s of version %d: %w", kindName(kind), v, err)
	}
	return nil
}

// Reload makes the store hold version as stored, dropping changes not
// committed: after a failed batch, or to re-run a batch from an older
// version. If it fails, the store is unchanged.
func (s *Store[K, V, KP, VP]) Reload(ctx context.Context, version int64) error {
	ns := &Store[K, V, KP, VP]{st: s.st, cfg: s.cfg}
	if err := ns.load(ctx, version); err != nil {
		return err
	}
	*s = *ns
	return nil
}

// listing is what a state directory holds.
type listing struct {
	deltas, snapshots map[int64]bool
}

func list(ctx context.Context, st storage.Storage) (listing, error) {
	infos, err := st.ListFrom(ctx, "", "")
	if err != nil {
		return listing{}, fmt.Errorf("state: list %s: %w", st.URL(""), err)
	}
	l := listing{deltas: map[int64]bool{}, snapshots: map[int64]bool{}}
	for _, fi := range infos {
		kind, v, ok := parseFileName(fi.Name)
		switch {
		case !ok:
		case kind == kindDelta:
			l.deltas[v] = true
		default:
			l.snapshots[v] = true
		}
	}
	return l, nil
}

// base returns the newest snapshot version at or before v, or 0.
func (l listing) base(v int64) int64 {
	var b int64
	for sv := range l.snapshots {
		if sv <= v && sv > b {
			b = sv
		}
	}
	return b
}

// load replaces the in-memory state with version.
func (s *Store[K, V, KP, VP]) load(ctx context.Context, version int64) error {
	if version < 0 {
		return fmt.Errorf("state: load version %d: negative version", version)
	}
	s.reset()
	s.version = version
	s.stale = nil
	l, err := list(ctx, s.st)
	if err != nil {
		return err
	}
	for sv := range l.snapshots {
		if sv > version {
			if s.stale == nil {
				s.stale = map[int64]bool{}
			}
			s.stale[sv] = true
		}
	}
	base := l.base(version)
	for u := base + 1; u <= version; u++ {
		if !l.deltas[u] {
			return &MissingFileError{Version: version, Path: s.st.URL(fileName(kindDelta, u))}
		}
	}
	if base > 0 {
		if err := s.readFile(ctx, kindSnapshot, base, version); err != nil {
			return err
		}
	}
	for u := base + 1; u <= version; u++ {
		if err := s.readFile(ctx, kindDelta, u, version); err != nil {
			return err
		}
	}
	s.numUpdated, s.numRemoved = 0, 0
	s.removed = s.removed[:0]
	return nil
}

// readFile applies one state file to the in-memory state.
func (s *Store[K, V, KP, VP]) readFile(ctx context.Context, kind byte, v, loading int64) error {
	name := fileName(kind, v)
	path := s.st.URL(name)
	data, err := s.st.Read(ctx, name)
	if err != nil {
		if storage.IsNotExist(err) {
			return &MissingFileError{Version: loading, Path: path}
		}
		return fmt.Errorf("state: read %s: %w", path, err)
	}
	return s.applyFile(path, kind, v, data)
}

// applyFile applies the content of a state file, the one of the given kind
// and version at path.
func (s *Store[K, V, KP, VP]) applyFile(path string, kind byte, v int64, data []byte) error {
	h, recs, err := parseFile(data)
	if err != nil {
		return &CorruptError{Path: path, Reason: err.Error()}
	}
	if h.kind != kind {
		return &CorruptError{Path: path, Reason: fmt.Sprintf("the header says it is a %s file", kindName(h.kind))}
	}
	if h.version != v {
		return &CorruptError{Path: path, Reason: fmt.Sprintf("the header says it is version %d", h.version)}
	}
	if h.fingerprint != s.cfg.fingerprint {
		return &LayoutMismatchError{Path: path, Stored: h.fingerprint, Current: s.cfg.fingerprint}
	}
	// A snapshot is loaded into an empty store and holds each key once:
	// size the index for it and skip the lookups.
	fresh := kind == kindSnapshot && s.Len() == 0
	if fresh && h.count <= uint64(len(recs)) {
		if s.direct != nil {
			s.direct.reserve(int(h.count))
		} else {
			s.encoded.reserve(int(h.count))
		}
	}
	r := recordReader{b: recs, kind: kind}
	for {
		n := r.n
		op, key, val, ok, err := r.next()
		if err != nil {
			return &CorruptError{Path: path, Reason: err.Error()}
		}
		if !ok {
			break
		}
		if err := s.apply(op, key, val, fresh); err != nil {
			return &CorruptError{Path: path, Reason: fmt.Sprintf("record %d: %v", n, err), Err: err}
		}
	}
	if fresh && uint64(s.Len()) != r.n {
		return &CorruptError{Path: path, Reason: fmt.Sprintf("%d records but %d distinct keys: a key is repeated", r.n, s.Len())}
	}
	if r.n != h.count {
		return &CorruptError{Path: path, Reason: fmt.Sprintf("%d records, the trailer says %d", r.n, h.count)}
	}
	return nil
}

// apply applies one record read from a file; fresh says the file is a
// snapshot loaded into an empty store, where a key appears once.
func (s *Store[K, V, KP, VP]) apply(op byte, key, val []byte, fresh bool) error {
	var zero K
	s.k = zero
	if err := KP(&s.k).UnmarshalBinary(key); err != nil {
		return fmt.Errorf("key does not decode: %w", err)
	}
	var i int32
	var h uint32
	var ok bool
	enc := unsafe.String(unsafe.SliceData(key), len(key))
	if s.direct != nil {
		h = s.direct.hash(&s.k)
		i, ok = s.direct.find(&s.k, h)
	} else {
		h = s.encoded.hash(&enc)
		i, ok = s.encoded.find(&enc, h)
	}
	if ok && fresh {
		return errors.New("the key is repeated")
	}
	if op == opRemove {
		if ok {
			if s.direct != nil {
				s.keyHeap -= s.layout.release(unsafe.Pointer(s.direct.key(i)), &s.strs)
				s.direct.remove(h, i)
			} else {
				s.keyHeap -= allocBytes(len(key))
				s.encoded.remove(h, i)
			}
			s.release(i)
		}
		return nil
	}
	if ok {
		if err := VP(s.at(i)).UnmarshalBinary(val); err != nil {
			return fmt.Errorf("value does not decode: %w", err)
		}
		return nil
	}
	i = s.alloc()
	if err := VP(s.at(i)).UnmarshalBinary(val); err != nil {
		s.release(i)
		return fmt.Errorf("value does not decode: %w", err)
	}
	if s.direct != nil {
		// The decoded key's strings are its own already: intern them.
		s.keyHeap += s.layout.own(unsafe.Pointer(&s.k), &s.strs)
		s.direct.insert(&s.k, h, i)
	} else {
		s.keyHeap += allocBytes(len(key))
		enc = string(key)
		s.encoded.insert(&enc, h, i)
	}
	return nil
}

// Purge deletes the files not needed to load any version at or after
// minVersion (and never those the store's own version needs): snapshots
// older than the newest snapshot at or before minVersion, and deltas up to
// that snapshot. The engine purges state with the checkpoint: batch N reads
// version N, so keeping batches from keepFrom on means Purge(ctx, keepFrom).
func (s *Store[K, V, KP, VP]) Purge(ctx context.Context, minVersion int64) error {
	return Purge(ctx, s.st, min(minVersion, s.version))
}

// Purge deletes the state files in st not needed to load any version at or
// after minVersion, oldest first, so that an interrupted purge leaves every
// such version loadable. See Store.Purge.
func Purge(ctx context.Context, st storage.Storage, minVersion int64) error {
	l, err := list(ctx, st)
	if err != nil {
		return err
	}
	base := l.base(minVersion)
	var doomed []string
	for v := range l.snapshots {
		if v < base {
			doomed = append(doomed, fileName(kindSnapshot, v))
		}
	}
	for v := range l.deltas {
		if v <= base {
			doomed = append(doomed, fileName(kindDelta, v))
		}
	}
	slices.SortFunc(doomed, func(a, b string) int {
		_, va, _ := parseFileName(a)
		_, vb, _ := parseFileName(b)
		return cmp.Compare(va, vb)
	})
	for _, name := range doomed {
		if err := st.Delete(ctx, name); err != nil {
			return fmt.Errorf("state: purge %s: %w", st.URL(name), err)
		}
	}
	return nil
}
