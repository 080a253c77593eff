package delta

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
)

// benchStore is an in-memory storage.Storage so that the benchmark
// measures encoding, not the disk. Only Put is used by the writers.
type benchStore struct {
	mu    sync.Mutex
	bytes int64
}

func (s *benchStore) List(context.Context, string) ([]storage.FileInfo, error) { return nil, nil }
func (s *benchStore) ListFrom(context.Context, string, string) ([]storage.FileInfo, error) {
	return nil, nil
}
func (s *benchStore) Read(context.Context, string) ([]byte, error) { return nil, storage.ErrNotExist }
func (s *benchStore) Stat(context.Context, string) (storage.FileInfo, error) {
	return storage.FileInfo{}, storage.ErrNotExist
}
func (s *benchStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	return s.Put(ctx, name, data)
}
func (s *benchStore) Put(_ context.Context, _ string, data []byte) error {
	s.mu.Lock()
	s.bytes += int64(len(data))
	s.mu.Unlock()
	return nil
}
func (s *benchStore) Delete(context.Context, string) error { return nil }
func (s *benchStore) URL(name string) string               { return "mem://" + name }

const benchEventSchema = `{"type":"struct","fields":[
 {"name":"time","type":"timestamp","nullable":true,"metadata":{}},
 {"name":"action","type":"string","nullable":true,"metadata":{}},
 {"name":"device","type":"string","nullable":true,"metadata":{}},
 {"name":"value","type":"double","nullable":true,"metadata":{}}]}`

type benchEvent struct {
	Time   time.Time `parquet:"time,timestamp(microsecond)"`
	Action string    `parquet:"action"`
	Device string    `parquet:"device"`
	Value  float64   `parquet:"value"`
}

// BenchmarkWriteEvents writes batches of typical event rows {time,
// action, device, value} through WriteRows (generic Rows) and WriteTyped
// (generated structs), reporting rows/s, MB/s of row data encoded (8
// bytes per timestamp and double plus the string bytes) and the Parquet
// bytes written per batch.
func BenchmarkWriteEvents(b *testing.B) {
	const n = 100_000
	schema := mustSchema(b, benchEventSchema)
	actions := []string{"click", "view", "purchase", "scroll", "login"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var raw int64
	rows := make([]Row, n)
	typed := make([]benchEvent, n)
	for i := range n {
		e := benchEvent{
			Time:   base.Add(time.Duration(i) * 37 * time.Millisecond),
			Action: actions[i%len(actions)],
			Device: fmt.Sprintf("device-%04d", i%5000),
			Value:  float64(i%1000) * 0.25,
		}
		typed[i] = e
		raw += 16 + int64(len(e.Action)+len(e.Device))
		rows[i] = Row{e.Time, e.Action, e.Device, e.Value}
	}
	ctx := context.Background()
	for _, codec := range []string{"zstd", "snappy"} {
		b.Run("rows/"+codec, func(b *testing.B) {
			st := &benchStore{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := WriteRows(ctx, st, schema, nil, rows, WriterOptions{Compression: codec}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, st, n, raw)
		})
		b.Run("typed/"+codec, func(b *testing.B) {
			st := &benchStore{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := WriteTyped(ctx, st, schema, nil, typed, nil, WriterOptions{Compression: codec}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, st, n, raw)
		})
	}
}

func report(b *testing.B, st *benchStore, rowsPerOp int, rawBytes int64) {
	if b.N == 0 {
		return
	}
	b.SetBytes(rawBytes)
	b.ReportMetric(float64(st.bytes)/float64(b.N), "parquet-B/op")
	b.ReportMetric(float64(rowsPerOp)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
