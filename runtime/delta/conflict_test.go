package delta

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConflictMatrix runs two transactions begun at the same version: the
// winner commits first, then the loser must either commit at the next
// version (the two commute) or fail with a *ConflictError naming the rule.
func TestConflictMatrix(t *testing.T) {
	ctx := context.Background()
	// The base table: version 0 creates it (partitioned by part),
	// version 1 adds a (part=x), b (part=y) and c (part=x).
	base := func(t *testing.T) *Table {
		tbl, _ := txNewTable(t, CommitOptions{})
		txCreate(t, tbl, []string{"part"}, nil)
		txCommit(t, tbl, func(tx *Transaction) {
			tx.SetTxn("app-1", 1)
			tx.Add(txAdd("part=x/a.parquet", 100, "part", "x"), txAdd("part=y/b.parquet", 100, "part", "y"),
				txAdd("part=x/c.parquet", 100, "part", "x"))
		})
		return tbl
	}
	file := func(tx *Transaction, path string) *Add {
		for _, f := range tx.Snapshot().Files {
			if f.Path == path {
				return f
			}
		}
		panic("no file " + path)
	}
	remove := func(path string, dataChange bool) func(tx *Transaction) {
		return func(tx *Transaction) { tx.Remove(RemoveFor(file(tx, path), txFixedTime, dataChange)) }
	}
	appendFile := func(path string) func(tx *Transaction) {
		return func(tx *Transaction) { tx.Add(txAdd(path, 10, "part", "x")) }
	}
	compact := func(paths ...string) func(tx *Transaction) {
		return func(tx *Transaction) {
			for _, p := range paths {
				f := file(tx, p)
				tx.ReadFiles(f)
				tx.Remove(RemoveFor(f, txFixedTime, false))
			}
			a := txAdd("part=x/compacted.parquet", 200, "part", "x")
			a.DataChange = false
			tx.Add(a)
		}
	}
	all := func(fs ...func(tx *Transaction)) func(tx *Transaction) {
		return func(tx *Transaction) {
			for _, f := range fs {
				f(tx)
			}
		}
	}
	txn := func(app string, v int64) func(tx *Transaction) {
		return func(tx *Transaction) { tx.SetTxn(app, v) }
	}
	tests := []struct {
		name          string
		winner, loser func(tx *Transaction)
		want          string // conflict reason; "" = commutes
	}{
		{"blind appends commute", appendFile("w.parquet"), appendFile("l.parquet"), ""},
		{"streaming appends of different apps commute",
			all(txn("app-2", 1), appendFile("w.parquet")), all(txn("app-3", 1), appendFile("l.parquet")), ""},
		{"same app and version: already committed",
			all(txn("app-2", 5), appendFile("w.parquet")), all(txn("app-2", 5), appendFile("l.parquet")), ConflictTxnAlreadyCommitted},
		{"same app, winner newer: already committed",
			all(txn("app-2", 6), appendFile("w.parquet")), all(txn("app-2", 5), appendFile("l.parquet")), ConflictTxnAlreadyCommitted},
		{"same app, loser newer: concurrent transaction",
			all(txn("app-2", 5), appendFile("w.parquet")), all(txn("app-2", 6), appendFile("l.parquet")), ConflictConcurrentTransaction},
		{"metadata change vs append",
			func(tx *Transaction) {
				m := tx.Snapshot().Metadata
				m.Configuration = map[string]string{"delta.appendOnly": "false"}
				tx.SetMetadata(m)
			}, appendFile("l.parquet"), ConflictMetadataChanged},
		{"protocol change vs append",
			func(tx *Transaction) { tx.SetProtocol(Protocol{MinReaderVersion: 1, MinWriterVersion: 2}) },
			appendFile("l.parquet"), ConflictProtocolChanged},
		{"append vs metadata change",
			appendFile("w.parquet"), func(tx *Transaction) {
				m := tx.Snapshot().Metadata
				m.Configuration = map[string]string{"k": "v"}
				tx.SetMetadata(m)
			}, ConflictAppend},
		{"delete vs delete of the same file", remove("part=x/a.parquet", true), remove("part=x/a.parquet", true), ConflictDeleteDelete},
		{"deletes of different files commute", remove("part=x/a.parquet", true), remove("part=y/b.parquet", true), ""},
		{"delete vs compaction that read it", remove("part=x/a.parquet", true), compact("part=x/a.parquet", "part=x/c.parquet"), ConflictDeleteDelete},
		{"delete vs read of the file",
			remove("part=x/a.parquet", true), func(tx *Transaction) {
				tx.ReadFiles(file(tx, "part=x/a.parquet"))
				tx.Add(txAdd("part=x/derived.parquet", 10, "part", "x"))
			}, ConflictDeleteRead},
		{"compaction vs delete of a file it compacted", compact("part=x/a.parquet", "part=x/c.parquet"), remove("part=x/c.parquet", true), ConflictDeleteDelete},
		{"delete vs blind append", remove("part=x/a.parquet", true), appendFile("l.parquet"), ""},
		{"append vs compaction", appendFile("part=x/w.parquet"), compact("part=x/a.parquet", "part=x/c.parquet"), ""},
		{"compaction vs append", compact("part=x/a.parquet", "part=x/c.parquet"), appendFile("part=x/l.parquet"), ""},
		{"append vs overwrite that read the table",
			appendFile("w.parquet"), all(func(tx *Transaction) { tx.ReadWholeTable() }, remove("part=x/a.parquet", true), appendFile("l.parquet")), ConflictAppend},
		{"delete vs insert that read the table",
			remove("part=y/b.parquet", true), all(func(tx *Transaction) { tx.ReadWholeTable() }, appendFile("l.parquet")), ConflictDeleteRead},
		{"compaction vs insert that read the table",
			compact("part=x/a.parquet", "part=x/c.parquet"), all(func(tx *Transaction) { tx.ReadWholeTable() }, appendFile("l.parquet")), ""},
		{"re-add of a file read",
			func(tx *Transaction) { tx.Add(txAdd("part=x/a.parquet", 100, "part", "x")) },
			func(tx *Transaction) {
				tx.ReadFiles(file(tx, "part=x/a.parquet"))
				tx.Add(txAdd("part=x/n.parquet", 1, "part", "x"))
			},
			ConflictAppend},
		{"same path added twice", appendFile("same.parquet"), appendFile("same.parquet"), ConflictSameFile},
		{"commitInfo-only commits commute", func(tx *Transaction) { tx.SetOperation("VACUUM START", nil) }, appendFile("l.parquet"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := base(t)
			winner, err := tbl.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			loser, err := tbl.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tc.winner(winner)
			tc.loser(loser)
			if v, err := winner.Commit(ctx); err != nil || v != 2 {
				t.Fatalf("winner Commit = %d, %v", v, err)
			}
			v, err := loser.Commit(ctx)
			if tc.want == "" {
				if err != nil || v != 3 {
					t.Fatalf("loser Commit = %d, %v; want version 3", v, err)
				}
				return
			}
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("loser Commit = %d, %v; want a ConflictError %s", v, err, tc.want)
			}
			if ce.Reason != tc.want || ce.Version != 2 || ce.Table != tbl.Location() {
				t.Errorf("conflict = %+v, want reason %s at version 2 of %s", ce, tc.want, tbl.Location())
			}
			if got, want := errors.Is(err, ErrTxnAlreadyCommitted), tc.want == ConflictTxnAlreadyCommitted; got != want {
				t.Errorf("errors.Is(err, ErrTxnAlreadyCommitted) = %v, want %v", got, want)
			}
			if vs := txCommitVersions(t, tbl); len(vs) != 3 {
				t.Errorf("log versions after a conflict = %v, want 0..2", vs)
			}
		})
	}
}

