package state

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// compactKeys returns n distinct keys: 2 actions × n/2 hourly windows.
func compactKeys(n int) []eventKey {
	keys := make([]eventKey, n)
	for i := range keys {
		a := "open"
		if i%2 == 1 {
			a = "close"
		}
		keys[i] = eventKey{Action: a, WindowStart: int64(i/2) * 3600e6}
	}
	return keys
}

// BenchmarkGetOrCreate updates the count of existing keys, the hot path
// of a windowed count: one op is one row.
func BenchmarkGetOrCreate(b *testing.B) {
	for _, n := range []int{16, 10_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			st, _ := newLocal(b)
			s := openCounts(b, st, 0)
			keys := compactKeys(n)
			for _, k := range keys {
				s.GetOrCreate(k)
			}
			// A pseudo-random row order over the keys.
			order := make([]int32, 1<<16)
			x := uint32(1)
			for i := range order {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				order[i] = int32(x % uint32(n))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.GetOrCreate(keys[order[i&(len(order)-1)]]).N++
				i++
			}
		})
	}
}

// BenchmarkCommit commits a delta of 100k changed keys (out of 1M).
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	st, _ := newLocal(b)
	s := openCounts(b, st, 0, SnapshotInterval(1<<30))
	keys := compactKeys(1_000_000)
	for _, k := range keys {
		s.GetOrCreate(k)
	}
	if err := s.Commit(ctx, 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	v := int64(2)
	for b.Loop() {
		for _, k := range keys[:100_000] {
			s.GetOrCreate(k).N++
		}
		if err := s.Commit(ctx, v); err != nil {
			b.Fatal(err)
		}
		v++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/key")
}

// BenchmarkLoadSnapshot loads a snapshot of 1M keys.
func BenchmarkLoadSnapshot(b *testing.B) {
	ctx := context.Background()
	st, _ := newLocal(b)
	s := openCounts(b, st, 0, SnapshotInterval(1))
	for i, k := range compactKeys(1_000_000) {
		s.GetOrCreate(k).N = int64(i)
	}
	if err := s.Commit(ctx, 1); err != nil {
		b.Fatal(err)
	}
	fi, err := st.Stat(ctx, "1.snapshot")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := openCounts(b, st, 1)
		if r.Len() != 1_000_000 {
			b.Fatal(r.Len())
		}
	}
	b.ReportMetric(float64(fi.Size), "file-bytes")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/key")
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// measureBytesPerKey inserts n keys with a count in a new store and returns
// the heap growth and the store's estimate, per key.
func measureBytesPerKey[K comparable, V any, KP Codec[K], VP Codec[V]](tb testing.TB, keys func(i int) K, n int) (measured, estimated float64) {
	st, _ := newLocal(tb)
	before := heapInUse()
	s, err := Open[K, V, KP, VP](context.Background(), st, 0)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		s.GetOrCreate(keys(i))
	}
	after := heapInUse()
	est := s.Metrics().MemoryUsedBytes
	runtime.KeepAlive(s)
	return float64(after-before) / float64(n), float64(est) / float64(n)
}

// TestBytesPerKey measures the memory per key of a windowed count (the
// compact events key and a count) and checks MemoryUsedBytes against it.
func TestBytesPerKey(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1M keys")
	}
	for _, n := range []int{100_000, 1_000_000} {
		// Windows in microseconds; a fresh action string per key, as
		// from a decoder's arena.
		buf := []byte("openclose")
		measured, est := measureBytesPerKey[eventKey, countState](t, func(i int) eventKey {
			a := buf[:4]
			if i%2 == 1 {
				a = buf[4:]
			}
			return eventKey{Action: string(a), WindowStart: int64(i/2) * 3600e6}
		}, n)
		t.Logf("%d keys: events key + count: %.1f bytes/key measured, %.1f estimated", n, measured, est)
		if est < measured*0.8 || est > measured*1.2 {
			t.Errorf("%d keys: estimate %.1f bytes/key, measured %.1f", n, est, measured)
		}
	}
}

// BenchmarkBaselineMap is the plain Go map the store's hot path is
// measured against: map[eventKey]*countState, look up and increment.
func BenchmarkBaselineMap(b *testing.B) {
	for _, n := range []int{16, 10_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := compactKeys(n)
			m := make(map[eventKey]*countState)
			for _, k := range keys {
				m[k] = new(countState)
			}
			order := make([]int32, 1<<16)
			x := uint32(1)
			for i := range order {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				order[i] = int32(x % uint32(n))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m[keys[order[i&(len(order)-1)]]].N++
				i++
			}
		})
	}
}
