package state

import (
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// TestIndexCollisions drives the hash table with chosen hashes (few
// distinct homes, so long probe runs wrap around the table) through random
// inserts and removals, checking every key against a map after each step.
func TestIndexCollisions(t *testing.T) {
	for _, homes := range []uint32{1, 3, 64, 1 << 20} {
		rng := rand.New(rand.NewPCG(uint64(homes), 2))
		x := newIndex[int64](maphash.MakeSeed())
		model := map[int64]int32{} // key -> slot
		hash := func(k int64) uint32 { return uint32(k*0x9e3779b1) % homes * 0x10001 }
		var free []int32
		next := int32(0)
		for step := range 3000 {
			k := int64(rng.IntN(200))
			h := hash(k)
			i, ok := x.find(&k, h)
			if mi, mok := model[k]; ok != mok || (ok && i != mi) {
				t.Fatalf("homes %d step %d: find(%d) = %d, %v; want %d, %v", homes, step, k, i, ok, mi, mok)
			}
			if ok {
				x.remove(h, i)
				delete(model, k)
				free = append(free, i)
			} else {
				var slot int32
				if n := len(free); n > 0 {
					slot, free = free[n-1], free[:n-1]
				} else {
					slot = next
					next++
					x.grow(int(next+chunkSize-1) / chunkSize)
				}
				x.insert(&k, h, slot)
				model[k] = slot
			}
			if x.n != len(model) {
				t.Fatalf("homes %d step %d: n %d, want %d", homes, step, x.n, len(model))
			}
			for mk, mi := range model {
				if i, ok := x.find(&mk, hash(mk)); !ok || i != mi || *x.key(i) != mk {
					t.Fatalf("homes %d step %d: key %d lost", homes, step, mk)
				}
			}
		}
	}
}
