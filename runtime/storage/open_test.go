package storage

import (
	"context"
	"io"
	"testing"
)

// readOnly hides Local's Open: Open falls back to Read.
type readOnly struct{ Storage }

func TestOpen(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "d/a.json", []byte("hello\nworld")); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]Storage{"local": l, "fallback": readOnly{l}} {
		r, err := Open(ctx, s, "d/a.json")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := io.ReadAll(r)
		if err != nil || string(b) != "hello\nworld" {
			t.Errorf("%s: read %q, %v", name, b, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("%s: close: %v", name, err)
		}
		if _, err := Open(ctx, s, "d/missing.json"); !IsNotExist(err) {
			t.Errorf("%s: opening a missing object: %v, want ErrNotExist", name, err)
		}
	}
	// The open file keeps its content when the object is replaced.
	r, err := l.Open(ctx, "d/a.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := l.Put(ctx, "d/a.json", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(r); err != nil || string(b) != "hello\nworld" {
		t.Errorf("after a replace: read %q, %v", b, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Open(cctx, "d/a.json"); err == nil {
		t.Error("Open with a cancelled context succeeded")
	}
}
