package delta

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/runtime/storage"
)

// snapshotView is what a snapshot says about the table, for comparison.
type snapshotView struct {
	Version    int64
	Timestamp  int64
	Protocol   Protocol
	Metadata   Metadata
	Files      []*Add
	Tombstones []*Remove
	Txns       map[string]Txn
	Domains    map[string]DomainMetadata
	Checkpoint int64 // -1 without one
	Commits    []string
}

func viewOf(s *Snapshot) snapshotView {
	v := snapshotView{Version: s.Version, Timestamp: s.Timestamp.UnixMilli(), Protocol: s.Protocol, Metadata: s.Metadata,
		Files: s.Files, Tombstones: s.Tombstones, Txns: s.Txns, Domains: s.Domains, Checkpoint: -1}
	if s.Segment.Checkpoint != nil {
		v.Checkpoint = s.Segment.Checkpoint.Version
	}
	for _, c := range s.Segment.Commits {
		v.Commits = append(v.Commits, c.Name)
	}
	return v
}

// cpGate is a store that can hold this process's puts of checkpoint
// files, to run Begin while a background checkpoint is being written:
// before the file is put (nothing is visible yet) or after it is put and
// before the put returns (the file is listed, but its writer does not
// know yet that it is its own).
type cpGate struct {
	storage.Storage
	mu       sync.Mutex
	gate     chan struct{} // nil: puts go through
	after    bool
	held     chan string   // receives the name of each put that waits
	inflight map[int64]int // versions of the checkpoint puts in progress
}

func newCPGate(st storage.Storage) *cpGate {
	return &cpGate{Storage: st, held: make(chan string, 16), inflight: map[int64]int{}}
}

// hold makes the next puts of checkpoint files wait until release.
func (g *cpGate) hold(after bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate, g.after = make(chan struct{}), after
}

func (g *cpGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

func (g *cpGate) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	lp := ParseLogPath(storage.FileInfo{Name: name})
	if !lp.IsCheckpoint() {
		return g.Storage.PutIfAbsent(ctx, name, data)
	}
	g.mu.Lock()
	gate, after := g.gate, g.after
	if gate != nil {
		g.inflight[lp.Version]++
	}
	g.mu.Unlock()
	if gate == nil {
		return g.Storage.PutIfAbsent(ctx, name, data)
	}
	defer func() {
		g.mu.Lock()
		if g.inflight[lp.Version]--; g.inflight[lp.Version] == 0 {
			delete(g.inflight, lp.Version)
		}
		g.mu.Unlock()
	}()
	if !after {
		g.held <- name
		<-gate
		return g.Storage.PutIfAbsent(ctx, name, data)
	}
	err := g.Storage.PutIfAbsent(ctx, name, data)
	g.held <- name
	<-gate
	return err
}

// without returns a store listing the table as a reader did before the
// checkpoint puts in progress began: without any checkpoint of their
// versions. (The Table cannot tell its own file from another writer's of
// the same version before its put returns, so it uses neither.)
func (g *cpGate) without() storage.Storage { return &hideStore{Storage: g.Storage, g: g} }

type hideStore struct {
	storage.Storage
	g *cpGate
}

func (h *hideStore) filter(infos []storage.FileInfo, err error) ([]storage.FileInfo, error) {
	h.g.mu.Lock()
	defer h.g.mu.Unlock()
	return slices.DeleteFunc(infos, func(fi storage.FileInfo) bool {
		lp := ParseLogPath(fi)
		return lp.IsCheckpoint() && h.g.inflight[lp.Version] > 0
	}), err
}

func (h *hideStore) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	return h.filter(h.Storage.List(ctx, prefix))
}

func (h *hideStore) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	return h.filter(h.Storage.ListFrom(ctx, dir, start))
}

