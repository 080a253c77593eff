package delta

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
)

// heapSampler records the high-water mark of HeapInuse while it runs.
type heapSampler struct {
	max  atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.sample()
	h.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.sample()
			}
		}
	})
	return h
}

func (h *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for {
		old := h.max.Load()
		if ms.HeapInuse <= old || h.max.CompareAndSwap(old, ms.HeapInuse) {
			return
		}
	}
}

// Stop ends the sampling and returns the high-water mark in bytes.
func (h *heapSampler) Stop() uint64 {
	h.sample()
	close(h.stop)
	h.wg.Wait()
	return h.max.Load()
}

// BenchmarkTypedWriterStream streams event rows through a TypedWriter in
// chunks of 4,096 from one reused buffer (as a generated runner does),
// reporting rows/s, MB/s of row data, allocations and the high-water
// mark of HeapInuse above the heap in use before the write
// (heap-hwm-MB). STREAMGEN_BENCH_WRITER_ROWS sets the rows of an
// iteration (default 10M); the "local" store is a storage.Local in a
// temporary directory (files streamed to disk), "mem" an in-memory store
// (each file held until its Put).
func BenchmarkTypedWriterStream(b *testing.B) {
	n := 10_000_000
	if v := os.Getenv("STREAMGEN_BENCH_WRITER_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	const chunk = 4096
	schema := mustSchema(b, benchEventSchema)
	actions := []string{"click", "view", "purchase", "scroll", "login"}
	devices := make([]string, 5000)
	for i := range devices {
		devices[i] = "device-" + strconv.Itoa(10000 + i)[1:]
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for _, kind := range []string{"local", "mem"} {
		b.Run(kind, func(b *testing.B) {
			var raw int64
			var hwm uint64
			b.ReportAllocs()
			for b.Loop() {
				var store storage.Storage = &benchStore{}
				if kind == "local" {
					b.StopTimer()
					dir, err := os.MkdirTemp("", "typed-writer-bench-*")
					if err != nil {
						b.Fatal(err)
					}
					defer os.RemoveAll(dir)
					if store, err = storage.NewLocal(dir); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				before := ms.HeapInuse
				sampler := startHeapSampler(2 * time.Millisecond)
				w, err := NewTypedWriter(store, schema, TypedWriterOptions[benchEvent]{})
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]benchEvent, chunk)
				raw = 0
				for start := 0; start < n; start += chunk {
					rows := buf[:min(chunk, n-start)]
					for j := range rows {
						i := start + j
						rows[j] = benchEvent{
							Time:   base.Add(time.Duration(i) * 37 * time.Millisecond),
							Action: actions[i%len(actions)],
							Device: devices[i%len(devices)],
							Value:  float64(i%1000) * 0.25,
						}
						raw += 16 + int64(len(rows[j].Action)+len(rows[j].Device))
					}
					if err := w.Write(ctx, rows); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Close(ctx); err != nil {
					b.Fatal(err)
				}
				if m := sampler.Stop(); m > before && m-before > hwm {
					hwm = m - before
				}
			}
			b.SetBytes(raw)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(hwm)/(1<<20), "heap-hwm-MB")
		})
	}
}
