package state

import (
	"math/bits"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// keyMode says how a key type is held in the index.
type keyMode int

const (
	// keyDirect: the key struct itself is the map key; == on it is
	// equality of its encodings (integers, bools, strings, normalized
	// times, and arrays and structs of those). Strings are cloned when
	// a key is inserted, since callers' keys may share a decoder's
	// arena.
	keyDirect keyMode = iota
	// keyEncoded: the key's binary encoding is the map key, because ==
	// on the struct is not equality of keys (pointers for nullable
	// fields, floats with NaN and -0, interfaces).
	keyEncoded
)

var timeType = reflect.TypeFor[time.Time]()

// keyLayout describes a key type: its mode and, for direct keys, where its
// strings are (byte offsets of string fields, to clone and to size them).
type keyLayout struct {
	mode    keyMode
	strings []uintptr
}

func layoutOf[K any]() keyLayout {
	var l keyLayout
	if !l.walk(reflect.TypeFor[K](), 0) {
		return keyLayout{mode: keyEncoded}
	}
	return l
}

// walk collects the string offsets in t (at offset off) and reports whether
// t is usable as a direct key.
func (l *keyLayout) walk(t reflect.Type, off uintptr) bool {
	if t == timeType {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	case reflect.String:
		l.strings = append(l.strings, off)
		return true
	case reflect.Array:
		for i := range t.Len() {
			if !l.walk(t.Elem(), off+uintptr(i)*t.Elem().Size()) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !l.walk(f.Type, off+f.Offset) {
				return false
			}
		}
		return true
	}
	return false
}

// own makes the strings of k (a direct key) its own copies.
func (l *keyLayout) own(k unsafe.Pointer) {
	for _, off := range l.strings {
		p := (*string)(unsafe.Add(k, off))
		*p = strings.Clone(*p)
	}
}

// heapBytes estimates the heap memory the strings of k (a direct key) hold.
func (l *keyLayout) heapBytes(k unsafe.Pointer) int64 {
	var n int64
	for _, off := range l.strings {
		n += allocBytes(len(*(*string)(unsafe.Add(k, off))))
	}
	return n
}

// allocBytes estimates the heap memory of an allocation of n pointer-free
// bytes: small strings share 16-byte blocks (Go's tiny allocator), larger
// ones are rounded up to 16 bytes like most of Go's size classes.
func allocBytes(n int) int64 {
	if n == 0 {
		return 0
	}
	if n < 16 {
		return int64(n)
	}
	return int64((n + 15) &^ 15)
}

// mapBytes estimates the memory of a Go map (Swiss tables, Go 1.24+) that
// has held at most peak entries of slotSize bytes each (key and value with
// padding). Entries live in groups of 8 slots with an 8-byte control word,
// in tables of up to 1024 slots filled to at most 7/8; a small table doubles
// when full, a full 1024-slot table splits in two, so a large map holds
// between 7/16 and 7/8 of its slots (hashing fills the tables evenly, so
// they split together). A table's 128 groups take 128*(8+8*slotSize) bytes,
// rounded up to the allocator's size class or 8 KiB pages. Maps never
// shrink, hence the peak.
func mapBytes(peak int, slotSize uintptr) int64 {
	const header = 48
	group := 8 + 8*int64(slotSize)
	switch {
	case peak == 0:
		return header
	case peak <= 8:
		return header + allocSize(group)
	case peak <= 896:
		slots := int64(1) << bits.Len64(uint64(peak*8/7))
		return header + 48 + allocSize(slots/8*group)
	}
	tables := int64(1) << bits.Len64(uint64((peak-1)/896))
	return header + tables*(48+8+allocSize(128*group))
}

// allocSize estimates the size of a heap allocation of n bytes: small
// sizes are rounded to a size class (classes are about 1/8 apart), large
// ones to 8 KiB pages.
func allocSize(n int64) int64 {
	if n > 32<<10 {
		return (n + 8191) &^ 8191
	}
	if n <= 128 {
		return (n + 15) &^ 15
	}
	step := int64(1) << (bits.Len64(uint64(n-1)) - 3)
	return (n + step - 1) / step * step
}

// slotSize is the size of a map slot holding a key of type K and an int32.
func slotSize[K any]() uintptr {
	type slot struct {
		k K
		i int32
	}
	return unsafe.Sizeof(slot{})
}

// hasPointers reports whether values of t hold pointers other than a
// time.Time's location (whose memory is shared), so their memory can grow
// beyond their size.
func hasPointers(t reflect.Type) bool {
	if t == timeType {
		return false
	}
	switch t.Kind() {
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.String, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface,
		reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	}
	return false
}