// A transaction's Begin builds on the Table's last snapshot: after every
// step of a random history (appends, removes, txns, metadata and protocol
// changes, checkpoints, commits by another writer, several commits
// between two Begins) the snapshot it read equals, field for field and
// with the same log segment, what a fresh reader gets from storage. The
// Table's own checkpoints are written in the background; some are held
// for a few commits, before or after the file becomes visible: Begin
// then builds on what the checkpoint holds once it is written (without
// reading it back), and goes on without it while it is being put (equal
// to a fresh read that does not list it yet).
func TestBeginSnapshotIsIncremental(t *testing.T) {
	seed := concSeed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	gate := newCPGate(st)
	mine := Open(gate).WithCommitOptions(CommitOptions{CheckpointInterval: 7, BackgroundCheckpoints: true})
	other := Open(st).WithCommitOptions(CommitOptions{CheckpointInterval: 7})
	t.Cleanup(func() {
		gate.release()
		mine.WaitCheckpoints(ctx)
		other.WaitCheckpoints(ctx)
	})
	tx, err := mine.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: mtSchema.SchemaString(), PartitionColumns: []string{"part"}})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var live, removed []string
	next := 0
	commit := func(tbl *Table) int64 {
		t.Helper()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch k := rng.IntN(12); {
		case k == 10 && len(removed) > 0: // a removed file comes back, with another
			i := rng.IntN(len(removed))
			p := removed[i]
			removed = slices.Delete(removed, i, i+1)
			part := p[5:6]
			tx.Add(&Add{Path: p, PartitionValues: map[string]*string{"part": &part}, Size: 9, DataChange: true})
			live = append(live, p)
			p = fmt.Sprintf("part=2/f-%05d.parquet", next)
			next++
			part = "2"
			tx.Add(&Add{Path: p, PartitionValues: map[string]*string{"part": &part}, Size: 9, DataChange: true})
			live = append(live, p)
		case k == 11 && len(live) > 0: // a live file is added again (new stats)
			p := live[rng.IntN(len(live))]
			part := p[5:6]
			tx.Add(&Add{Path: p, PartitionValues: map[string]*string{"part": &part}, Size: 11, Stats: `{"numRecords":1}`, DataChange: false})
		case k < 5 || len(live) == 0: // append
			for range 1 + rng.IntN(3) {
				p := fmt.Sprintf("part=%d/f-%05d.parquet", rng.IntN(3), next)
				next++
				part := p[5:6]
				tx.Add(&Add{Path: p, PartitionValues: map[string]*string{"part": &part}, Size: int64(100 + next), ModificationTime: int64(next), DataChange: true})
				live = append(live, p)
			}
		case k < 7: // remove one, add its rewrite
			i := rng.IntN(len(live))
			// Half the tombstones expired already (checkpoints drop them).
			deleted := int64(next)
			if rng.IntN(2) == 0 {
				deleted = time.Now().UnixMilli()
			}
			tx.Remove(&Remove{Path: live[i], DeletionTimestamp: &deleted, DataChange: true})
			removed = append(removed, live[i])
			p := fmt.Sprintf("part=0/r-%05d.parquet", next)
			next++
			part := "0"
			tx.Add(&Add{Path: p, PartitionValues: map[string]*string{"part": &part}, Size: 7, DataChange: true})
			live[i] = p
		case k < 9: // a streaming writer's txn
			tx.SetTxn(fmt.Sprintf("q%d", rng.IntN(3)), int64(next))
			next++
		default: // metadata change
			m := tx.Snapshot().Metadata
			m.Configuration = map[string]string{"delta.appendOnly": "false", "n": fmt.Sprint(next)}
			next++
			tx.SetMetadata(m)
		}
		v, err := tx.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	holding := 0 // further commits of mine before a held checkpoint is released
	var held []string
	for step := range 80 {
		// Between two of mine, 0–3 commits by the other writer.
		for range rng.IntN(4) {
			commit(other)
		}
		if err := other.WaitCheckpoints(ctx); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(9) == 0 { // an explicit checkpoint of the latest version
			s, err := Open(st).Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := other.WriteCheckpoint(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if holding == 0 && len(held) > 0 {
			gate.release()
			held = nil
		}
		if len(held) == 0 {
			if err := mine.WaitCheckpoints(ctx); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := mine.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// While a checkpoint of mine is being put, Begin goes on without
		// it: as a reader that does not list it yet.
		fresh, err := Open(gate.without()).Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(viewOf(fresh), viewOf(tx.Snapshot()), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("seed %d step %d (held checkpoints %v): Begin's snapshot differs from a fresh read (-fresh +begin):\n%s",
				seed, step, held, diff)
		}
		if len(held) == 0 && rng.IntN(3) == 0 {
			gate.hold(rng.IntN(2) == 0)
			holding = 1 + rng.IntN(3)
		}
		v := commit(mine)
		if holding > 0 {
			if v%7 == 0 && len(held) == 0 {
				select {
				case name := <-gate.held:
					held = append(held, name)
				case <-time.After(10 * time.Second):
					t.Fatalf("seed %d step %d: the checkpoint of version %d was not put", seed, step, v)
				}
			}
			if len(held) > 0 {
				holding--
			} else if holding--; holding == 0 {
				gate.release() // nothing came due
			}
		}
	}
}

// checkpointedSnapshot predicts exactly what a reader of the checkpoint
// gets, whatever is nil, empty or missing in the snapshot (compared
// without equating nil and empty), once replayed as Begin replays it.
func TestCheckpointedSnapshotIsWhatReadersGet(t *testing.T) {
	rng := rand.New(rand.NewPCG(concSeed(t), 5))
	str := func(s string) *string { return &s }
	pick := func(opts ...func()) { opts[rng.IntN(len(opts))]() }
	for i := range 200 {
		local, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		tbl := Open(local)
		now := time.UnixMilli(1_700_000_000_000)
		snap := &Snapshot{Version: int64(3 + rng.IntN(5)), Timestamp: now, Metadata: Metadata{ID: "id", SchemaString: mtSchema.SchemaString()},
			Txns: map[string]Txn{}, Domains: map[string]DomainMetadata{}, table: tbl}
		snap.Schema, _ = snap.Metadata.Schema()
		pick(func() { snap.Protocol = Protocol{MinReaderVersion: 1, MinWriterVersion: 2} },
			func() { snap.Protocol = Protocol{MinReaderVersion: 1, MinWriterVersion: 2, WriterFeatures: []string{}} },
			func() { snap.Protocol = Protocol{MinReaderVersion: 3, MinWriterVersion: 7} },
			func() {
				snap.Protocol = Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{}, WriterFeatures: []string{"appendOnly"}}
			})
		md := &snap.Metadata
		pick(func() {}, func() { md.Name, md.Description = str("n"), str("") })
		pick(func() {}, func() { md.PartitionColumns = []string{} }, func() { md.PartitionColumns = []string{"part"} })
		pick(func() {}, func() { md.Configuration = map[string]string{} }, func() {
			md.Configuration = map[string]string{DeletedFileRetentionKey: "interval 1 hour", SetTransactionRetentionKey: "interval 2 days"}
		})
		pick(func() {}, func() { md.Format = Format{Provider: "parquet", Options: map[string]string{}} })
		pick(func() {}, func() { md.CreatedTime = new(int64(5)) })
		for j := range rng.IntN(4) {
			tx := Txn{AppID: fmt.Sprintf("q%d", j), Version: int64(j)}
			pick(func() {}, func() { tx.LastUpdated = new(now.Add(-time.Duration(rng.IntN(72)) * time.Hour).UnixMilli()) })
			snap.Txns[tx.AppID] = tx
		}
		if rng.IntN(2) == 0 {
			snap.Domains["d"] = DomainMetadata{Domain: "d", Configuration: `{"x":1}`}
		}
		for j := range rng.IntN(6) {
			a := &Add{Path: fmt.Sprintf("part=%d/f%%20%d.parquet", j%2, j), Size: int64(j), ModificationTime: int64(j * 7), DataChange: rng.IntN(2) == 0}
			pick(func() {}, func() { a.PartitionValues = map[string]*string{} }, func() { a.PartitionValues = map[string]*string{"part": str("1"), "x": nil} })
			pick(func() {}, func() { a.Tags = map[string]string{} }, func() { a.Tags = map[string]string{"k": ""} })
			pick(func() {}, func() { a.Stats = `{"numRecords":3}` })
			pick(func() {}, func() { a.BaseRowID = new(int64(9)) }, func() { a.ClusteringProv = str("liquid") })
			snap.Files = append(snap.Files, a)
		}
		for j := range rng.IntN(6) {
			r := &Remove{Path: fmt.Sprintf("part=%d/g%d.parquet", j%2, j), DataChange: rng.IntN(2) == 0}
			pick(func() {}, func() { r.DeletionTimestamp = new(now.Add(-time.Duration(rng.IntN(240)) * time.Hour).UnixMilli()) })
			pick(func() {}, func() { r.ExtendedFileMetadata = new(true) }, func() { r.Size = new(int64(0)) })
			pick(func() {}, func() { r.PartitionValues = map[string]*string{} }, func() { r.PartitionValues = map[string]*string{"part": nil} })
			pick(func() {}, func() { r.Tags = map[string]string{} }, func() { r.Tags = map[string]string{"a": "b"} }, func() { r.Stats = "{}" })
			snap.Tombstones = append(snap.Tombstones, r)
		}
		want, ok := checkpointedSnapshot(snap)
		if !ok {
			t.Fatal("checkpointedSnapshot refused a snapshot without deletion vectors")
		}
		rows, _ := checkpointRows(snap)
		data, err := encodeCheckpoint(rows)
		if err != nil {
			t.Fatal(err)
		}
		actions, err := parseCheckpoint(data)
		if err != nil {
			t.Fatal(err)
		}
		r := newReplay()
		for _, a := range actions {
			if err := r.apply(a); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.finish(tbl, want.Segment)
		if err != nil {
			t.Fatal(err)
		}
		got.Timestamp = want.Timestamp
		// What Begin does with it: replay it (and the commits after it).
		built, err := replayFrom(want).finish(tbl, want.Segment)
		if err != nil {
			t.Fatal(err)
		}
		built.Timestamp = want.Timestamp
		if diff := cmp.Diff(viewOf(got), viewOf(built)); diff != "" {
			t.Fatalf("case %d: snapshot from the checkpoint (-read +predicted):\n%s", i, diff)
		}
	}
	// A deletion vector is not in the checkpoint: no prediction.
	snap := &Snapshot{Files: []*Add{{Path: "a", DeletionVector: &DeletionVector{StorageType: "u"}}}}
	if _, ok := checkpointedSnapshot(snap); ok {
		t.Error("checkpointedSnapshot predicted a file with a deletion vector")
	}
	snap = &Snapshot{Tombstones: []*Remove{{Path: "a", DeletionVector: &DeletionVector{StorageType: "u"}}}}
	if _, ok := checkpointedSnapshot(snap); ok {
		t.Error("checkpointedSnapshot predicted a tombstone with a deletion vector")
	}
}

// Begin on a table nobody else wrote to costs one listing and no reads
// once the Table has read a snapshot; a commit by another writer costs
// one read more.
func TestBeginRequests(t *testing.T) {
	ctx := context.Background()
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &bosCounter{Storage: local}
	tbl := Open(st)
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: bosSchema})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if err := tbl.WaitCheckpoints(ctx); err != nil {
			t.Fatal(err)
		}
		st.reset()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lists, reads := st.lists.Load(), st.reads.Load()
		// The first Begin reads the table (no snapshot yet); every other
		// one reads only the commit made since (ours), except the first
		// after each checkpoint (commits 10 and 20): Commit read its own
		// commit to write the checkpoint, and the checkpoint is not read
		// back.
		want := int64(1)
		if i%10 == 0 {
			want = 0
		}
		if i > 0 && (lists != 1 || reads != want) {
			t.Errorf("Begin %d: %d lists, %d reads; want 1 and %d", i, lists, reads, want)
		}
		tx.Add(bosAdd(i))
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st.reset()
	if _, err := tbl.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	// The first reads commit 25, the second finds nothing new.
	if l, r := st.lists.Load(), st.reads.Load(); l != 2 || r != 1 {
		t.Errorf("two Begins: %d lists, %d reads; want 2 and 1", l, r)
	}
}

// A background checkpoint that is written after later commits: the next
// Begin builds on what it holds and reads the commits after it again,
// not the checkpoint; a checkpoint another writer puts is read.
func TestBeginAfterLateCheckpoint(t *testing.T) {
	ctx := context.Background()
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &bosCounter{Storage: local}
	gate := newCPGate(st)
	tbl := Open(gate).WithCommitOptions(CommitOptions{BackgroundCheckpoints: true})
	t.Cleanup(func() { gate.release(); tbl.WaitCheckpoints(ctx) })
	commit := func(i int) {
		t.Helper()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			tx.SetMetadata(Metadata{SchemaString: bosSchema})
		}
		tx.Add(bosAdd(i))
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		commit(i)
	}
	gate.hold(false)
	commit(10) // version 10: its checkpoint waits
	<-gate.held
	commit(11)
	commit(12)
	gate.release()
	if err := tbl.WaitCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	st.reset()
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l, r := st.lists.Load(), st.reads.Load(); l != 1 || r != 2 {
		t.Errorf("Begin after a late checkpoint: %d lists, %d reads; want 1 and 2 (commits 11 and 12)", l, r)
	}
	fresh, err := Open(local).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(viewOf(fresh), viewOf(tx.Snapshot())); diff != "" {
		t.Fatalf("Begin's snapshot differs from a fresh read (-fresh +begin):\n%s", diff)
	}
	// Another writer's checkpoint is read: the Table cannot know its
	// content.
	if err := Open(local).WriteCheckpoint(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	st.reset()
	if tx, err = tbl.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if r := st.reads.Load(); r < 2 {
		t.Errorf("Begin after another writer's checkpoint: %d reads, want the checkpoint and the commit", r)
	}
	if got := tx.Snapshot().Segment.Checkpoint; got == nil || got.Version != 12 {
		t.Errorf("Begin after another writer's checkpoint: segment %+v, want checkpoint 12", tx.Snapshot().Segment)
	}
}

// When the log no longer continues the cached snapshot (the table was
// deleted and created again, shorter), Begin reads the table afresh.
func TestBeginAfterTableRecreated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl := Open(st)
	for i := range 3 {
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			tx.SetMetadata(Metadata{SchemaString: bosSchema})
		}
		tx.Add(bosAdd(i))
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tbl.Begin(ctx); err != nil { // caches version 2
		t.Fatal(err)
	}
	for v := range 3 {
		if err := st.Delete(ctx, CommitFileName(int64(v))); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := Open(st).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: bosSchema})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err = tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tx.ReadVersion() != 0 || len(tx.Snapshot().Files) != 0 {
		t.Errorf("after the table was recreated: read version %d with %d files, want 0 and 0", tx.ReadVersion(), len(tx.Snapshot().Files))
	}
}

