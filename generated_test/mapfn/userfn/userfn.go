// Package userfn holds the Go functions of the mapfn golden case: what a
// user writes for map steps and a foreachBatch sink. Its types are bound
// to the rows' fields by json tag.
package userfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// In is what Enrich reads of a Reading: status is an enum in the schema
// (a string here), note is optional (a pointer).
type In struct {
	Device string  `json:"device"`
	Status string  `json:"status"`
	Count  int64   `json:"count"`
	Note   *string `json:"note"`
}

// Out is Enrich's result, the rows of the next step. Count is an int:
// the next step's int64 field reads it converted.
type Out struct {
	Device string  `json:"device"`
	Alert  string  `json:"alert"`
	Count  int     `json:"count"`
	Note   *string `json:"note"`
}

// Enrich fails on a device named "boom", which stops the query.
func Enrich(ctx context.Context, in In) (Out, error) {
	if err := ctx.Err(); err != nil {
		return Out{}, err
	}
	if in.Device == "boom" {
		return Out{}, errors.New("device boom exploded")
	}
	return Out{Device: strings.ToUpper(in.Device), Alert: in.Device + " is " + in.Status, Count: int(in.Count) * 2, Note: in.Note}, nil
}

// Scored is what Tag reads of an Out.
type Scored struct {
	Device string  `json:"device"`
	Count  int64   `json:"count"`
	Note   *string `json:"note"`
}

// Tagged is Tag's result, the rows reaching the sink.
type Tagged struct {
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// Tag labels a row, without a context or an error.
func Tag(s Scored) Tagged {
	label := s.Device
	if s.Note != nil {
		label += " (" + *s.Note + ")"
	}
	return Tagged{Label: label, Count: s.Count}
}

// Row is what WriteBatch receives of a Tagged.
type Row struct {
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// WriteBatch writes the rows of a batch as a JSON array to
// batch-<batchID>.json in the directory $MAPFN_OUT, through a temporary
// file renamed into place: a batch run again after a failure overwrites
// its file, so the output is exactly once (keyed by the batch ID, as with
// Spark's foreachBatch).
func WriteBatch(ctx context.Context, batchID int64, rows []Row) error {
	dir := os.Getenv("MAPFN_OUT")
	if dir == "" {
		return errors.New("MAPFN_OUT is not set")
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	name := filepath.Join(dir, fmt.Sprintf("batch-%d.json", batchID))
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
