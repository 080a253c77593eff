package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/stream"
)

// terminate tells every listener of e that the query ended with err.
func terminate(e *Env, err error) {
	for _, l := range e.Listeners {
		if t, ok := l.(stream.ListenerTerminated); ok {
			t.OnTerminated(stream.TerminatedEvent{Err: err})
		}
	}
}

func exists(t *testing.T, dir string) bool {
	t.Helper()
	_, err := os.Stat(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// A temporary checkpoint is made when no path is given, is a real
// checkpoint (metadata written), and is removed when the query ends
// well, kept when it fails or when asked to.
func TestTemporaryCheckpoint(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, c := range []struct {
		name     string
		keep     bool
		err      error
		wantKept bool
	}{
		{"success", false, nil, false},
		{"failure", false, errors.New("boom"), true},
		{"keep", true, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			e, err := Open(ctx, Options{Name: "device_status", KeepTemporaryCheckpoint: c.keep})
			if err != nil {
				t.Fatal(err)
			}
			dir := e.CheckpointPath
			if !strings.HasPrefix(filepath.Base(dir), "device-status-checkpoint-") || filepath.Dir(dir) != os.Getenv("TMPDIR") {
				t.Errorf("temporary checkpoint %s: want device-status-checkpoint-* in $TMPDIR", dir)
			}
			if !exists(t, filepath.Join(dir, "metadata")) {
				t.Errorf("checkpoint %s has no metadata file", dir)
			}
			if e.Checkpoint == nil || e.Checkpoint.ID() == "" {
				t.Fatalf("checkpoint not opened: %+v", e.Checkpoint)
			}
			if e.Logger == nil {
				t.Error("nil logger")
			}
			terminate(e, c.err)
			if got := exists(t, dir); got != c.wantKept {
				t.Errorf("after the query ended (err %v): checkpoint kept = %v, want %v", c.err, got, c.wantKept)
			}
		})
	}
}

// recorder is a listener the caller passes.
type recorder struct{ ended int }

func (r *recorder) OnTerminated(stream.TerminatedEvent) { r.ended++ }

// A given checkpoint path is opened where it is, the same query ID on
// the second open, nothing is removed, and the caller's listeners are
// kept (copied, not aliased).
func TestGivenCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cp")
	rec := &recorder{}
	mine := []stream.Listener{rec}
	e1, err := Open(ctx, Options{Name: "p", CheckpointPath: dir, Listeners: mine})
	if err != nil {
		t.Fatal(err)
	}
	if e1.CheckpointPath != dir || len(e1.Listeners) != 1 || e1.Listeners[0] != stream.Listener(rec) {
		t.Fatalf("env %+v: want the given path and only the caller's listener", e1)
	}
	e1.Listeners = append(e1.Listeners, rec)
	if len(mine) != 1 || cap(mine) != 1 {
		t.Errorf("the caller's listener slice was changed")
	}
	terminate(e1, nil)
	if rec.ended != 2 || !exists(t, filepath.Join(dir, "metadata")) {
		t.Errorf("ended %d times, metadata present %v: want 2 and true", rec.ended, exists(t, filepath.Join(dir, "metadata")))
	}
	e2, err := Open(ctx, Options{Name: "p", CheckpointPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if e1.Checkpoint.ID() != e2.Checkpoint.ID() {
		t.Errorf("query id %s on reopen, want %s", e2.Checkpoint.ID(), e1.Checkpoint.ID())
	}
}

// Errors name the pipeline, the role and the location.
func TestErrorsNameTheLocation(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, Options{Name: "device_status", CheckpointPath: "nosuch://b/cp"})
	if err == nil || !strings.HasPrefix(err.Error(), "device_status: checkpoint nosuch://b/cp: ") || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Errorf("Open: %v", err)
	}
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "metadata"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Options{Name: "device_status", CheckpointPath: corrupt})
	if err == nil || !strings.HasPrefix(err.Error(), "device_status: checkpoint "+corrupt+": ") {
		t.Errorf("Open of a corrupt checkpoint: %v", err)
	}
	e, err := Open(ctx, Options{Name: "device_status", CheckpointPath: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store(ctx, "source archive", "nosuch://b/a"); err == nil || !strings.HasPrefix(err.Error(), "device_status: source archive nosuch://b/a: ") {
		t.Errorf("Store: %v", err)
	}
	if _, err := e.Quarantine(ctx, "nosuch://b/q", "", ""); err == nil || !strings.HasPrefix(err.Error(), "device_status: quarantine nosuch://b/q: ") {
		t.Errorf("Quarantine: %v", err)
	}
}

// The quarantine table is at the given location, or at name inside base;
// rows written land there.
func TestQuarantineLocation(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{Name: "p", CheckpointPath: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	base, given := t.TempDir(), filepath.Join(t.TempDir(), "q")
	for _, c := range []struct{ location, want string }{
		{"", filepath.Join(base, "_quarantine")},
		{given, given},
	} {
		q, err := e.Quarantine(ctx, c.location, base, "_quarantine")
		if err != nil {
			t.Fatal(err)
		}
		b := quarantine.Batch{QueryID: e.Checkpoint.ID(), Version: 1, Records: []quarantine.Record{{File: "in/a.json", Line: 3, Raw: []byte("{oops"), Err: "bad"}}}
		if err := q.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		if !exists(t, filepath.Join(c.want, "_delta_log", "00000000000000000000.json")) {
			t.Errorf("location %q: no quarantine table at %s", c.location, c.want)
		}
	}
}