// TestConflictNewTableRace: two writers creating the same table; the
// second learns that the table was created under it.
func TestConflictNewTableRace(t *testing.T) {
	ctx := context.Background()
	tbl, _ := txNewTable(t, CommitOptions{})
	var txs []*Transaction
	for i := 0; i < 2; i++ {
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.SetMetadata(Metadata{SchemaString: txSchema})
		tx.Add(txAdd("f.parquet", 1))
		txs = append(txs, tx)
	}
	if v, err := txs[0].Commit(ctx); err != nil || v != 0 {
		t.Fatalf("first create = %d, %v", v, err)
	}
	_, err := txs[1].Commit(ctx)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Reason != ConflictProtocolChanged || ce.Version != 0 ||
		!strings.Contains(ce.Detail, "created concurrently") {
		t.Fatalf("second create: %v; want a ProtocolChanged conflict at version 0 (created concurrently)", err)
	}
}

// TestConflictAcrossSeveralWinners: the loser is several versions behind
// and must check every winner, not only the first.
func TestConflictAcrossSeveralWinners(t *testing.T) {
	ctx := context.Background()
	tbl, _ := txNewTable(t, CommitOptions{})
	txCreate(t, tbl, nil, nil)
	txCommit(t, tbl, func(tx *Transaction) { tx.Add(txAdd("a", 1), txAdd("b", 1)) })
	loser, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loser.Remove(RemoveFor(loser.Snapshot().Files[1], txFixedTime, true)) // b
	for i := 0; i < 3; i++ {
		txCommit(t, tbl, func(tx *Transaction) { tx.Add(txAdd(string(rune('c'+i)), 1)) })
	}
	txCommit(t, tbl, func(tx *Transaction) { tx.Remove(RemoveFor(tx.Snapshot().Files[1], txFixedTime, true)) }) // b
	_, err = loser.Commit(ctx)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Reason != ConflictDeleteDelete || ce.Version != 5 {
		t.Fatalf("Commit: %v; want ConcurrentDeleteDelete with version 5", err)
	}

	// Without the delete the same lag commutes and lands after all of them.
	loser, _ = tbl.Begin(ctx)
	behind := loser.ReadVersion()
	for i := 0; i < 3; i++ {
		txCommit(t, tbl, func(tx *Transaction) { tx.Add(txAdd(string(rune('x'+i)), 1)) })
	}
	loser.Add(txAdd("late", 1))
	v, err := loser.Commit(ctx)
	if err != nil || v != behind+4 {
		t.Fatalf("lagging blind append = %d, %v; want %d", v, err, behind+4)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range snap.Files {
		paths = append(paths, f.Path)
	}
	sort.Strings(paths)
	if diff := cmp.Diff([]string{"a", "c", "d", "e", "late", "x", "y", "z"}, paths); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
