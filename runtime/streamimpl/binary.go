package streamimpl

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// The binary encodings of generated aggregation keys and states (the
// state store's keys and values) are built from these primitives:
//
//	integers   varint (zig-zag, encoding/binary), unsigned lengths uvarint
//	float64    8 bytes, little-endian IEEE 754 bits
//	bool       one byte, 0 or 1 (anything else is corrupt)
//	string     uvarint length, then the bytes
//	timestamp  varint Unix seconds, then uvarint nanoseconds (< 1e9): exact
//	           for every time.Time, unlike microseconds
//	date       varint days since the Unix epoch
//	nullable   presence byte (a bool), then the value when present
//	set        uvarint count, then the elements in increasing order
//
// Equal values have equal encodings (floats are normalised first where
// that matters: see FloatKey). Readers never panic: truncated or
// malformed input is a *BinaryError.

// AppendUvarint appends v as an unsigned varint.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendVarint appends v as a zig-zag varint.
func AppendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendFloat64 appends the IEEE 754 bits of f, little-endian.
func AppendFloat64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// AppendBool appends 1 for true, 0 for false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendString appends the length of s as a uvarint, then s.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendBytes appends the length of p as a uvarint, then p.
func AppendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// AppendTime appends t as Unix seconds (varint) and nanoseconds
// (uvarint): the instant exactly, whatever t's location.
func AppendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// AppendDate appends d as a varint.
func AppendDate(b []byte, d delta.DateValue) []byte { return binary.AppendVarint(b, int64(d)) }

// FloatKey returns the bits of f with Spark's equality for grouping and
// distinct counts: -0.0 is 0.0 and every NaN is the same NaN.
func FloatKey(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000001 // math.NaN()
	}
	return math.Float64bits(f)
}

// NormFloat returns f with -0.0 made 0.0 and every NaN made math.NaN(),
// so that equal floats (in Spark's sense) have equal bits.
func NormFloat(f float64) float64 { return math.Float64frombits(FloatKey(f)) }

// LessFloat64 orders floats as Spark does: -0.0 equals 0.0 and NaN is
// greater than every other value (and equal to itself).
func LessFloat64(a, b float64) bool {
	switch {
	case a != a:
		return false
	case b != b:
		return true
	}
	return a < b
}

// BinaryError is the error of a binary reader: truncated or malformed
// input, or an encoding version this binary cannot read.
type BinaryError struct {
	// What is the type being decoded ("ActionCountsState").
	What string
	// Offset is the byte offset of the bad value.
	Offset int
	Msg    string
}

// Error returns "decode ActionCountsState: at byte 3: truncated input".
func (e *BinaryError) Error() string {
	return "decode " + e.What + ": at byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// BinaryReader reads the encodings above from a byte slice. Errors are
// sticky: after the first one every read returns a zero value and Err
// (and End) report the first error, so generated decoders read all
// their fields and check once. Strings are copied out of the input.
type BinaryReader struct {
	b    []byte
	off  int
	what string
	err  error
}

// NewBinaryReader returns a reader of b decoding a value of type what
// (named in errors).
func NewBinaryReader(b []byte, what string) BinaryReader {
	return BinaryReader{b: b, what: what}
}

// Err returns the first error, or nil.
func (d *BinaryReader) Err() error { return d.err }

// Offset returns the offset of the next byte to read.
func (d *BinaryReader) Offset() int { return d.off }

// Fail records an error at the current offset (if none was recorded).
func (d *BinaryReader) Fail(msg string) {
	if d.err == nil {
		d.err = &BinaryError{What: d.what, Offset: d.off, Msg: msg}
	}
}

// End returns the first error, or an error if bytes are left over.
func (d *BinaryReader) End() error {
	if d.err == nil && d.off != len(d.b) {
		d.Fail(strconv.Itoa(len(d.b)-d.off) + " unexpected trailing bytes")
	}
	return d.err
}

// Version reads the leading encoding-version byte and fails unless it is
// want: a newer streamgen wrote the data (or it is corrupt), and reading
// it as this version would misread it.
func (d *BinaryReader) Version(want byte) {
	if d.err != nil {
		return
	}
	if d.off >= len(d.b) {
		d.Fail("truncated input: no encoding version")
		return
	}
	if v := d.b[d.off]; v != want {
		d.Fail("unknown encoding version " + strconv.Itoa(int(v)) + " (this binary reads version " + strconv.Itoa(int(want)) +
			"): the state was written by another streamgen version or is corrupt; start from a new checkpoint or use the matching binary")
		return
	}
	d.off++
}

// Uvarint reads an unsigned varint.
func (d *BinaryReader) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		d.Fail("truncated input")
		return 0
	case n < 0:
		d.Fail("varint overflows 64 bits")
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zig-zag varint.
func (d *BinaryReader) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	switch {
	case n == 0:
		d.Fail("truncated input")
		return 0
	case n < 0:
		d.Fail("varint overflows 64 bits")
		return 0
	}
	d.off += n
	return v
}

// Int32 reads a varint that must fit in 32 bits.
func (d *BinaryReader) Int32() int32 {
	start := d.off
	v := d.Varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.off = start
		d.Fail("value " + strconv.FormatInt(v, 10) + " overflows int32")
		return 0
	}
	return int32(v)
}

// Float64 reads 8 bytes of IEEE 754 bits.
func (d *BinaryReader) Float64() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 8 {
		d.Fail("truncated input")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return math.Float64frombits(v)
}

