package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Local is a [Storage] on a local filesystem directory.
//
// PutIfAbsent writes a temporary file beside the target, syncs it and
// hard-links it into place: link(2) fails with EEXIST if the name is taken,
// so exactly one of several racing writers (threads or processes) wins, and
// a reader never observes a partially written file. Temporary files are
// named ".<name>.<random>.tmp" and are never listed.
type Local struct {
	root string
}

var (
	_ Storage = (*Local)(nil)
	_ Opener  = (*Local)(nil)
)

// NewLocal returns a Local store rooted at dir. The directory is created on
// the first write if it does not exist.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: resolve %q: %w", dir, err)
	}
	return &Local{root: abs}, nil
}

// Root returns the absolute directory the store is rooted at.
func (l *Local) Root() string { return l.root }

// URL returns the absolute filesystem path of name.
func (l *Local) URL(name string) string { return l.path(name) }

func (l *Local) path(name string) string {
	return filepath.Join(l.root, filepath.FromSlash(name))
}

// isTemp reports whether base is one of our in-flight temporary files.
func isTemp(base string) bool {
	return strings.HasPrefix(base, ".") && strings.HasSuffix(base, ".tmp")
}

// List implements [Storage.List].
func (l *Local) List(ctx context.Context, prefix string) ([]FileInfo, error) {
	dir := prefix
	if !strings.HasSuffix(prefix, "/") {
		dir = path.Dir(prefix)
		if dir == "." {
			dir = ""
		}
	}
	start := l.path(dir)
	var out []FileInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || isTemp(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while listing
			}
			return err
		}
		out = append(out, FileInfo{Name: name, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list %s: %w", l.path(prefix), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListFrom implements [Storage.ListFrom].
func (l *Local) ListFrom(ctx context.Context, dir, start string) ([]FileInfo, error) {
	dir = strings.TrimSuffix(dir, "/")
	entries, err := os.ReadDir(l.path(dir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("storage: list %s: %w", l.path(dir), err)
	}
	var out []FileInfo
	for _, e := range entries {
		if e.IsDir() || isTemp(e.Name()) || e.Name() < start {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("storage: stat %s: %w", e.Name(), err)
		}
		name := e.Name()
		if dir != "" {
			name = dir + "/" + name
		}
		out = append(out, FileInfo{Name: name, Size: info.Size(), ModTime: info.ModTime()})
	}
	// os.ReadDir already sorts by name; keep the contract explicit.
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, ctx.Err()
}

// Read implements [Storage.Read].
func (l *Local) Read(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(l.path(name))
	if err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", l.path(name), err)
	}
	return b, nil
}

// Open implements [Opener]: it opens the file of name, which keeps its
// content for the reader even if it is replaced or deleted meanwhile.
func (l *Local) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path(name))
	if err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", l.path(name), err)
	}
	return f, nil
}

// Stat implements [Storage.Stat].
func (l *Local) Stat(ctx context.Context, name string) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	info, err := os.Stat(l.path(name))
	if err != nil {
		return FileInfo{}, fmt.Errorf("storage: stat %s: %w", l.path(name), err)
	}
	if info.IsDir() {
		return FileInfo{}, fmt.Errorf("storage: stat %s: is a directory: %w", l.path(name), ErrNotExist)
	}
	return FileInfo{Name: name, Size: info.Size(), ModTime: info.ModTime()}, nil
}

// writeTemp writes data to a synced temporary file beside target and
// returns its path.
func writeTemp(target string, data []byte) (string, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(target)+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// syncDir makes a directory entry change durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// PutIfAbsent implements [Storage.PutIfAbsent].
func (l *Local) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	target := l.path(name)
	tmp, err := writeTemp(target, data)
	if err != nil {
		return fmt.Errorf("storage: put %s: %w", target, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("storage: put %s: %w", target, ErrExist)
		}
		return fmt.Errorf("storage: put %s: %w", target, err)
	}
	syncDir(filepath.Dir(target))
	return nil
}

// Put implements [Storage.Put].
func (l *Local) Put(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	target := l.path(name)
	tmp, err := writeTemp(target, data)
	if err != nil {
		return fmt.Errorf("storage: put %s: %w", target, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: put %s: %w", target, err)
	}
	syncDir(filepath.Dir(target))
	return nil
}

// Delete implements [Storage.Delete].
func (l *Local) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(l.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: delete %s: %w", l.path(name), err)
	}
	return nil
}
