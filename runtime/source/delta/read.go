package deltasource

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// Origin is where a row comes from.
type Origin struct {
	// Version is the commit that added the file, or the initial
	// snapshot's version for its files.
	Version int64
	// Path is the data file's storage name, relative to the table root
	// (percent-decoded).
	Path string
	// Index is the file's index in its version: in the initial
	// snapshot's order, or among the commit's data-changing adds. It is
	// the index of the source's offsets.
	Index int64
}

// Stats counts what a Read read.
type Stats struct {
	// Rows is the number of rows handed to the callback.
	Rows int64
	// Files is the number of data files read.
	Files int64
	// Bytes is their total size, as their add actions give it.
	Bytes int64
}

// The keys of Stats.Metrics, the Delta source's per-batch metrics in
// progress reports (SourceProgress.Metrics).
const (
	MetricFilesRead = "numFilesRead"
	MetricBytesRead = "numBytesRead"
	MetricRowsRead  = "numRowsRead"
)

// Metrics returns the counts as progress metrics (numFilesRead,
// numBytesRead, numRowsRead) for stream.BatchResult.SourceMetrics.
func (st Stats) Metrics() map[string]string {
	return map[string]string{
		MetricFilesRead: strconv.FormatInt(st.Files, 10),
		MetricBytesRead: strconv.FormatInt(st.Bytes, 10),
		MetricRowsRead:  strconv.FormatInt(st.Rows, 10),
	}
}

// Read reads the batch (start, end]: the files after start up to and
// including end's, in stream order, each row projected onto the record's
// columns, converted by FromRow and handed to fn with its origin. *row
// is reused: it is valid only during the call, so fn copies the value.
// A nil start is the initial offset. A re-run of a batch reads the same
// rows in the same order. An error from fn stops the Read and is
// returned as is; a data file that is missing (deleted by VACUUM before
// the stream read it) gives a *MissingFileError.
func (s *Source[T]) Read(ctx context.Context, start, end json.RawMessage, fn func(row *T, o Origin) error) (Stats, error) {
	var st Stats
	files, err := s.plan(ctx, start, end)
	if err != nil {
		return st, err
	}
	var row T
	var zero T
	proj := make(delta.Row, len(s.cfg.Schema.Fields))
	for _, f := range files {
		name, err := f.add.DecodedPath()
		if err != nil {
			name = f.add.Path
		}
		rows, err := f.rc.snap.ReadFile(ctx, f.add)
		if err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			if storage.IsNotExist(err) {
				return st, &MissingFileError{Table: s.table.Location(), Path: name, Version: f.version, Err: err}
			}
			return st, fmt.Errorf("deltasource: table %s: version %d: %w", s.table.Location(), f.version, err)
		}
		st.Files++
		st.Bytes += f.add.Size
		o := Origin{Version: f.version, Path: name, Index: f.index}
		for k, r := range rows {
			for j, i := range f.rc.proj {
				proj[j] = r[i]
			}
			row = zero
			if err := s.cfg.FromRow(proj, &row); err != nil {
				return st, fmt.Errorf("deltasource: table %s: %s (version %d) row %d: %w", s.table.Location(), name, f.version, k+1, err)
			}
			st.Rows++
			if err := fn(&row, o); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// plan returns the files of the batch (start, end].
func (s *Source[T]) plan(ctx context.Context, start, end json.RawMessage) ([]fileRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.releaseLatest()
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	from, err := s.parse(ctx, start)
	if err != nil {
		return nil, err
	}
	to, err := s.parse(ctx, end)
	if err != nil {
		return nil, err
	}
	if to.v < from.v || (to.v == from.v && to.snap == from.snap && to.i < from.i) || (to.v == from.v && from.snap == false && to.snap) {
		return nil, fmt.Errorf("deltasource: end offset %s is before start offset %s", end, start)
	}
	var files []fileRef
	_, _, err = s.walk(ctx, from, to, nil, func(f fileRef) (bool, error) {
		files = append(files, f)
		return true, nil
	})
	return files, err
}
