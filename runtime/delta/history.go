package delta

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// HistoryEntry is one commit of a table's history.
type HistoryEntry struct {
	// Version is the commit's table version.
	Version int64
	// Timestamp is the commit time: inCommitTimestamp, else
	// commitInfo.timestamp, else the commit file's modification time.
	Timestamp time.Time
	// CommitInfo is the commit's commitInfo action (operation,
	// operationParameters, operationMetrics, readVersion, isBlindAppend,
	// engineInfo...); the zero value when the commit has none.
	CommitInfo CommitInfo
	// NumAdds and NumRemoves count the commit's add and remove actions.
	NumAdds, NumRemoves int
}

// History returns the table's commits, newest first, at most limit of
// them (all when limit <= 0). Versions whose JSON commit was cleaned up
// from the log are omitted. A location without a log gives an error
// wrapping ErrNotATable.
func (t *Table) History(ctx context.Context, limit int) ([]HistoryEntry, error) {
	infos, err := t.store.ListFrom(ctx, LogDir, "")
	if err != nil {
		return nil, fmt.Errorf("delta: table %s: history: list %s: %w", t.Location(), LogDir, err)
	}
	var commits []LogPath
	for _, fi := range infos {
		if lp := ParseLogPath(fi); lp.Type == LogPathCommit {
			commits = append(commits, lp)
		}
	}
	if len(commits) == 0 {
		return nil, fmt.Errorf("delta: table %s: history: %w", t.Location(), ErrNotATable)
	}
	sort.Slice(commits, func(i, j int) bool { return commits[i].Version > commits[j].Version })
	if limit > 0 && len(commits) > limit {
		commits = commits[:limit]
	}
	out := make([]HistoryEntry, 0, len(commits))
	for _, c := range commits {
		actions, err := t.ReadCommit(ctx, c.Version)
		if err != nil {
			if isMissingCommit(err) {
				continue // cleaned up since the listing
			}
			return nil, fmt.Errorf("delta: table %s: history: %w", t.Location(), err)
		}
		e := HistoryEntry{Version: c.Version, Timestamp: commitTime(actions, c.File)}
		for _, a := range actions {
			switch {
			case a.CommitInfo != nil:
				e.CommitInfo = *a.CommitInfo
			case a.Add != nil:
				e.NumAdds++
			case a.Remove != nil:
				e.NumRemoves++
			}
		}
		out = append(out, e)
	}
	return out, nil
}
