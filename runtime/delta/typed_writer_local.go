package delta

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/streamgen/streamgen/runtime/storage"
)

// localOut streams a data file of a [storage.Local] store to a hidden
// temporary file beside its final name, named as Local names its own
// (".<name>.<random>.tmp", skipped by listings and VACUUM), synced and
// renamed into place by commit, as Local.Put does.
type localOut struct {
	path   string // the name in the store
	target string
	tmp    string
	f      *os.File
	size   int64
}

func newLocalOut(l *storage.Local, name string) (*localOut, error) {
	target := filepath.Join(l.Root(), filepath.FromSlash(name))
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("delta: write %s: %w", target, err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("delta: write %s: %w", target, err)
	}
	tmp := filepath.Join(dir, "."+filepath.Base(target)+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("delta: write %s: %w", target, err)
	}
	return &localOut{path: name, target: target, tmp: tmp, f: f}, nil
}

func (o *localOut) Write(b []byte) (int, error) {
	n, err := o.f.Write(b)
	o.size += int64(n)
	return n, err
}

func (o *localOut) name() string { return o.path }

func (o *localOut) contents() (io.ReaderAt, int64) { return o.f, o.size }

func (o *localOut) commit(context.Context) error {
	err := o.f.Sync()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp, o.target)
	}
	if err != nil {
		os.Remove(o.tmp)
		return fmt.Errorf("delta: write %s: %w", o.target, err)
	}
	if d, err := os.Open(filepath.Dir(o.target)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func (o *localOut) discard() {
	o.f.Close()
	os.Remove(o.tmp)
}
