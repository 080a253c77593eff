package streamimpl

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// sample is a value of every encoding, written and read in one order.
type sample struct {
	u    uint64
	i    int64
	i32  int32
	f    float64
	b    bool
	s    string
	t    time.Time
	d    delta.DateValue
	ss   map[string]struct{}
	is   map[int64]struct{}
	fs   map[uint64]struct{}
	ts   map[time.Time]struct{}
	bs   map[bool]struct{}
	hll  HLL
	none bool
}

func (x *sample) append(b []byte) []byte {
	b = AppendUvarint(b, x.u)
	b = AppendVarint(b, x.i)
	b = AppendVarint(b, int64(x.i32))
	b = AppendFloat64(b, x.f)
	b = AppendBool(b, x.b)
	b = AppendString(b, x.s)
	b = AppendTime(b, x.t)
	b = AppendDate(b, x.d)
	b = AppendStringSet(b, x.ss)
	b = AppendIntSet(b, x.is)
	b = AppendFloatSet(b, x.fs)
	b = AppendTimeSet(b, x.ts)
	b = AppendBoolSet(b, x.bs)
	b = AppendHLL(b, &x.hll)
	return b
}

func (x *sample) read(b []byte) error {
	d := NewBinaryReader(b, "sample")
	x.u = d.Uvarint()
	x.i = d.Varint()
	x.i32 = d.Int32()
	x.f = d.Float64()
	x.b = d.Bool()
	x.s = d.Str()
	x.t = d.Time()
	x.d = d.Date()
	x.ss = ReadStringSet[string](&d)
	x.is = ReadInt64Set[int64](&d)
	x.fs = ReadFloatSet(&d)
	x.ts = ReadTimeSet(&d)
	x.bs = ReadBoolSet(&d)
	ReadHLL(&d, &x.hll)
	return d.End()
}

func newSample() *sample {
	x := &sample{
		u: math.MaxUint64, i: math.MinInt64, i32: math.MinInt32, f: -1.5, b: true, s: "héllo",
		t: time.Date(1, 1, 1, 0, 0, 0, 999999999, time.UTC), d: -719162,
		ss: map[string]struct{}{"b": {}, "a": {}, "": {}},
		is: map[int64]struct{}{-1: {}, math.MaxInt64: {}, 0: {}},
		fs: map[uint64]struct{}{FloatKey(math.NaN()): {}, FloatKey(math.Copysign(0, -1)): {}, FloatKey(2.5): {}},
		ts: map[time.Time]struct{}{time.Unix(-5, 7).UTC(): {}, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC): {}},
		bs: map[bool]struct{}{true: {}, false: {}},
	}
	for i := range 100 {
		x.hll.InsertInt64(int64(i))
	}
	return x
}

func TestBinaryRoundTrip(t *testing.T) {
	x := newSample()
	b := x.append([]byte("prefix"))
	if !bytes.HasPrefix(b, []byte("prefix")) {
		t.Fatal("Append* did not append")
	}
	var y sample
	if err := y.read(b[len("prefix"):]); err != nil {
		t.Fatal(err)
	}
	if y.u != x.u || y.i != x.i || y.i32 != x.i32 || y.f != x.f || y.b != x.b || y.s != x.s || y.t != x.t || y.d != x.d {
		t.Errorf("scalars: got %+v, want %+v", y, x)
	}
	if len(y.ss) != 3 || len(y.is) != 3 || len(y.fs) != 3 || len(y.ts) != 2 || len(y.bs) != 2 {
		t.Errorf("sets: %v %v %v %v %v", y.ss, y.is, y.fs, y.ts, y.bs)
	}
	if got := y.hll.Estimate(); got != 100 {
		t.Errorf("sketch estimate %d, want 100", got)
	}
	// Re-encoding gives the same bytes: sets are sorted, the sketch compacted.
	if b2 := y.append([]byte("prefix")); !bytes.Equal(b, b2) {
		t.Errorf("re-encoding differs:\n%x\n%x", b, b2)
	}
}

