package deltasink_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// t0 is the fixed commit clock of the tests: 2026-01-01T10:00:00Z,
// 1767261600000 ms.
var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

const queryID = "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// reading is the row of the append and complete tests.
type reading struct {
	Device string    `parquet:"device"`
	Status string    `parquet:"status"`
	TS     time.Time `parquet:"ts,timestamp(microsecond)"`
}

const readingSchema = `{"type":"struct","fields":[` +
	`{"name":"device","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"status","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"ts","type":"timestamp","nullable":true,"metadata":{}}]}`

func rd(dev, status string, sec int) reading {
	return reading{Device: dev, Status: status, TS: t0.Add(time.Duration(sec) * time.Second)}
}

// readingRow is a reading as the table returns it.
func readingRow(r reading) delta.Row { return delta.Row{r.Device, r.Status, r.TS} }

func mustSchema(t *testing.T, s string) *delta.StructType {
	t.Helper()
	schema, err := delta.ParseSchema(s)
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// ids hands out "id-1", "id-2", ... for commitInfo.txnId and metaData.id.
func ids() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("id-%d", n.Add(1)) }
}

// newTable opens a table in a fresh directory with a fixed commit clock
// and predictable IDs.
func newTable(t *testing.T) (*delta.Table, string) {
	t.Helper()
	dir := t.TempDir()
	return openTable(t, dir), dir
}

func openTable(t *testing.T, dir string) *delta.Table {
	t.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return openOn(store)
}

func openOn(store storage.Storage) *delta.Table {
	return delta.Open(store).WithCommitOptions(delta.CommitOptions{
		Clock: func() time.Time { return t0 }, NewID: ids(), EngineInfo: "streamgen/test", Logger: discard,
	})
}

// fixedWriter gives data files a fixed modificationTime.
var fixedWriter = delta.WriterOptions{Now: func() time.Time { return t0.Add(-time.Second) }}

var uuidRE = regexp.MustCompile(`-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-c000`)

// commitLines returns commit version v of the table in dir, one action a
// line, with the random part of data file names replaced by UUID.
func commitLines(t *testing.T, dir string, v int64) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, delta.CommitFileName(v)))
	if err != nil {
		t.Fatal(err)
	}
	return uuidRE.ReplaceAllString(string(data), "-UUID-c000")
}

// hasCommit reports whether version v exists.
func hasCommit(dir string, v int64) bool {
	_, err := os.Stat(filepath.Join(dir, delta.CommitFileName(v)))
	return err == nil
}

// tableRows returns the rows of the table's latest snapshot, sorted by
// their printed form.
func tableRows(t *testing.T, table *delta.Table) []delta.Row {
	t.Helper()
	snap, err := table.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sortRows(rows)
}

func sortRows(rows []delta.Row) []delta.Row {
	rows = slices.Clone(rows)
	sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
	return rows
}

// parquetFiles lists the data files under dir (committed or not), as
// paths relative to dir.
func parquetFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".parquet") && !strings.Contains(p, delta.LogDir) {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// hookStore is a store whose commit writes (PutIfAbsent under
// _delta_log/) run a hook first; the hook may fail the write.
type hookStore struct {
	storage.Storage
	mu   sync.Mutex
	hook func(name string) error
}

func (h *hookStore) setHook(f func(name string) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hook = f
}

func (h *hookStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	h.mu.Lock()
	hook := h.hook
	h.mu.Unlock()
	if hook != nil && strings.HasPrefix(name, delta.LogDir+"/") {
		if err := hook(name); err != nil {
			return err
		}
	}
	return h.Storage.PutIfAbsent(ctx, name, data)
}