// A checkpoint written in the background never holds up commits: while
// one is stuck, later commits go on, and of the checkpoints that come due
// meanwhile the newest is written after it. Table.WaitCheckpoints waits
// for both, then _last_checkpoint names the
// newest.
func TestBackgroundCheckpointDoesNotDelayCommits(t *testing.T) {
	ctx := context.Background()
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gate := newCPGate(local)
	tbl := Open(gate).WithCommitOptions(CommitOptions{CheckpointInterval: 5, BackgroundCheckpoints: true})
	t.Cleanup(func() { gate.release(); tbl.WaitCheckpoints(ctx) })
	commit := func(i int) {
		t.Helper()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			tx.SetMetadata(Metadata{SchemaString: bosSchema})
		}
		tx.Add(bosAdd(i))
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	gate.hold(true) // the checkpoint of version 5 is put, then its put hangs
	for i := range 18 {
		commit(i) // versions 0 to 17: 5, 10 and 15 come due
	}
	select {
	case <-gate.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the checkpoint of version 5 was not put")
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := tbl.WaitCheckpoints(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Table.WaitCheckpoints while a checkpoint hangs = %v, want a deadline error", err)
	}
	gate.release()
	if err := tbl.WaitCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	var got []int64
	infos, err := local.ListFrom(ctx, LogDir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range infos {
		if lp := ParseLogPath(fi); lp.IsCheckpoint() {
			got = append(got, lp.Version)
		}
	}
	if !slices.Equal(got, []int64{5, 15}) {
		t.Errorf("checkpoints %v, want [5 15] (10 came due while 5 was written, then 15)", got)
	}
	if h := Open(local).readLastCheckpoint(ctx); h == nil || h.Version != 15 {
		t.Errorf("_last_checkpoint = %+v, want version 15", h)
	}
	// And the next Begin builds on checkpoint 15 without reading it.
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(local).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(viewOf(fresh), viewOf(tx.Snapshot())); diff != "" {
		t.Fatalf("Begin's snapshot differs from a fresh read (-fresh +begin):\n%s", diff)
	}
}
