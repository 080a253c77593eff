package delta

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
)

// unknownStore makes the next commit's PutIfAbsent end with an unknown
// outcome after doing what mode says.
type unknownStore struct {
	storage.Storage
	mode  string // "landed", "lost", "theirs", ""
	other *Table
}

func (s *unknownStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	mode := s.mode
	if mode == "" || ParseLogPath(storage.FileInfo{Name: name}).Type != LogPathCommit {
		return s.Storage.PutIfAbsent(ctx, name, data)
	}
	s.mode = ""
	unknown := &storage.UnknownOutcomeError{Name: name, URL: name, Err: errors.New("test: answer lost")}
	switch mode {
	case "landed": // our write landed, its answer was lost
		if err := s.Storage.PutIfAbsent(ctx, name, data); err != nil {
			return err
		}
	case "theirs": // another writer took the version meanwhile
		tx, err := s.other.Begin(ctx)
		if err != nil {
			return err
		}
		tx.Add(txAdd("theirs.parquet", 5))
		if _, err := tx.Commit(ctx); err != nil {
			return err
		}
	case "lost": // the request never arrived
	}
	return unknown
}

func TestTxnCommitResolvesUnknownOutcome(t *testing.T) {
	ctx := context.Background()
	base, _ := txNewTable(t, CommitOptions{})
	txCreate(t, base, nil, nil)
	us := &unknownStore{Storage: base.Storage(), other: Open(base.Storage())}
	tbl := Open(us).WithCommitOptions(CommitOptions{MaxRetries: 3, Backoff: time.Microsecond})

	for i, tc := range []struct {
		mode        string
		wantVersion int64
	}{
		{"landed", 1}, // ours: success at version 1, not a retry at 2
		{"lost", 2},   // absent: put again at the same version
		{"theirs", 4}, // another writer's version 3: a lost race, retried at 4
	} {
		us.mode = tc.mode
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Add(txAdd(fmt.Sprintf("mine-%d.parquet", i), 7))
		v, err := tx.Commit(ctx)
		if err != nil || v != tc.wantVersion {
			t.Fatalf("%s: Commit = %d, %v; want version %d", tc.mode, v, err, tc.wantVersion)
		}
	}
	snap, err := base.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != 4 || len(snap.Files) != 4 {
		t.Errorf("snapshot: version %d with %d files, want 4 with 4 (each commit once)", snap.Version, len(snap.Files))
	}
}
