package streamimpl

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/axiomhq/hyperloglog"
)

// HLLPrecision is the precision of approx_count_distinct sketches: 2^14
// registers, a relative standard error of about 0.8% (Spark's default
// rsd is 5%). Sketches start sparse (near-exact for small counts, a few
// bytes per value) and become 16 KiB dense registers past about 16,000
// distinct values.
const HLLPrecision = 14

// HLL is the state of approx_count_distinct: a HyperLogLog++-style
// sketch (github.com/axiomhq/hyperloglog: sparse representation, bias
// correction, MetroHash64 of the value's bytes). The zero value is an
// empty sketch. An HLL must not be copied after first use: pass pointers.
//
// Values are hashed from fixed encodings: a string's bytes; an integer
// or date as 8 bytes little-endian; a float as the 8 bytes of its
// FloatKey; a bool as one byte; a timestamp as 8 bytes of Unix seconds
// and 4 of nanoseconds. These are part of the state encoding (HLLVersion):
// changing them would make old sketches count new values twice.
type HLL struct {
	sk *hyperloglog.Sketch
}

// HLLVersion versions the sketch encoding and the value hashing above.
const HLLVersion = 1

func (h *HLL) sketch() *hyperloglog.Sketch {
	if h.sk == nil {
		sk, err := hyperloglog.NewSketch(HLLPrecision, true)
		if err != nil {
			panic("streamimpl: " + err.Error()) // a constant, valid precision
		}
		h.sk = sk
	}
	return h.sk
}

// InsertString adds a string (or enum value).
func (h *HLL) InsertString(s string) {
	h.sketch().Insert(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// InsertInt64 adds an integer (int32 values and dates are widened).
func (h *HLL) InsertInt64(v int64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(v))
	h.sketch().Insert(buf[:])
}

// InsertFloat64 adds a float (-0.0 counts as 0.0, all NaNs as one).
func (h *HLL) InsertFloat64(f float64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], FloatKey(f))
	h.sketch().Insert(buf[:])
}

// InsertBool adds a bool.
func (h *HLL) InsertBool(v bool) {
	var buf [1]byte
	if v {
		buf[0] = 1
	}
	h.sketch().Insert(buf[:])
}

// InsertTime adds an instant (its location does not matter).
func (h *HLL) InsertTime(t time.Time) {
	var buf [12]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(t.Unix()))
	binary.LittleEndian.PutUint32(buf[8:], uint32(t.Nanosecond()))
	h.sketch().Insert(buf[:])
}

// Merge adds the values of o to h.
func (h *HLL) Merge(o *HLL) {
	if o.sk == nil {
		return
	}
	if h.sk == nil {
		h.sk = o.sk.Clone()
		return
	}
	// Both sketches have HLLPrecision (ReadHLL refuses others), the only
	// case in which Merge fails.
	if err := h.sk.Merge(o.sk); err != nil {
		panic("streamimpl: " + err.Error())
	}
}

// Estimate returns the estimated number of distinct values added.
func (h *HLL) Estimate() int64 {
	if h.sk == nil {
		return 0
	}
	e := h.sk.Estimate()
	if e > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(e)
}

// SizeBytes approximates the sketch's memory: the size of its encoding
// (which it computes, so it costs as much as encoding).
func (h *HLL) SizeBytes() int {
	if h.sk == nil {
		return 8
	}
	data, err := h.sk.MarshalBinary()
	if err != nil {
		return 8
	}
	return 8 + len(data)
}

// AppendHLL appends h: a uvarint length (0 for an empty sketch), then
// the library's encoding (which starts with its own version byte and the
// precision). The sketch is compacted first, so equal histories encode
// equally.
func AppendHLL(b []byte, h *HLL) []byte {
	if h.sk == nil {
		return append(b, 0)
	}
	h.sk.Estimate() // merges the unordered temporary set into the sorted sparse list
	data, err := h.sk.MarshalBinary()
	if err != nil {
		panic("streamimpl: " + err.Error()) // only for a zero-value sketch, which h.sk never is
	}
	return AppendBytes(b, data)
}

// ReadHLL reads a sketch written by AppendHLL into h.
func ReadHLL(d *BinaryReader, h *HLL) {
	start := d.Offset()
	data := d.Bytes()
	if d.err != nil {
		return
	}
	if len(data) == 0 {
		h.sk = nil
		return
	}
	if len(data) > 1 && data[1] != HLLPrecision {
		d.off = start
		d.Fail("HyperLogLog sketch of precision " + strconv.Itoa(int(data[1])) + ", want " + strconv.Itoa(HLLPrecision))
		return
	}
	var sk hyperloglog.Sketch
	if err := sk.UnmarshalBinary(data); err != nil {
		d.off = start
		d.Fail("invalid HyperLogLog sketch: " + err.Error())
		return
	}
	h.sk = &sk
}
