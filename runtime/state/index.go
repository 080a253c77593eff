package state

import (
	"hash/maphash"
	"unsafe"
)

// index maps keys of type IK (a Store's key type, or the string of a key's
// encoding) to value slots: an open-addressing hash table with linear
// probing over 8-byte entries, and the keys themselves in chunks indexed
// by slot, beside the Store's value chunks.
//
// An entry is the low 32 bits of the key's hash (its tag) in its high half
// and the slot+1 in its low half; 0 is empty. A key's home is its tag
// masked to the table's size, so the table grows and entries are removed
// (by shifting the following entries back, no tombstones) from the tags
// alone, without hashing keys again. A lookup compares tags along the
// probe sequence and reads a key only when the tags are equal. The table
// is at most 3/4 full: 8/0.75 to 8/0.375 bytes per key, plus the key.
type index[IK comparable] struct {
	seed maphash.Seed
	ents []uint64
	mask uint32
	n    int
	keys []*[chunkSize]IK
}

const (
	indexMinSize = 16
	slotMask     = 1<<32 - 1
)

func newIndex[IK comparable](seed maphash.Seed) *index[IK] {
	return &index[IK]{seed: seed}
}

func (x *index[IK]) hash(k *IK) uint32 { return uint32(maphash.Comparable(x.seed, *k)) }

// key returns the key of slot i; the slot's chunk must exist (grow).
func (x *index[IK]) key(i int32) *IK { return &x.keys[i>>chunkBits][i&chunkMask] }

// grow makes room for the keys of slots below chunks*chunkSize.
func (x *index[IK]) grow(chunks int) {
	for len(x.keys) < chunks {
		x.keys = append(x.keys, new([chunkSize]IK))
	}
}

// find returns the slot of k, whose hash is h.
func (x *index[IK]) find(k *IK, h uint32) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	tag := uint64(h) << 32
	for p := h & x.mask; ; p = (p + 1) & x.mask {
		e := x.ents[p]
		if e == 0 {
			return 0, false
		}
		if e&^slotMask == tag {
			i := int32(e&slotMask) - 1
			if *x.key(i) == *k {
				return i, true
			}
		}
	}
}

// insert adds k, absent, with hash h at slot i (whose chunk exists).
func (x *index[IK]) insert(k *IK, h uint32, i int32) {
	if (x.n+1)*4 > len(x.ents)*3 {
		x.resize(max(indexMinSize, 2*len(x.ents)))
	}
	*x.key(i) = *k
	x.put(uint64(h)<<32 | uint64(i+1))
	x.n++
}

// reserve sizes the table for n keys.
func (x *index[IK]) reserve(n int) {
	size := indexMinSize
	for n*4 > size*3 {
		size *= 2
	}
	if size > len(x.ents) {
		x.resize(size)
	}
}

func (x *index[IK]) put(e uint64) {
	p := uint32(e>>32) & x.mask
	for x.ents[p] != 0 {
		p = (p + 1) & x.mask
	}
	x.ents[p] = e
}

func (x *index[IK]) resize(size int) {
	old := x.ents
	x.ents = make([]uint64, size)
	x.mask = uint32(size - 1)
	for _, e := range old {
		if e != 0 {
			x.put(e)
		}
	}
}

// remove deletes the entry of slot i, whose key has hash h, and zeroes the
// slot's key.
func (x *index[IK]) remove(h uint32, i int32) {
	want := uint64(h)<<32 | uint64(i+1)
	p := h & x.mask
	for x.ents[p] != want {
		p = (p + 1) & x.mask
	}
	// Shift back the entries after p that may not sit at or before their
	// home (Knuth's algorithm R).
	for q := (p + 1) & x.mask; ; q = (q + 1) & x.mask {
		e := x.ents[q]
		if e == 0 {
			break
		}
		home := uint32(e>>32) & x.mask
		// e stays if its home lies cyclically in (p, q].
		if (q-home)&x.mask < (q-p)&x.mask {
			continue
		}
		x.ents[p] = e
		p = q
	}
	x.ents[p] = 0
	x.n--
	var zero IK
	*x.key(i) = zero
}

// memory returns the bytes the table and the key chunks take.
func (x *index[IK]) memory() int64 {
	return int64(cap(x.ents))*8 + int64(len(x.keys))*int64(unsafe.Sizeof([chunkSize]IK{})) + int64(cap(x.keys))*8
}
