// Package pipeline opens what a generated pipeline constructor needs
// before it wires its source, steps and sink: the logger, the query's
// checkpoint (a temporary one when no path is given, removed when the
// query ends well, as Spark does), the stores of its locations and its
// quarantine table. Every location is opened with storage.OpenURL, so a
// path, a file:// URL or an object-store URL (s3://, gs://, azblob://,
// once the program links that driver) all work.
//
// Errors name the pipeline, the role of the location and the location:
//
//	device_status: checkpoint s3://bucket/cp: …
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/planprint"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
)

// Options are the settings every generated pipeline config shares.
type Options struct {
	// Name is the pipeline's name; it prefixes errors and names a
	// temporary checkpoint directory.
	Name string
	// CheckpointPath is the query's checkpoint location; empty means a
	// new temporary directory (the query then starts afresh).
	CheckpointPath string
	// Logger receives the query's logs; nil means slog.Default().
	Logger *slog.Logger
	// Listeners are the caller's query listeners; Env.Listeners holds them
	// and, for a temporary checkpoint, the listener that removes it.
	Listeners []stream.Listener
	// KeepTemporaryCheckpoint keeps a temporary checkpoint after the query
	// ends, as when the quarantine table lives inside it.
	KeepTemporaryCheckpoint bool
}

// Env is what Open prepared for a pipeline constructor.
type Env struct {
	// Name is the pipeline's name.
	Name string
	// Logger is the query's logger, never nil.
	Logger *slog.Logger
	// Listeners are the listeners to register on the query.
	Listeners []stream.Listener
	// CheckpointPath is the checkpoint's location: Options.CheckpointPath
	// or the temporary directory made for it.
	CheckpointPath string
	// Checkpoint is the query's opened checkpoint.
	Checkpoint *checkpoint.Checkpoint
}

// Open resolves the logger, makes a temporary checkpoint directory when
// o.CheckpointPath is empty, and opens the checkpoint.
func Open(ctx context.Context, o Options) (*Env, error) {
	e := &Env{
		Name:           o.Name,
		Logger:         o.Logger,
		Listeners:      append([]stream.Listener(nil), o.Listeners...),
		CheckpointPath: o.CheckpointPath,
	}
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	if e.CheckpointPath == "" {
		dir, err := os.MkdirTemp("", strings.ReplaceAll(o.Name, "_", "-")+"-checkpoint-*")
		if err != nil {
			return nil, fmt.Errorf("%s: temporary checkpoint: %w", o.Name, err)
		}
		e.Logger.Info("using a temporary checkpoint", "path", dir)
		e.CheckpointPath = dir
		if !o.KeepTemporaryCheckpoint {
			e.Listeners = append(e.Listeners, tempCheckpoint{dir: dir, logger: e.Logger})
		}
	}
	st, err := e.Store(ctx, "checkpoint", e.CheckpointPath)
	if err != nil {
		return nil, err
	}
	if e.Checkpoint, err = checkpoint.Open(ctx, st, checkpoint.Logger(e.Logger)); err != nil {
		return nil, fmt.Errorf("%s: checkpoint %s: %w", o.Name, e.CheckpointPath, err)
	}
	return e, nil
}

// Store opens location with storage.OpenURL; role ("sink", "source",
// "source archive", …) names it in the error.
func (e *Env) Store(ctx context.Context, role, location string) (storage.Storage, error) {
	st, err := storage.OpenURL(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", e.Name, role, location, err)
	}
	return st, nil
}

// Quarantine opens the quarantine Delta table at location or, when
// location is empty, at name inside base (storage.JoinLocation), such as
// "_quarantine" in the sink's table or "quarantine" in the checkpoint.
func (e *Env) Quarantine(ctx context.Context, location, base, name string) (*quarantine.Delta, error) {
	if location == "" {
		location = storage.JoinLocation(base, name)
	}
	st, err := e.Store(ctx, "quarantine", location)
	if err != nil {
		return nil, err
	}
	return quarantine.NewDelta(delta.Open(st), quarantine.Logger(e.Logger)), nil
}

// CheckPlan compares the pipeline's plan (record: the plan record the
// generated code embeds, planprint.Encode's) with the plan recorded in
// the checkpoint and, when table is not nil (a Delta sink), with the
// table's current schema, before anything is read or written
// (planprint.CheckAndRecord). The plan's sink table is the table's
// location as opened (cfg.SinkPath), not the spec's text.
//
// A refused change returns a *PlanError whose message is the verdict's
// report: every change, one a line, with its position in the spec, the
// old and new shapes, why and the way forward, then a summary. Allowed
// changes are logged, one a line, and the plan is recorded. Without a
// checkpoint (Checkpoint nil: a Kafka consumer group, whose table is its
// only checkpoint) only the table's schema is compared and nothing is
// recorded.
func (e *Env) CheckPlan(ctx context.Context, record string, table *delta.Table) error {
	p := planprint.MustDecode(record)
	var schema *delta.StructType
	if table != nil {
		p.Sink.Table = table.Location()
		snap, err := table.Snapshot(ctx)
		switch {
		case err == nil:
			schema = snap.Schema
		case errors.Is(err, delta.ErrNotATable):
			// No table yet: the first commit creates it.
		default:
			return fmt.Errorf("%s: sink %s: %w", e.Name, table.Location(), err)
		}
	}
	var v planprint.Verdict
	if e.Checkpoint == nil {
		v = planprint.Compare(nil, p, schema)
	} else {
		var err error
		v, err = planprint.CheckAndRecord(ctx, e.Checkpoint.Storage(), p, schema)
		if err != nil && !v.Refused() {
			return fmt.Errorf("%s: checkpoint %s: %w", e.Name, e.CheckpointPath, err)
		}
	}
	if v.Refused() {
		return &PlanError{Pipeline: e.Name, Verdict: v}
	}
	for _, c := range v.Changes {
		e.Logger.Info("plan change", "pipeline", e.Name, "kind", c.Kind.String(), "change", c.String())
	}
	return nil
}

// PlanError is CheckPlan's refusal: the pipeline changed in a way its
// checkpoint or table cannot take. Its message is the verdict's report.
type PlanError struct {
	Pipeline string
	Verdict  planprint.Verdict
}

func (e *PlanError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the pipeline changed incompatibly with its checkpoint or table:\n", e.Pipeline)
	_ = e.Verdict.Report(&b)
	return strings.TrimSuffix(b.String(), "\n")
}

// Unwrap returns the verdict's *planprint.RefusedError.
func (e *PlanError) Unwrap() error { return e.Verdict.Err() }

// tempCheckpoint removes a temporary checkpoint when the query ends
// without an error, as Spark does; a failed query keeps it for inspection.
type tempCheckpoint struct {
	dir    string
	logger *slog.Logger
}

// OnTerminated implements stream.ListenerTerminated.
func (c tempCheckpoint) OnTerminated(e stream.TerminatedEvent) {
	if e.Err != nil {
		c.logger.Info("keeping the temporary checkpoint of the failed query", "path", c.dir)
		return
	}
	if err := os.RemoveAll(c.dir); err != nil {
		c.logger.Warn("removing the temporary checkpoint", "err", err)
	}
}
