package state

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
)

// eventKey is the key of a windowed count by action: the benchmark's
// compact key (a string and the window start in microseconds).
type eventKey struct {
	Action      string
	WindowStart int64
}

func (k *eventKey) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(k.Action)))
	b = append(b, k.Action...)
	return binary.AppendVarint(b, k.WindowStart)
}

var errBad = errors.New("bad encoding")

func (k *eventKey) UnmarshalBinary(b []byte) error {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return errBad
	}
	a := string(b[n : n+int(l)])
	w, m := binary.Varint(b[n+int(l):])
	if m <= 0 || n+int(l)+m != len(b) {
		return errBad
	}
	k.Action, k.WindowStart = a, w
	return nil
}

// countState is a count.
type countState struct{ N int64 }

func (s *countState) AppendBinary(b []byte) []byte { return binary.AppendVarint(b, s.N) }

func (s *countState) UnmarshalBinary(b []byte) error {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return errBad
	}
	s.N = v
	return nil
}

func (s *countState) SizeBytes() int { return 8 }

// nullKey has a nullable field: == on it compares pointers, so the store
// must index it by its encoding.
type nullKey struct {
	Name *string
	ID   int64
}

func (k *nullKey) AppendBinary(b []byte) []byte {
	if k.Name == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(*k.Name)))
		b = append(b, *k.Name...)
	}
	return binary.AppendVarint(b, k.ID)
}

func (k *nullKey) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return errBad
	}
	var t nullKey
	rest := b[1:]
	switch b[0] {
	case 0:
	case 1:
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return errBad
		}
		s := string(rest[n : n+int(l)])
		t.Name = &s
		rest = rest[n+int(l):]
	default:
		return errBad
	}
	id, n := binary.Varint(rest)
	if n <= 0 || n != len(rest) {
		return errBad
	}
	t.ID = id
	*k = t
	return nil
}

// setState holds a set of strings: its memory grows with it.
type setState struct{ m map[string]struct{} }

func (s *setState) add(v string) {
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	s.m[v] = struct{}{}
}

func (s *setState) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s.m)))
	for _, v := range slices.Sorted(maps.Keys(s.m)) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

func (s *setState) UnmarshalBinary(b []byte) error {
	c, n := binary.Uvarint(b)
	if n <= 0 || c > uint64(len(b)) {
		return errBad
	}
	b = b[n:]
	m := make(map[string]struct{}, c)
	for range c {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return errBad
		}
		m[string(b[n:n+int(l)])] = struct{}{}
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return errBad
	}
	s.m = m
	return nil
}

func (s *setState) SizeBytes() int {
	n := 8
	for v := range s.m {
		n += 32 + len(v)
	}
	return n
}
