package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// Origin is where a row comes from.
type Origin struct {
	// File is the file's name relative to the source root.
	File string
	// Line is the 1-based line number.
	Line int
	// Offset is the byte offset of the line's start in the file.
	Offset int64
}

// Stats counts what a Read read.
type Stats struct {
	// Rows is the number of rows handed to the callback.
	Rows int64
	// Malformed is the number of lines the decoder rejected: Quarantined
	// plus Dropped.
	Malformed int64
	// Quarantined is the number of malformed lines quarantined.
	Quarantined int64
	// Dropped is the number of malformed lines dropped.
	Dropped int64
	// Bytes is the total size of the files read.
	Bytes int64
	// Files is the number of files read.
	Files int64
}

// MalformedError is the error of a malformed line under FailMalformed:
// "files: <file>:<line>: <field>: <msg>". It wraps the decoder's error.
// For the lines of a file whose header was rejected (see
// streamimpl.HeaderDecoder), Line is the header's line and the message
// "files: <file>:<line>: header (line <line>): <err>".
type MalformedError struct {
	File string // the file's location (storage URL)
	Line int
	Err  error
}

// Error formats the error.
func (e *MalformedError) Error() string {
	return fmt.Sprintf("files: %s:%d: %s", e.File, e.Line, reason(e.Err))
}

// Unwrap returns the decoder's error.
func (e *MalformedError) Unwrap() error { return e.Err }

// reason formats a decode error as "<field>: <msg>" when it names a field.
func reason(err error) string {
	var he *headerError
	if errors.As(err, &he) {
		return he.Error()
	}
	var de *streamimpl.DecodeError
	if errors.As(err, &de) && de.Field != "" {
		return de.Field + ": " + de.Msg
	}
	return err.Error()
}

// The keys of Stats.Metrics, the files source's per-batch metrics in
// progress reports (SourceProgress.Metrics).
const (
	MetricFilesRead            = "numFilesRead"
	MetricBytesRead            = "numBytesRead"
	MetricMalformedRows        = "numMalformedRows"
	MetricQuarantinedRows      = "numQuarantinedRows"
	MetricDroppedMalformedRows = "numDroppedMalformedRows"
)

// Metrics returns the counts as progress metrics: numFilesRead,
// numBytesRead, numMalformedRows, numQuarantinedRows and
// numDroppedMalformedRows, as decimal integers. A Runner passes them to
// the engine in stream.BatchResult.SourceMetrics.
func (st Stats) Metrics() map[string]string {
	return map[string]string{
		MetricFilesRead:            strconv.FormatInt(st.Files, 10),
		MetricBytesRead:            strconv.FormatInt(st.Bytes, 10),
		MetricMalformedRows:        strconv.FormatInt(st.Malformed, 10),
		MetricQuarantinedRows:      strconv.FormatInt(st.Quarantined, 10),
		MetricDroppedMalformedRows: strconv.FormatInt(st.Dropped, 10),
	}
}

// headerError is the reason of the record lines of a file whose header
// the decoder rejected.
type headerError struct {
	line int
	err  error
}

func (e *headerError) Error() string { return fmt.Sprintf("header (line %d): %v", e.line, e.err) }

func (e *headerError) Unwrap() error { return e.err }