func TestBinaryTimeExact(t *testing.T) {
	for _, tm := range []time.Time{
		time.Unix(0, 0), time.Unix(-1, 1), time.Unix(1469501675, 123456789),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2020, 1, 1, 12, 0, 0, 5, time.FixedZone("X", 3600)),
	} {
		d := NewBinaryReader(AppendTime(nil, tm), "t")
		got := d.Time()
		if err := d.End(); err != nil || !got.Equal(tm) || got.Location() != time.UTC || got != tm.UTC() {
			t.Errorf("time %v: got %v, %v", tm, got, err)
		}
	}
}

// TestBinaryTruncated checks that every proper prefix of an encoding is an
// error, never a panic, and that trailing bytes are refused.
func TestBinaryTruncated(t *testing.T) {
	b := newSample().append(nil)
	for n := range len(b) {
		var y sample
		err := y.read(b[:n])
		var be *BinaryError
		if !errors.As(err, &be) {
			t.Fatalf("prefix of %d/%d bytes: error %v, want a *BinaryError", n, len(b), err)
		}
		if be.What != "sample" || be.Offset > n {
			t.Fatalf("prefix of %d bytes: %+v", n, be)
		}
	}
	var y sample
	if err := y.read(append(b, 0)); err == nil || !strings.Contains(err.Error(), "1 unexpected trailing bytes") {
		t.Errorf("trailing byte: %v", err)
	}
}

func TestBinaryCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := newSample().append(nil)
	for range 5000 {
		c := bytes.Clone(b)
		for range 1 + rng.IntN(4) {
			i := rng.IntN(len(c))
			c[i] ^= 1 << rng.IntN(8)
		}
		var y sample
		_ = y.read(c) // must not panic
	}
}

func TestBinaryErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		read func(d *BinaryReader)
		want string
	}{
		{"bool", []byte{2}, func(d *BinaryReader) { d.Bool() }, "decode x: at byte 0: invalid bool byte 2"},
		{"int32", AppendVarint(nil, math.MaxInt32+1), func(d *BinaryReader) { d.Int32() }, "overflows int32"},
		{"varint", bytes.Repeat([]byte{0xff}, 11), func(d *BinaryReader) { d.Varint() }, "varint overflows 64 bits"},
		{"length", []byte{0x80, 0x80, 0x80, 0x80, 0x10}, func(d *BinaryReader) { d.Str() }, "exceeds the 0 bytes left"},
		{"nanos", append(AppendVarint(nil, 0), AppendUvarint(nil, 1e9)...), func(d *BinaryReader) { d.Time() }, "nanoseconds 1000000000 out of range"},
		{"set count", []byte{0xff, 0x01}, func(d *BinaryReader) { ReadFloatSet(d) }, "exceeds the 0 bytes left"},
		{"version", []byte{7}, func(d *BinaryReader) { d.Version(1) }, "unknown encoding version 7 (this binary reads version 1)"},
		{"no version", nil, func(d *BinaryReader) { d.Version(1) }, "truncated input: no encoding version"},
		{"sketch", AppendBytes(nil, []byte{2, 14, 0, 9, 0, 0, 0, 0}), func(d *BinaryReader) { ReadHLL(d, &HLL{}) }, "invalid HyperLogLog sketch"},
		{"sketch precision", AppendBytes(nil, []byte{2, 10, 0, 1, 0, 0, 0, 0}), func(d *BinaryReader) { ReadHLL(d, &HLL{}) }, "precision 10, want 14"},
	} {
		d := NewBinaryReader(c.in, "x")
		c.read(&d)
		err := d.End()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		// Sticky: later reads return zero values and keep the first error.
		if d.Varint() != 0 || d.Str() != "" || d.Err() != err {
			t.Errorf("%s: error not sticky", c.name)
		}
	}
}

