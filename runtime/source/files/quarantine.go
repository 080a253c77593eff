package files

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/streamgen/streamgen/runtime/storage"
)

// QuarantineRecord is one malformed line.
type QuarantineRecord struct {
	// Raw is the line as read, without its line end.
	Raw []byte
	// File is the file's location (storage URL).
	File string
	// Line is the 1-based line number in the file.
	Line int
	// Offset is the byte offset of the line's start in the file.
	Offset int64
	// Err is the decoder's error message.
	Err string
}

// QuarantineBatch is the malformed lines of one Read: the files of the
// source-log batches (StartLogOffset, EndLogOffset] of source Source.
// Reading the same range again yields the same batch, so EndLogOffset
// (with Source) is its idempotency key.
type QuarantineBatch struct {
	Source         int
	StartLogOffset int64
	EndLogOffset   int64
	Records        []QuarantineRecord
}

// Quarantine receives the malformed lines of each batch, once per Read
// that met at least one, after every valid row was handed to the caller.
// A batch re-run after a crash is handed over again with the same
// content: implementations must be idempotent by (Source, StartLogOffset,
// EndLogOffset). An error fails the Read.
type Quarantine interface {
	Quarantine(ctx context.Context, b QuarantineBatch) error
}

// FileQuarantine is a Quarantine writing JSON-lines files under
// _quarantine/ in a store (typically beside the sink's table, where the
// leading underscore keeps it out of readers' way):
//
//	_quarantine/batch=<EndLogOffset>/part-<uuid>.jsonl
//
// with one object per malformed line:
//
//	{"raw":"{\"device\":1}","file":"/data/in/a.jsonl","line":3,"offset":57,"error":"field \"device\" at byte 10: expected string, found number","source":0}
//
// "raw" holds the line as a string; a line that is not valid UTF-8 has
// "rawBase64" instead. The uuid is derived from the source index and the
// batch's log offsets (a name-based UUID), so a re-run writes the same
// name, and the file is written with PutIfAbsent: a batch is quarantined
// once.
type FileQuarantine struct {
	store  storage.Storage
	logger *slog.Logger
}

// NewFileQuarantine returns a FileQuarantine writing into store, logging
// with logger (nil: slog.Default()).
func NewFileQuarantine(store storage.Storage, logger *slog.Logger) *FileQuarantine {
	if logger == nil {
		logger = slog.Default()
	}
	return &FileQuarantine{store: store, logger: logger}
}

// quarantineNS is the namespace of quarantine file UUIDs.
var quarantineNS = uuid.MustParse("6f1c2a0e-5d1b-4c1e-9a57-3b0f6a1d2e44")

// Name returns the name of batch b's quarantine file in the store.
func (q *FileQuarantine) Name(b QuarantineBatch) string {
	id := uuid.NewSHA1(quarantineNS, fmt.Appendf(nil, "source=%d;start=%d;end=%d", b.Source, b.StartLogOffset, b.EndLogOffset))
	return fmt.Sprintf("_quarantine/batch=%d/part-%s.jsonl", b.EndLogOffset, id)
}

type quarantineLine struct {
	Raw       *string `json:"raw,omitempty"`
	RawBase64 []byte  `json:"rawBase64,omitempty"`
	File      string  `json:"file"`
	Line      int     `json:"line"`
	Offset    int64   `json:"offset"`
	Error     string  `json:"error"`
	Source    int     `json:"source"`
}

// Quarantine implements Quarantine.
func (q *FileQuarantine) Quarantine(ctx context.Context, b QuarantineBatch) error {
	if len(b.Records) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range b.Records {
		l := quarantineLine{File: r.File, Line: r.Line, Offset: r.Offset, Error: r.Err, Source: b.Source}
		if utf8.Valid(r.Raw) {
			s := string(r.Raw)
			l.Raw = &s
		} else {
			l.RawBase64 = r.Raw
		}
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("files: quarantine: encode: %w", err)
		}
	}
	name := q.Name(b)
	err := q.store.PutIfAbsent(ctx, name, buf.Bytes())
	if err == nil {
		return nil
	}
	if !storage.IsExist(err) {
		return fmt.Errorf("files: quarantine: %w", err)
	}
	old, rerr := q.store.Read(ctx, name)
	if rerr == nil && !bytes.Equal(old, buf.Bytes()) {
		q.logger.Warn("files: quarantine file of a re-run batch exists with other content; keeping it (were input files changed?)",
			"file", q.store.URL(name))
	}
	return nil
}
