package delta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

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

// A transaction's Begin builds on the Table's last snapshot: after every
// step of a random history (appends, removes, txns, metadata and protocol
// changes, checkpoints, commits by another writer, several commits
// between two Begins) the snapshot it read equals, field for field and
// with the same log segment, what a fresh reader gets from storage.
func TestBeginSnapshotIsIncremental(t *testing.T) {
	seed := concSeed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	mine := Open(st).WithCommitOptions(CommitOptions{CheckpointInterval: 7})
	other := Open(st).WithCommitOptions(CommitOptions{CheckpointInterval: 7})
	tx, err := mine.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: mtSchema.SchemaString(), PartitionColumns: []string{"part"}})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var live []string
	next := 0
	commit := func(tbl *Table) {
		t.Helper()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch k := rng.IntN(10); {
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
			tx.Remove(&Remove{Path: live[i], DeletionTimestamp: new(int64(next)), DataChange: true})
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
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for step := range 60 {
		// Between two of mine, 0–3 commits by the other writer.
		for range rng.IntN(4) {
			commit(other)
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
		tx, err := mine.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := Open(st).Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(viewOf(fresh), viewOf(tx.Snapshot()), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("seed %d step %d: Begin's snapshot differs from a fresh read (-fresh +begin):\n%s", seed, step, diff)
		}
		commit(mine)
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
		st.reset()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lists, reads := st.lists.Load(), st.reads.Load()
		// The first Begin reads the table (no snapshot yet), and so does
		// the first after each checkpoint (commits 10 and 20); every other
		// one reads only the commit made since (ours).
		if i > 0 && i%10 != 0 && (lists != 1 || reads != 1) {
			t.Errorf("Begin %d: %d lists, %d reads; want 1 and 1", i, lists, reads)
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
