package state

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/streamgen/streamgen/runtime/storage"
)

type countStore = Store[eventKey, countState, *eventKey, *countState]

func newLocal(t testing.TB) (*storage.Local, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st, dir
}

func openCounts(t testing.TB, st storage.Storage, v int64, opts ...Opt) *countStore {
	t.Helper()
	s, err := Open[eventKey, countState](context.Background(), st, v, opts...)
	if err != nil {
		t.Fatalf("open version %d: %v", v, err)
	}
	return s
}

func contents(s *countStore) map[eventKey]int64 {
	m := map[eventKey]int64{}
	for k, v := range s.All() {
		m[k] = v.N
	}
	return m
}

func checkContents(t *testing.T, what string, s *countStore, want map[eventKey]int64) {
	t.Helper()
	got := contents(s)
	if !maps.Equal(got, want) {
		t.Fatalf("%s: state has %d keys, model %d:\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
	if s.Len() != len(want) {
		t.Fatalf("%s: Len %d, want %d", what, s.Len(), len(want))
	}
	for k, n := range want {
		if v, ok := s.Get(k); !ok || v.N != n {
			t.Fatalf("%s: Get(%v) = %v, %v; want %d", what, k, v, ok, n)
		}
	}
}

// arenaKey returns a key whose action string lives in buf, like a key from
// a decoder's arena; the caller overwrites buf afterwards.
func arenaKey(buf []byte, action string, w int64) eventKey {
	n := copy(buf, action)
	return eventKey{Action: unsafe.String(&buf[0], n), WindowStart: w}
}

// TestModel runs random updates and deletes over many versions and compares
// the store with a plain map, while running and when loading every version.
func TestModel(t *testing.T) {
	ctx := context.Background()
	actions := []string{"open", "close", "view", "a-much-longer-action-name-than-the-others"}
	for seed := range uint64(4) {
		for _, interval := range []int{1, 3, 10} {
			t.Run(fmt.Sprintf("seed%d/interval%d", seed, interval), func(t *testing.T) {
				st, _ := newLocal(t)
				rng := rand.New(rand.NewPCG(seed, uint64(interval)))
				s := openCounts(t, st, 0, SnapshotInterval(interval))
				model := map[eventKey]int64{}
				history := []map[eventKey]int64{maps.Clone(model)}
				buf := make([]byte, 64)
				const versions = 40
				for v := int64(1); v <= versions; v++ {
					updated := map[eventKey]bool{}
					removed := 0
					for range rng.IntN(60) {
						k := arenaKey(buf, actions[rng.IntN(len(actions))], int64(rng.IntN(15)))
						mk := eventKey{Action: strings.Clone(k.Action), WindowStart: k.WindowStart}
						if rng.IntN(4) == 0 {
							_, had := model[mk]
							if got := s.Delete(k); got != had {
								t.Fatalf("Delete(%v) = %v, want %v", mk, got, had)
							}
							if had {
								removed++
							}
							delete(model, mk)
							delete(updated, mk)
						} else {
							d := rng.Int64N(10) + 1
							s.GetOrCreate(k).N += d
							model[mk] += d
							updated[mk] = true
						}
						copy(buf, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
					}
					checkContents(t, fmt.Sprintf("version %d before commit", v), s, model)
					gotUpdated := map[eventKey]bool{}
					for k, val := range s.Updated() {
						gotUpdated[k] = true
						if val.N != model[k] {
							t.Fatalf("Updated: %v has %d, want %d", k, val.N, model[k])
						}
					}
					if !maps.Equal(gotUpdated, updated) {
						t.Fatalf("version %d: Updated() = %v, want %v", v, gotUpdated, updated)
					}
					m := s.Metrics()
					if m.NumRowsTotal != int64(len(model)) || m.NumRowsUpdated != int64(len(updated)) || m.NumRowsRemoved != int64(removed) {
						t.Fatalf("version %d: metrics %+v, want total %d updated %d removed %d", v, m, len(model), len(updated), removed)
					}
					if m.MemoryUsedBytes <= 0 {
						t.Fatalf("MemoryUsedBytes %d", m.MemoryUsedBytes)
					}
					if err := s.Commit(ctx, v); err != nil {
						t.Fatal(err)
					}
					if s.Version() != v {
						t.Fatalf("Version() = %d after commit %d", s.Version(), v)
					}
					if m := s.Metrics(); m.NumRowsUpdated != 0 || m.NumRowsRemoved != 0 {
						t.Fatalf("metrics after commit: %+v", m)
					}
					history = append(history, maps.Clone(model))
				}
				for v := range int64(versions + 1) {
					r := openCounts(t, st, v, SnapshotInterval(interval))
					checkContents(t, fmt.Sprintf("load version %d", v), r, history[v])
				}
				// Reload the running store at random versions and go on.
				for range 5 {
					v := rng.Int64N(versions + 1)
					if err := s.Reload(ctx, v); err != nil {
						t.Fatal(err)
					}
					checkContents(t, fmt.Sprintf("reload version %d", v), s, history[v])
				}
				// Snapshots are where the interval says.
				for v := int64(1); v <= versions; v++ {
					_, err := st.Stat(ctx, fileName(kindSnapshot, v))
					if want := v%int64(interval) == 0; want != (err == nil) {
						t.Errorf("%d.snapshot exists: %v, want %v", v, err == nil, want)
					}
				}
			})
		}
	}
}

// TestEncodedKeys uses a key with a nullable (pointer) field: keys equal by
// value but with different pointers are the same key.
func TestEncodedKeys(t *testing.T) {
	ctx := context.Background()
	st, _ := newLocal(t)
	s, err := Open[nullKey, setState](ctx, st, 0, SnapshotInterval(2))
	if err != nil {
		t.Fatal(err)
	}
	if s.layout.mode != keyEncoded {
		t.Fatalf("mode %v, want keyEncoded", s.layout.mode)
	}
	str := func(s string) *string { return &s }
	s.GetOrCreate(nullKey{Name: str("x"), ID: 1}).add("a")
	s.GetOrCreate(nullKey{Name: str("x"), ID: 1}).add("b")
	s.GetOrCreate(nullKey{ID: 1}).add("c")
	if s.Len() != 2 {
		t.Fatalf("Len %d, want 2", s.Len())
	}
	if v, ok := s.Get(nullKey{Name: str("x"), ID: 1}); !ok || len(v.m) != 2 {
		t.Fatalf("Get = %v, %v", v, ok)
	}
	before := s.Metrics().MemoryUsedBytes
	for i := range 100 {
		s.GetOrCreate(nullKey{ID: 1}).add(fmt.Sprint(i))
	}
	if after := s.Metrics().MemoryUsedBytes; after < before+100*32 {
		t.Errorf("memory %d after adding 100 set members, %d before: SizeBytes not counted", after, before)
	}
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if !s.Delete(nullKey{Name: str("x"), ID: 1}) {
		t.Fatal("Delete found nothing")
	}
	s.GetOrCreate(nullKey{Name: str("y"), ID: 2}).add("d")
	if err := s.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for v, want := range []map[string]int{{}, {"x/1": 2, "<nil>/1": 101}, {"<nil>/1": 101, "y/2": 1}} {
		r, err := Open[nullKey, setState](ctx, st, int64(v))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for k, val := range r.All() {
			name := "<nil>"
			if k.Name != nil {
				name = *k.Name
			}
			got[fmt.Sprintf("%s/%d", name, k.ID)] = len(val.m)
		}
		if !maps.Equal(got, want) {
			t.Errorf("version %d: %v, want %v", v, got, want)
		}
	}
}

func TestSortedAndDeleteFunc(t *testing.T) {
	st, _ := newLocal(t)
	s := openCounts(t, st, 0)
	for w := range int64(10) {
		s.GetOrCreate(eventKey{"b", 9 - w}).N = w
		s.GetOrCreate(eventKey{"a", w}).N = w
	}
	var got []eventKey
	for k := range s.Sorted(func(a, b eventKey) int {
		if c := strings.Compare(a.Action, b.Action); c != 0 {
			return c
		}
		return int(a.WindowStart - b.WindowStart)
	}) {
		got = append(got, k)
	}
	if len(got) != 20 || got[0] != (eventKey{"a", 0}) || got[19] != (eventKey{"b", 9}) ||
		!slices.IsSortedFunc(got[:10], func(a, b eventKey) int { return int(a.WindowStart - b.WindowStart) }) {
		t.Fatalf("Sorted: %v", got)
	}
	// Evict windows before 5, as a watermark would.
	if n := s.DeleteFunc(func(k eventKey, _ *countState) bool { return k.WindowStart < 5 }); n != 10 {
		t.Fatalf("DeleteFunc deleted %d, want 10", n)
	}
	if s.Len() != 10 || s.Metrics().NumRowsRemoved != 10 {
		t.Fatalf("Len %d, metrics %+v", s.Len(), s.Metrics())
	}
}

// TestPointersStable checks that values do not move as keys are added,
// deleted and committed.
func TestPointersStable(t *testing.T) {
	st, _ := newLocal(t)
	s := openCounts(t, st, 0)
	p := s.GetOrCreate(eventKey{"open", 0})
	p.N = 42
	for i := range int64(5000) {
		s.GetOrCreate(eventKey{"x", i}).N = i
		if i%3 == 0 {
			s.Delete(eventKey{"x", i / 2})
		}
	}
	if err := s.Commit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if q := s.GetOrCreate(eventKey{"open", 0}); q != p || q.N != 42 {
		t.Fatalf("value moved: %p %p %d", p, q, q.N)
	}
}

func TestGetOrCreateNoAllocs(t *testing.T) {
	st, _ := newLocal(t)
	s := openCounts(t, st, 0)
	keys := []eventKey{{"open", 1}, {"close", 1}, {"open", 2}}
	for _, k := range keys {
		s.GetOrCreate(k)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, k := range keys {
			s.GetOrCreate(k).N++
		}
	})
	if allocs != 0 {
		t.Errorf("GetOrCreate of existing keys: %v allocs, want 0", allocs)
	}
}

func TestPurge(t *testing.T) {
	ctx := context.Background()
	st, dir := newLocal(t)
	s := openCounts(t, st, 0, SnapshotInterval(4))
	history := []map[eventKey]int64{{}}
	for v := int64(1); v <= 25; v++ {
		s.GetOrCreate(eventKey{"open", v % 7}).N += v
		if v%5 == 0 {
			s.Delete(eventKey{"open", (v + 3) % 7})
		}
		if err := s.Commit(ctx, v); err != nil {
			t.Fatal(err)
		}
		history = append(history, contents(s))
	}
	if err := s.Purge(ctx, 13); err != nil {
		t.Fatal(err)
	}
	var names []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	var want []string
	for v := 12; v <= 24; v += 4 {
		want = append(want, fmt.Sprintf("%d.snapshot", v))
	}
	for v := 13; v <= 25; v++ {
		want = append(want, fmt.Sprintf("%d.delta", v))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("after Purge(13):\n got %v\nwant %v", names, want)
	}
	for v := int64(12); v <= 25; v++ {
		checkContents(t, fmt.Sprintf("version %d after purge", v), openCounts(t, st, v), history[v])
	}
	_, err := Open[eventKey, countState](ctx, st, 11)
	var me *MissingFileError
	if !errors.As(err, &me) || !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("load of purged version 11: %v", err)
	}
	wantMsg := "state: version 11 needs " + filepath.Join(dir, "1.delta") + ": not found"
	if !strings.HasPrefix(err.Error(), wantMsg) {
		t.Errorf("error %q, want prefix %q", err, wantMsg)
	}
	// The store never purges what its own version needs.
	r := openCounts(t, st, 14, SnapshotInterval(4))
	if err := r.Purge(ctx, 100); err != nil {
		t.Fatal(err)
	}
	checkContents(t, "version 14 after Purge(100) by a store at 14", openCounts(t, st, 14), history[14])
	// Purging again is a no-op.
	if err := Purge(ctx, st, 12); err != nil {
		t.Fatal(err)
	}
}

// TestRecommit re-runs a batch: the files of the crashed attempt are
// replaced, and a stale snapshot from it is removed.
func TestRecommit(t *testing.T) {
	ctx := context.Background()
	st, _ := newLocal(t)
	s := openCounts(t, st, 0, SnapshotInterval(3))
	for v := int64(1); v <= 3; v++ {
		s.GetOrCreate(eventKey{"open", v}).N = v
		if err := s.Commit(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	// Re-run batch 1 (state version 2), and batch 2 with another
	// snapshot interval, so 3.snapshot is stale.
	r := openCounts(t, st, 1, SnapshotInterval(10))
	r.GetOrCreate(eventKey{"close", 2}).N = 20
	if err := r.Commit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	r.GetOrCreate(eventKey{"close", 3}).N = 30
	if err := r.Commit(ctx, 3); err != nil {
		t.Fatal(err)
	}
	want := map[eventKey]int64{{"open", 1}: 1, {"close", 2}: 20, {"close", 3}: 30}
	checkContents(t, "version 3 after re-run", openCounts(t, st, 3), want)
	if _, err := st.Stat(ctx, "3.snapshot"); !storage.IsNotExist(err) {
		t.Errorf("stale 3.snapshot: %v", err)
	}
	if err := r.Commit(ctx, 5); err == nil || !strings.Contains(err.Error(), "the next version is 4") {
		t.Errorf("commit of version 5 at 3: %v", err)
	}
}

func TestOptions(t *testing.T) {
	st, _ := newLocal(t)
	if _, err := Open[eventKey, countState](context.Background(), st, 0, SnapshotInterval(0)); err == nil {
		t.Error("SnapshotInterval(0) accepted")
	}
	if _, err := Open[eventKey, countState](context.Background(), st, -1); err == nil {
		t.Error("version -1 accepted")
	}
	if _, err := Open[eventKey, countState](context.Background(), nil, 0); err == nil {
		t.Error("nil storage accepted")
	}
}

func TestSub(t *testing.T) {
	ctx := context.Background()
	root, dir := newLocal(t)
	st := Sub(root, Dir(3, 0))
	s := openCounts(t, st, 0)
	s.GetOrCreate(eventKey{"open", 1}).N = 1
	if err := s.Commit(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "3", "0", "1.delta")); err != nil {
		t.Fatal(err)
	}
	checkContents(t, "via Sub", openCounts(t, st, 1), map[eventKey]int64{{"open", 1}: 1})
	if got, want := st.URL("1.delta"), filepath.Join(dir, "state/3/0/1.delta"); got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
}
