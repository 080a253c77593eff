package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"
)

// PlanVersion is the version of the plan record this package writes and
// the newest it reads.
const PlanVersion = 1

// Plan is streamgen's plan record, kept in the checkpoint's plan file: a
// fingerprint of every schema and stateful operator of the query, written
// at the query's first start and compared at every restart, so a restart
// with an incompatible pipeline is refused instead of misreading state.
// Which differences are compatible is decided by the engine; this package
// only stores and loads the record.
//
// The file is indented JSON with a trailing newline:
//
//	{
//	  "version": 1,
//	  "fingerprint": "sha256:…",
//	  "description": {
//	    "schema.DeviceStatus": "…"
//	  }
//	}
type Plan struct {
	// Version is the record's format version; WritePlan sets it to
	// PlanVersion when it is zero.
	Version int `json:"version"`
	// Fingerprint identifies the plan; equal fingerprints mean
	// compatible plans.
	Fingerprint string `json:"fingerprint"`
	// Description is free-form detail (schema and operator fingerprints,
	// names) for explaining a mismatch. Keys are written sorted.
	Description map[string]string `json:"description,omitempty"`
}

// Plan returns the stored plan record, or nil when the query has not
// written one yet. A plan file that does not parse, lacks a fingerprint or
// has a newer version is a *CorruptError.
func (c *Checkpoint) Plan(ctx context.Context) (*Plan, error) {
	data, err := c.store.Read(ctx, PlanFile)
	if err != nil {
		if errNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("checkpoint: read plan: %w", err)
	}
	p, err := parsePlan(data)
	if err != nil {
		return nil, withPath(c.store.URL(PlanFile), err)
	}
	return p, nil
}

func parsePlan(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, corruptAt(0, err, "invalid plan JSON")
	}
	switch {
	case p.Version > PlanVersion:
		return nil, &fileError{
			reason: fmt.Sprintf("checkpoint written by a newer version (plan version %d, this streamgen reads up to %d), unsupported",
				p.Version, PlanVersion),
			fix: fixUpgrade,
		}
	case p.Version < 1:
		return nil, corruptAt(0, nil, "invalid plan version %d (want %d)", p.Version, PlanVersion)
	case p.Fingerprint == "":
		return nil, corruptAt(0, nil, `missing plan "fingerprint"`)
	}
	return &p, nil
}

// WritePlan writes the plan record. The plan file is never overwritten:
// if one exists, the error is a *ConcurrentQueryError (another query wrote
// it since Plan returned nil).
func (c *Checkpoint) WritePlan(ctx context.Context, p Plan) error {
	if p.Version == 0 {
		p.Version = PlanVersion
	}
	if p.Fingerprint == "" {
		return fmt.Errorf("checkpoint: write plan: empty fingerprint")
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: write plan: %w", err)
	}
	return c.put(ctx, PlanFile, append(data, '\n'))
}
