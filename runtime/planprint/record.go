package planprint

import (
	"context"
	"errors"
	"fmt"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// RecordName is the plan record's name in a checkpoint's storage.
const RecordName = "streamgen/plan.json"

// Record writes p as the checkpoint's plan record (RecordName), replacing
// the previous one atomically: a reader sees the old record or the new
// one, never a mix (storage.Storage.Put). store is the checkpoint's own
// storage (checkpoint.Checkpoint.Storage()).
//
// The record is replaced, not versioned, because the query writing it
// owns the checkpoint: a second query on the same checkpoint is stopped
// by the checkpoint's put-if-absent offsets and commits.
func Record(ctx context.Context, store storage.Storage, p *Plan) error {
	data, err := Encode(p)
	if err != nil {
		return err
	}
	if err := store.Put(ctx, RecordName, data); err != nil {
		return fmt.Errorf("planprint: record the plan in %s: %w", store.URL(RecordName), err)
	}
	return nil
}

// Load reads the checkpoint's plan record. It returns nil and no error
// when there is none (a new checkpoint, or one written before streamgen
// recorded plans); a record it cannot read is a *DecodeError naming the
// file.
func Load(ctx context.Context, store storage.Storage) (*Plan, error) {
	data, err := store.Read(ctx, RecordName)
	if err != nil {
		if storage.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("planprint: read the plan record %s: %w", store.URL(RecordName), err)
	}
	p, err := Decode(data)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			de.Path = store.URL(RecordName)
		}
		return nil, err
	}
	return p, nil
}

// CheckAndRecord is what a generated binary does at start, before its
// first batch: it loads the checkpoint's plan record, compares it and the
// table's schema (nil when the table does not exist yet) with p, and
// returns the verdict. When a change is refused the error is the
// verdict's *RefusedError and nothing is written; otherwise p is recorded
// when it differs from the record (or there was none), so the next start
// compares with the plan that ran.
func CheckAndRecord(ctx context.Context, store storage.Storage, p *Plan, table *delta.StructType) (Verdict, error) {
	old, err := Load(ctx, store)
	if err != nil {
		return Verdict{}, err
	}
	v := Compare(old, p, table)
	if err := v.Err(); err != nil {
		return v, err
	}
	if old == nil || !samePlan(old, p) {
		if err := Record(ctx, store, p); err != nil {
			return v, err
		}
	}
	return v, nil
}

// samePlan reports whether a and b encode to the same record (positions
// included, so a record keeps up with moved spec lines).
func samePlan(a, b *Plan) bool {
	ea, err1 := Encode(a)
	eb, err2 := Encode(b)
	return err1 == nil && err2 == nil && string(ea) == string(eb)
}
