package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// batchOffsets and batchCommit are what a test engine logs for batch n.
func batchOffsets(n int64) *OffsetSeq {
	return &OffsetSeq{
		Metadata: OffsetSeqMetadata{BatchWatermarkMs: n * 10, BatchTimestampMs: 1700000000000 + n, Conf: map[string]string{}},
		Offsets:  []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"logOffset":%d}`, n)), nil},
	}
}

func batchCommit(n int64) CommitMetadata { return CommitMetadata{NextBatchWatermarkMs: n*10 + 5} }

// crash says where a test engine stops: after writing offsets/N (before
// the sink and the commit), or after commits/N.
type crash int

const (
	afterOffsets crash = iota
	afterCommit
)

// runUntil plays the write-ahead protocol for batches 0..last and stops
// at the crash point of the last batch.
func runUntil(t *testing.T, c *Checkpoint, last int64, at crash) {
	t.Helper()
	ctx := context.Background()
	for n := int64(0); n <= last; n++ {
		if err := c.WriteOffsets(ctx, n, batchOffsets(n)); err != nil {
			t.Fatal(err)
		}
		if n == last && at == afterOffsets {
			return
		}
		if err := c.WriteCommit(ctx, n, batchCommit(n)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecoveryPlanAtEveryCrashPoint(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, c *Checkpoint)
		want  *Recovery
	}{
		{
			name:  "fresh checkpoint",
			setup: func(t *testing.T, c *Checkpoint) {},
			want:  &Recovery{Action: StartFresh, BatchID: 0, LastCommitted: -1},
		},
		{
			name:  "crash after offsets/0 before commits/0",
			setup: func(t *testing.T, c *Checkpoint) { runUntil(t, c, 0, afterOffsets) },
			want:  &Recovery{Action: RerunBatch, BatchID: 0, Offsets: batchOffsets(0), LastCommitted: -1},
		},
		{
			name:  "crash after commits/0",
			setup: func(t *testing.T, c *Checkpoint) { runUntil(t, c, 0, afterCommit) },
			want: &Recovery{Action: ContinueAfter, BatchID: 1, Start: batchOffsets(0),
				LastCommitted: 0, Commit: batchCommit(0)},
		},
		{
			name:  "crash after offsets/3 before commits/3",
			setup: func(t *testing.T, c *Checkpoint) { runUntil(t, c, 3, afterOffsets) },
			want: &Recovery{Action: RerunBatch, BatchID: 3, Offsets: batchOffsets(3), Start: batchOffsets(2),
				LastCommitted: 2, Commit: batchCommit(2)},
		},
		{
			name:  "crash after commits/3",
			setup: func(t *testing.T, c *Checkpoint) { runUntil(t, c, 3, afterCommit) },
			want: &Recovery{Action: ContinueAfter, BatchID: 4, Start: batchOffsets(3),
				LastCommitted: 3, Commit: batchCommit(3)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			tt.setup(t, open(t, s))
			// A restart opens the checkpoint again.
			got, err := open(t, s).RecoveryPlan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RecoveryPlan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecoveryRerunThenContinue plays a crash, the re-run of the batch,
// and the next batch, as the engine will.
func TestRecoveryRerunThenContinue(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	runUntil(t, open(t, s), 2, afterOffsets)

	c := open(t, s)
	r, err := c.RecoveryPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != RerunBatch || r.BatchID != 2 {
		t.Fatalf("got %v %d, want re-run of batch 2", r.Action, r.BatchID)
	}
	// The re-run must not rewrite offsets/2: it only commits.
	if err := c.WriteCommit(ctx, r.BatchID, batchCommit(2)); err != nil {
		t.Fatal(err)
	}
	r, err = c.RecoveryPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := &Recovery{Action: ContinueAfter, BatchID: 3, Start: batchOffsets(2), LastCommitted: 2, Commit: batchCommit(2)}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("after the re-run (-want +got):\n%s", diff)
	}
	if err := c.WriteOffsets(ctx, r.BatchID, batchOffsets(3)); err != nil {
		t.Fatal(err)
	}
}

func TestRecoveryCommitLogTrailingWarns(t *testing.T) {
	s := newStore(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	c := open(t, s, Logger(logger))
	runUntil(t, c, 0, afterCommit)
	for n := int64(1); n <= 2; n++ {
		if err := c.WriteOffsets(context.Background(), n, batchOffsets(n)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.RecoveryPlan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &Recovery{Action: RerunBatch, BatchID: 2, Offsets: batchOffsets(2), Start: batchOffsets(1),
		LastCommitted: 0, Commit: batchCommit(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RecoveryPlan (-want +got):\n%s", diff)
	}
	wantLog := `level=WARN msg="checkpoint: commit log trails the offsets log by more than one batch; re-running only the newest batch" checkpoint=<ckpt> latestOffsets=2 latestCommit=0` + "\n"
	if got := scrub(s, logs.String()); got != wantLog {
		t.Errorf("log:\n%s\nwant:\n%s", got, wantLog)
	}
}

func TestPurgeKeepsWhatRecoveryNeeds(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(t *testing.T, c *Checkpoint)
		purge       func(c *Checkpoint) error
		wantOffsets []string
		wantCommits []string
	}{
		{
			name:        "retention of 3 after 10 committed batches",
			setup:       func(t *testing.T, c *Checkpoint) { runUntil(t, c, 9, afterCommit) },
			purge:       func(c *Checkpoint) error { return c.PurgeExpired(context.Background()) },
			wantOffsets: []string{"offsets/7", "offsets/8", "offsets/9"},
			wantCommits: []string{"commits/7", "commits/8", "commits/9"},
		},
		{
			name:        "retention of 3 with batch 9 uncommitted",
			setup:       func(t *testing.T, c *Checkpoint) { runUntil(t, c, 9, afterOffsets) },
			purge:       func(c *Checkpoint) error { return c.PurgeExpired(context.Background()) },
			wantOffsets: []string{"offsets/7", "offsets/8", "offsets/9"},
			wantCommits: []string{"commits/7", "commits/8"},
		},
		{
			name:        "keepFrom past everything, last batch committed",
			setup:       func(t *testing.T, c *Checkpoint) { runUntil(t, c, 9, afterCommit) },
			purge:       func(c *Checkpoint) error { return c.Purge(context.Background(), 1000) },
			wantOffsets: []string{"offsets/9"},
			wantCommits: []string{"commits/9"},
		},
		{
			name:        "keepFrom past everything, last batch uncommitted",
			setup:       func(t *testing.T, c *Checkpoint) { runUntil(t, c, 9, afterOffsets) },
			purge:       func(c *Checkpoint) error { return c.Purge(context.Background(), 1000) },
			wantOffsets: []string{"offsets/8", "offsets/9"},
			wantCommits: []string{"commits/8"},
		},
		{
			name: "commit log trailing by more than one batch",
			setup: func(t *testing.T, c *Checkpoint) {
				runUntil(t, c, 2, afterCommit)
				for n := int64(3); n <= 5; n++ {
					if err := c.WriteOffsets(context.Background(), n, batchOffsets(n)); err != nil {
						t.Fatal(err)
					}
				}
			},
			purge:       func(c *Checkpoint) error { return c.Purge(context.Background(), 1000) },
			wantOffsets: []string{"offsets/4", "offsets/5"},
			wantCommits: []string{"commits/2"},
		},
		{
			name:        "nothing committed: nothing purged",
			setup:       func(t *testing.T, c *Checkpoint) { runUntil(t, c, 0, afterOffsets) },
			purge:       func(c *Checkpoint) error { return c.Purge(context.Background(), 1000) },
			wantOffsets: []string{"offsets/0"},
		},
		{
			name:        "empty checkpoint",
			setup:       func(t *testing.T, c *Checkpoint) {},
			purge:       func(c *Checkpoint) error { return c.PurgeExpired(context.Background()) },
			wantOffsets: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			c := open(t, s, MinBatchesToRetain(3))
			tt.setup(t, c)
			before, err := c.RecoveryPlan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.purge(c); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantOffsets, listing(t, s, "offsets/")); diff != "" {
				t.Errorf("offsets/ (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCommits, listing(t, s, "commits/")); diff != "" {
				t.Errorf("commits/ (-want +got):\n%s", diff)
			}
			after, err := open(t, s).RecoveryPlan(ctx)
			if err != nil {
				t.Fatalf("RecoveryPlan after purge: %v", err)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("purge changed the recovery plan (-before +after):\n%s", diff)
			}
		})
	}
}

// TestPurgeThenContinue checks the engine can keep going after purges:
// offsets/N-1 is always there for WriteOffsets' order check.
func TestPurgeThenContinue(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s, MinBatchesToRetain(1))
	for n := int64(0); n < 20; n++ {
		if err := c.WriteOffsets(ctx, n, batchOffsets(n)); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteCommit(ctx, n, batchCommit(n)); err != nil {
			t.Fatal(err)
		}
		if err := c.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"offsets/19"}, listing(t, s, "offsets/")); diff != "" {
		t.Errorf("offsets/ (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"commits/19"}, listing(t, s, "commits/")); diff != "" {
		t.Errorf("commits/ (-want +got):\n%s", diff)
	}
}
