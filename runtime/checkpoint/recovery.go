package checkpoint

import (
	"context"
	"fmt"
	"path"
)

// RecoveryAction is what the engine must do first when a query starts on
// a checkpoint.
type RecoveryAction int

// The recovery actions.
const (
	// StartFresh: the offsets log is empty; run batch 0 from each
	// source's initial position.
	StartFresh RecoveryAction = iota
	// RerunBatch: offsets/N exists without commits/N (the query stopped
	// or crashed mid-batch); re-run batch N with exactly the logged
	// offsets, timestamp and watermark before anything new. The sink
	// sees batch N again and must skip or replace its output (the Delta
	// sink's txn action).
	RerunBatch
	// ContinueAfter: the last logged batch is committed; plan batch N+1
	// from new source offsets, starting where batch N ended.
	ContinueAfter
)

// String returns the action in words, for logs.
func (a RecoveryAction) String() string {
	switch a {
	case StartFresh:
		return "start fresh"
	case RerunBatch:
		return "re-run batch"
	case ContinueAfter:
		return "continue after batch"
	}
	return fmt.Sprintf("RecoveryAction(%d)", int(a))
}

// Recovery is what RecoveryPlan found in the checkpoint: the batch to run
// next and everything needed to run it the way Spark's MicroBatchExecution
// resumes (populateStartOffsets).
type Recovery struct {
	// Action is what to do first.
	Action RecoveryAction
	// BatchID is the batch to run next: 0 for StartFresh, the uncommitted
	// batch for RerunBatch, the last committed batch + 1 for
	// ContinueAfter.
	BatchID int64
	// Offsets is offsets/BatchID for RerunBatch: the exact end offsets,
	// batch timestamp and watermark to re-run with. It is nil otherwise:
	// the engine asks the sources for new end offsets.
	Offsets *OffsetSeq
	// Start holds the end offsets of batch BatchID-1, where batch BatchID
	// begins reading. It is nil when BatchID is 0.
	Start *OffsetSeq
	// LastCommitted is the newest committed batch, or -1.
	LastCommitted int64
	// Commit is commits/LastCommitted (zero when nothing is committed).
	// For ContinueAfter, Commit.NextBatchWatermarkMs is the watermark the
	// next batch runs with.
	Commit CommitMetadata
}

// RecoveryPlan reads the offsets and commit logs and says what the engine
// must do at start: StartFresh, RerunBatch N (offsets/N exists, commits/N
// does not) or ContinueAfter N (commits/N exists). It fails with a
// *CorruptError when the logs are inconsistent: a gap in batch IDs, a
// commit newer than the newest offsets, or a missing offsets/N-1 needed to
// re-run batch N.
//
// Like Spark, when the commit log trails the offsets log by more than one
// batch (commits/N-1 missing as well as commits/N), only the newest batch
// is re-run, from offsets/N-1, and a warning is logged.
func (c *Checkpoint) RecoveryPlan(ctx context.Context) (*Recovery, error) {
	latest, offsets, err := c.LatestOffsets(ctx)
	if err != nil {
		return nil, err
	}
	committed, commit, err := c.LatestCommit(ctx)
	if err != nil {
		return nil, err
	}
	r := &Recovery{LastCommitted: committed, Commit: commit}
	if committed > latest {
		return nil, &CorruptError{
			Path: c.store.URL(batchName(CommitsDir, committed)),
			Reason: fmt.Sprintf("batch %d is committed but %s does not exist",
				committed, c.store.URL(batchName(OffsetsDir, committed))),
			Fix: fixCorrupt,
		}
	}
	switch {
	case latest < 0:
		r.Action = StartFresh
		return r, nil
	case committed == latest:
		r.Action = ContinueAfter
		r.BatchID = latest + 1
		r.Start = offsets
		return r, nil
	}
	if committed < latest-1 {
		c.cfg.logger.Warn("checkpoint: commit log trails the offsets log by more than one batch; re-running only the newest batch",
			"checkpoint", c.Location(), "latestOffsets", latest, "latestCommit", committed)
	}
	r.Action = RerunBatch
	r.BatchID = latest
	r.Offsets = offsets
	if latest > 0 {
		start, err := c.Offsets(ctx, latest-1)
		if err != nil {
			if errNotExist(err) {
				return nil, &CorruptError{
					Path:   c.store.URL(batchName(OffsetsDir, latest-1)),
					Reason: fmt.Sprintf("missing: it is needed to re-run uncommitted batch %d", latest),
					Fix:    fixGap,
				}
			}
			return nil, err
		}
		r.Start = start
	}
	return r, nil
}

// Purge deletes offsets/N and commits/N for every N < keepFrom, oldest
// first, so a crash mid-purge never leaves a gap. It never deletes what
// RecoveryPlan needs, whatever keepFrom says: the newest offsets, the
// offsets before them (the start of a re-run) and the newest commit stay.
// Nothing is deleted before the first commit. Source logs are not touched:
// they number their own batches and purge themselves (see SourceLog).
func (c *Checkpoint) Purge(ctx context.Context, keepFrom int64) error {
	offsets, err := c.batchIDs(ctx, OffsetsDir)
	if err != nil {
		return err
	}
	commits, err := c.batchIDs(ctx, CommitsDir)
	if err != nil {
		return err
	}
	if len(offsets) == 0 || len(commits) == 0 {
		return nil
	}
	// Keep offsets/latest, and offsets/latest-1 too when batch latest is
	// uncommitted (a re-run's start), and commits/lastCommitted (the
	// watermark to resume with).
	latest, committed := offsets[len(offsets)-1], commits[len(commits)-1]
	keepOffsets := min(keepFrom, latest)
	if committed < latest {
		keepOffsets = min(keepFrom, latest-1)
	}
	keepCommits := min(keepFrom, committed)
	deleted := 0
	for _, log := range []struct {
		dir  string
		ids  []int64
		keep int64
	}{{OffsetsDir, offsets, keepOffsets}, {CommitsDir, commits, keepCommits}} {
		for _, id := range log.ids {
			if id >= log.keep {
				break
			}
			name := batchName(log.dir, id)
			if err := c.store.Delete(ctx, name); err != nil {
				return fmt.Errorf("checkpoint: purge %s: %w", c.store.URL(name), err)
			}
			deleted++
		}
	}
	if deleted > 0 {
		c.cfg.logger.Debug("checkpoint: purged old batches", "checkpoint", c.Location(),
			"keepOffsetsFrom", keepOffsets, "keepCommitsFrom", keepCommits, "files", deleted)
	}
	return nil
}

// PurgeExpired purges all but the newest MinBatchesToRetain batches of
// the offsets and commit logs, as Spark does after each batch is planned.
func (c *Checkpoint) PurgeExpired(ctx context.Context) error {
	latest, err := c.latestID(ctx, OffsetsDir)
	if err != nil || latest < 0 {
		return err
	}
	return c.Purge(ctx, latest+1-int64(c.cfg.minBatchesToRetain))
}

// latestID returns the newest batch ID in dir without the gap check, or -1.
func (c *Checkpoint) latestID(ctx context.Context, dir string) (int64, error) {
	ids, err := c.batchIDs(ctx, dir)
	if err != nil || len(ids) == 0 {
		return -1, err
	}
	return ids[len(ids)-1], nil
}

// sourceDir is the directory of source i's logs.
func sourceDir(source int) string { return path.Join(SourcesDir, fmt.Sprint(source)) }