// Bool reads a byte that must be 0 or 1.
func (d *BinaryReader) Bool() bool {
	if d.err != nil {
		return false
	}
	if d.off >= len(d.b) {
		d.Fail("truncated input")
		return false
	}
	switch d.b[d.off] {
	case 0:
		d.off++
		return false
	case 1:
		d.off++
		return true
	}
	d.Fail("invalid bool byte " + strconv.Itoa(int(d.b[d.off])))
	return false
}

// Len reads a uvarint length or count of items at least min bytes each,
// failing when the input cannot hold that many.
func (d *BinaryReader) Len(min int) int {
	start := d.off
	n := d.Uvarint()
	if d.err != nil {
		return 0
	}
	if left := len(d.b) - d.off; n > uint64(left)/uint64(max(min, 1)) {
		d.off = start
		d.Fail("length " + strconv.FormatUint(n, 10) + " exceeds the " + strconv.Itoa(left) + " bytes left (truncated input)")
		return 0
	}
	return int(n)
}

// Bytes reads a length-prefixed byte string, returning a slice of the
// input (not a copy).
func (d *BinaryReader) Bytes() []byte {
	n := d.Len(1)
	if d.err != nil {
		return nil
	}
	p := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return p
}

// Str reads a length-prefixed string (a copy). (Not String: the reader
// is not a fmt.Stringer.)
func (d *BinaryReader) Str() string { return string(d.Bytes()) }

// Time reads a timestamp written by AppendTime, in UTC.
func (d *BinaryReader) Time() time.Time {
	sec := d.Varint()
	start := d.off
	ns := d.Uvarint()
	if d.err != nil {
		return time.Time{}
	}
	if ns >= 1e9 {
		d.off = start
		d.Fail("invalid timestamp: nanoseconds " + strconv.FormatUint(ns, 10) + " out of range")
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// Date reads a date written by AppendDate.
func (d *BinaryReader) Date() delta.DateValue { return delta.DateValue(d.Int32()) }

// Sets. Generated count_distinct states are map[T]struct{}; their
// encoding is the elements sorted, so equal sets encode equally.

// AppendStringSet appends the set m of strings (or enum values) sorted.
func AppendStringSet[S ~string](b []byte, m map[S]struct{}) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, v := range sortedKeys(m, cmp.Compare[S]) {
		b = AppendString(b, string(v))
	}
	return b
}

// AppendIntSet appends the set m of integers (or dates) sorted.
func AppendIntSet[I ~int32 | ~int64](b []byte, m map[I]struct{}) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, v := range sortedKeys(m, cmp.Compare[I]) {
		b = binary.AppendVarint(b, int64(v))
	}
	return b
}

// AppendFloatSet appends the set m of float bits (FloatKey values)
// sorted.
func AppendFloatSet(b []byte, m map[uint64]struct{}) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, v := range sortedKeys(m, cmp.Compare[uint64]) {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// AppendTimeSet appends the set m of (UTC) timestamps sorted.
func AppendTimeSet(b []byte, m map[time.Time]struct{}) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, v := range sortedKeys(m, time.Time.Compare) {
		b = AppendTime(b, v)
	}
	return b
}

// AppendBoolSet appends the set m of bools sorted (false first).
func AppendBoolSet(b []byte, m map[bool]struct{}) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, v := range []bool{false, true} {
		if _, ok := m[v]; ok {
			b = AppendBool(b, v)
		}
	}
	return b
}

func sortedKeys[K comparable](m map[K]struct{}, cmp func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp)
	return keys
}

// readSet reads a set of n elements of at least min bytes each with
// read, or nil for an empty set.
func readSet[K comparable](d *BinaryReader, min int, read func() K) map[K]struct{} {
	n := d.Len(min)
	if d.err != nil || n == 0 {
		return nil
	}
	m := make(map[K]struct{}, n)
	for range n {
		v := read()
		if d.err != nil {
			return nil
		}
		m[v] = struct{}{}
	}
	return m
}

// ReadStringSet reads a set written by AppendStringSet (nil when empty).
func ReadStringSet[S ~string](d *BinaryReader) map[S]struct{} {
	return readSet(d, 1, func() S { return S(d.Str()) })
}

// ReadInt64Set reads a set of int64s written by AppendIntSet.
func ReadInt64Set[I ~int64](d *BinaryReader) map[I]struct{} {
	return readSet(d, 1, func() I { return I(d.Varint()) })
}

// ReadInt32Set reads a set of int32s (or dates) written by AppendIntSet.
func ReadInt32Set[I ~int32](d *BinaryReader) map[I]struct{} {
	return readSet(d, 1, func() I { return I(d.Int32()) })
}

// ReadFloatSet reads a set written by AppendFloatSet.
func ReadFloatSet(d *BinaryReader) map[uint64]struct{} {
	return readSet(d, 8, func() uint64 { return FloatKey(d.Float64()) })
}

// ReadTimeSet reads a set written by AppendTimeSet.
func ReadTimeSet(d *BinaryReader) map[time.Time]struct{} {
	return readSet(d, 2, d.Time)
}

// ReadBoolSet reads a set written by AppendBoolSet.
func ReadBoolSet(d *BinaryReader) map[bool]struct{} {
	return readSet(d, 1, d.Bool)
}

// SetSizeBytes approximates the memory of a set of n elements of
// elemBytes each (Go map overhead included), for progress reporting.
func SetSizeBytes(n, elemBytes int) int {
	if n == 0 {
		return 0
	}
	return 48 + n*(elemBytes+8)
}