func TestSetsSorted(t *testing.T) {
	a := AppendStringSet(nil, map[string]struct{}{"c": {}, "a": {}, "b": {}})
	if want := []byte{3, 1, 'a', 1, 'b', 1, 'c'}; !bytes.Equal(a, want) {
		t.Errorf("string set %v, want %v", a, want)
	}
	i := AppendIntSet(nil, map[int32]struct{}{5: {}, -1: {}})
	if want := []byte{2, 1, 10}; !bytes.Equal(i, want) {
		t.Errorf("int set %v, want %v", i, want)
	}
	if got := AppendBoolSet(nil, map[bool]struct{}{true: {}, false: {}}); !bytes.Equal(got, []byte{2, 0, 1}) {
		t.Errorf("bool set %v", got)
	}
	// Empty sets are one byte and decode as nil.
	d := NewBinaryReader(AppendStringSet[string](nil, nil), "x")
	if m := ReadStringSet[string](&d); m != nil || d.End() != nil {
		t.Errorf("empty set: %v %v", m, d.End())
	}
}

func TestFloatOrder(t *testing.T) {
	nan, negz := math.NaN(), math.Copysign(0, -1)
	if FloatKey(negz) != FloatKey(0) || FloatKey(nan) != FloatKey(-nan) || FloatKey(1) == FloatKey(-1) {
		t.Error("FloatKey does not follow Spark's equality")
	}
	if math.Signbit(NormFloat(negz)) || !math.IsNaN(NormFloat(nan)) {
		t.Error("NormFloat")
	}
	for _, c := range []struct {
		a, b float64
		less bool
	}{
		{1, 2, true}, {2, 1, false}, {negz, 0, false}, {0, negz, false},
		{1, nan, true}, {math.Inf(1), nan, true}, {nan, math.Inf(1), false}, {nan, nan, false},
		{math.Inf(-1), -1e308, true},
	} {
		if got := LessFloat64(c.a, c.b); got != c.less {
			t.Errorf("LessFloat64(%v, %v) = %v", c.a, c.b, got)
		}
	}
}

func TestHLL(t *testing.T) {
	var empty HLL
	if empty.Estimate() != 0 || empty.SizeBytes() <= 0 {
		t.Error("empty sketch")
	}
	if b := AppendHLL(nil, &empty); !bytes.Equal(b, []byte{0}) {
		t.Errorf("empty sketch encodes as %v", b)
	}
	// Accuracy across the sparse and dense representations, and merging
	// partial sketches gives the estimate of the whole.
	for _, n := range []int{1, 10, 1000, 50000} {
		var whole, a, b HLL
		for i := range n {
			v := "value-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + time.Duration(i).String()
			whole.InsertString(v)
			whole.InsertString(v) // duplicates do not count
			if i%2 == 0 {
				a.InsertString(v)
			} else {
				b.InsertString(v)
			}
		}
		est := whole.Estimate()
		if diff := math.Abs(float64(est-int64(n))) / float64(n); diff > 0.03 {
			t.Errorf("n=%d: estimate %d (error %.3f)", n, est, diff)
		}
		a.Merge(&b)
		if got := a.Estimate(); got != est {
			t.Errorf("n=%d: merged estimate %d, whole %d", n, got, est)
		}
		var c HLL
		d := NewBinaryReader(AppendHLL(nil, &whole), "x")
		ReadHLL(&d, &c)
		if err := d.End(); err != nil || c.Estimate() != est {
			t.Errorf("n=%d: round trip %d, %v", n, c.Estimate(), err)
		}
	}
	// Typed inserts: equal values (in Spark's sense) count once.
	var h HLL
	h.InsertFloat64(0)
	h.InsertFloat64(math.Copysign(0, -1))
	h.InsertFloat64(math.NaN())
	h.InsertFloat64(-math.NaN())
	h.InsertTime(time.Unix(10, 0))
	h.InsertTime(time.Unix(10, 0).In(time.FixedZone("X", 60)))
	h.InsertBool(true)
	h.InsertInt64(-3)
	if got := h.Estimate(); got != 5 {
		t.Errorf("typed inserts: estimate %d, want 5", got)
	}
}

func FuzzBinaryReader(f *testing.F) {
	f.Add(newSample().append(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var y sample
		if y.read(b) == nil {
			// Whatever decodes re-encodes and decodes to the same bytes.
			b2 := y.append(nil)
			var z sample
			if err := z.read(b2); err != nil {
				t.Fatalf("re-decoding: %v", err)
			}
			if b3 := z.append(nil); !bytes.Equal(b2, b3) {
				t.Fatalf("unstable encoding")
			}
		}
	})
}
