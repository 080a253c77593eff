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

// own makes the strings of k (a direct key) the store's own: interned
// copies (see interner). It returns the heap memory this adds.
func (l *keyLayout) own(k unsafe.Pointer, in *interner) int64 {
	var n int64
	for _, off := range l.strings {
		p := (*string)(unsafe.Add(k, off))
		var added int64
		*p, added = in.get(*p)
		n += added
	}
	return n
}

// release returns the heap memory that deleting k (a direct key whose
// strings own made) frees: its strings that are not interned.
func (l *keyLayout) release(k unsafe.Pointer, in *interner) int64 {
	var n int64
	for _, off := range l.strings {
		s := *(*string)(unsafe.Add(k, off))
		if !in.holds(s) {
			n += allocBytes(len(s))
		}
	}
	return n
}

// interner shares the strings of direct keys: grouping keys such as an
// action, a region or a device repeat across windows, and one copy each
// saves an allocation per key. It keeps up to internMax strings of up to
// internMaxLen bytes, for the life of the store (it never forgets, so it is
// bounded); other strings are copied per key.
type interner struct {
	m     map[string]string
	bytes int64 // heap memory of the strings held
}

const (
	internMax    = 4096
	internMaxLen = 64
)

// get returns the store's copy of s (which may live in a decoder's arena)
// and the heap memory the copy added: 0 when it was interned before.
func (in *interner) get(s string) (string, int64) {
	if len(s) == 0 {
		return "", 0
	}
	if c, ok := in.m[s]; ok {
		return c, 0
	}
	c := strings.Clone(s)
	size := allocBytes(len(c))
	if len(s) > internMaxLen || len(in.m) >= internMax {
		return c, size
	}
	if in.m == nil {
		in.m = make(map[string]string)
	}
	in.m[c] = c
	in.bytes += size
	return c, size
}

// holds reports whether s is the interned copy of its content.
func (in *interner) holds(s string) bool {
	if len(s) == 0 {
		return true
	}
	c, ok := in.m[s]
	return ok && unsafe.StringData(c) == unsafe.StringData(s)
}

// memory estimates the interner's map (its strings are counted in the
// keys' memory as they are interned, once).
func (in *interner) memory() int64 {
	if in.m == nil {
		return 0
	}
	return 48 + int64(len(in.m))*40
}

// bitIndex returns the index of the single set bit of b.
func bitIndex(b uint64) int { return bits.TrailingZeros64(b) }

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