// Read reads the batch (start, end]: the files of those source-log
// batches in order, each line decoded into a row handed to fn with its
// origin. *row is reused: it is valid only during the call, so fn copies
// the value (strings stay valid: they live in the decoder's arena, never
// in Read's buffer). One decoder is made per Read. When it implements
// streamimpl.HeaderDecoder, each file's first non-empty line is its
// header (see the package documentation). Malformed lines follow the
// OnMalformed policy; quarantined ones are handed to the quarantine
// writer at the end, once every row was handed to fn, as one
// quarantine.Batch keyed by the query's ID, the source index and end's
// log offset. An error from fn stops the Read and is returned as is.
//
// Files are streamed through one buffer (see the package documentation,
// "Reading"): the line handed to the decoder is only valid during its
// Decode or Header call.
func (s *Source[T]) Read(ctx context.Context, start, end json.RawMessage, fn func(row *T, origin Origin) error) (Stats, error) {
	var st Stats
	from, err := ParseOffset(start)
	if err != nil {
		return st, err
	}
	to, err := ParseOffset(end)
	if err != nil {
		return st, err
	}
	entries, err := s.Files(ctx, start, end)
	if err != nil {
		return st, err
	}
	r := batchReader[T]{s: s, fn: fn, st: &st, dec: s.newDecoder()}
	r.hdec, r.hasHeader = any(r.dec).(streamimpl.HeaderDecoder)
	defer func() { putBuf(r.lines.own) }()
	for _, e := range entries {
		if err := r.file(ctx, e); err != nil {
			return st, err
		}
	}
	if len(r.bad) > 0 {
		err := s.cfg.quarantine.Write(ctx, quarantine.Batch{QueryID: s.queryID, Source: s.index, Version: to, Records: r.bad})
		if err != nil {
			return st, fmt.Errorf("files: quarantine %d malformed lines of log batches (%d, %d]: %w", len(r.bad), from, to, err)
		}
	}
	return st, nil
}

// batchReader is the state of one Read.
type batchReader[T any] struct {
	s         *Source[T]
	fn        func(row *T, origin Origin) error
	st        *Stats
	dec       streamimpl.Decoder[T]
	hdec      streamimpl.HeaderDecoder
	hasHeader bool
	lines     lineReader
	row       T
	bad       []quarantine.Record
}

// file reads the lines of one file.
func (r *batchReader[T]) file(ctx context.Context, e FileEntry) error {
	s, st := r.s, r.st
	readErr := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("files: read %s, listed in source-log batch %d: %w", s.store.URL(e.Path), e.BatchID, err)
	}
	lr := &r.lines
	if o, ok := s.store.(storage.Opener); ok {
		f, err := o.Open(ctx, e.Path)
		if err != nil {
			return readErr(err)
		}
		defer f.Close()
		lr.reset(f)
	} else {
		data, err := s.store.Read(ctx, e.Path)
		if err != nil {
			return readErr(err)
		}
		lr.resetBytes(data)
	}
	st.Files++
	defer func() { st.Bytes += lr.n; lr.release() }()
	var off int64 // the offset of the next line
	line := 0
	needHeader := r.hasHeader
	var hdrErr *headerError
	for {
		rec, ok, err := lr.next()
		if err != nil {
			return readErr(err)
		}
		if !ok {
			return nil
		}
		line++
		lineOff := off
		off += int64(len(rec)) + 1
		if line == 1 && bytes.HasPrefix(rec, bom) {
			rec = rec[len(bom):]
			lineOff += int64(len(bom))
		}
		rec = bytes.TrimSuffix(rec, []byte{'\r'})
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		if line&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if needHeader {
			needHeader = false
			if err := r.hdec.Header(rec); err != nil {
				hdrErr = &headerError{line: line, err: err}
			}
			continue
		}
		var derr error
		if hdrErr != nil {
			derr = hdrErr
		} else {
			derr = r.dec.Decode(rec, &r.row)
		}
		if derr != nil {
			st.Malformed++
			switch s.cfg.malformed {
			case FailMalformed:
				if hdrErr != nil {
					return &MalformedError{File: s.store.URL(e.Path), Line: hdrErr.line, Err: hdrErr}
				}
				return &MalformedError{File: s.store.URL(e.Path), Line: line, Err: derr}
			case DropMalformed:
				st.Dropped++
			default:
				st.Quarantined++
				r.bad = append(r.bad, quarantine.Record{
					Raw: bytes.Clone(rec), File: s.store.URL(e.Path), Line: line, Offset: lineOff, Err: derr.Error(),
				})
			}
			continue
		}
		st.Rows++
		if err := r.fn(&r.row, Origin{File: e.Path, Line: line, Offset: lineOff}); err != nil {
			return err
		}
	}
}

// bom is the UTF-8 byte-order mark, skipped at the start of a file.
var bom = []byte("\xef\xbb\xbf")
