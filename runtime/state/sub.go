package state

import (
	"context"
	"path"
	"strconv"
	"strings"

	"github.com/streamgen/streamgen/runtime/storage"
)

// stateDir is the checkpoint's state directory (checkpoint.StateDir; not
// imported, so that the checkpoint package may import this one).
const stateDir = "state"

// Dir returns the directory of one partition of one stateful operator in a
// checkpoint, relative to the checkpoint's root: state/<operatorID>/<partition>,
// as Spark lays it out. streamgen runs one partition, 0.
func Dir(operatorID, partition int) string {
	return path.Join(stateDir, strconv.Itoa(operatorID), strconv.Itoa(partition))
}

// Sub returns the store st seen from its directory dir: names are relative
// to dir, and URL names the full location. Open takes the store of one
// operator's partition, Sub(checkpointStore, Dir(op, 0)).
func Sub(st storage.Storage, dir string) storage.Storage {
	dir = strings.Trim(dir, "/")
	if dir == "" {
		return st
	}
	return &sub{st: st, dir: dir + "/"}
}

type sub struct {
	st  storage.Storage
	dir string
}

func (s *sub) name(n string) string { return s.dir + strings.TrimPrefix(n, "/") }

func (s *sub) strip(infos []storage.FileInfo) []storage.FileInfo {
	for i := range infos {
		infos[i].Name = strings.TrimPrefix(infos[i].Name, s.dir)
	}
	return infos
}

func (s *sub) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	infos, err := s.st.List(ctx, s.name(prefix))
	return s.strip(infos), err
}

func (s *sub) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	d := strings.TrimSuffix(s.name(dir), "/")
	infos, err := s.st.ListFrom(ctx, d, start)
	return s.strip(infos), err
}

func (s *sub) Read(ctx context.Context, name string) ([]byte, error) {
	return s.st.Read(ctx, s.name(name))
}

func (s *sub) Stat(ctx context.Context, name string) (storage.FileInfo, error) {
	fi, err := s.st.Stat(ctx, s.name(name))
	fi.Name = strings.TrimPrefix(fi.Name, s.dir)
	return fi, err
}

func (s *sub) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	return s.st.PutIfAbsent(ctx, s.name(name), data)
}

func (s *sub) Put(ctx context.Context, name string, data []byte) error {
	return s.st.Put(ctx, s.name(name), data)
}

func (s *sub) Delete(ctx context.Context, name string) error {
	return s.st.Delete(ctx, s.name(name))
}

func (s *sub) URL(name string) string { return s.st.URL(s.name(name)) }
