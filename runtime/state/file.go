package state

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path"
	"strconv"
	"strings"
)

// The state file format (see the package documentation).
const (
	fileMagic     = "SGST"
	formatVersion = 1

	kindDelta    byte = 'D'
	kindSnapshot byte = 'S'

	opEnd    byte = 0
	opPut    byte = 1
	opRemove byte = 2

	// fixed header: magic, format version, kind, state version, file length.
	fixedHeaderLen = 4 + 1 + 1 + 8 + 8
	// trailer: end marker, record count, CRC-32C.
	trailerLen = 1 + 8 + 4
	// minFileLen is the length of a file with an empty fingerprint and no
	// records.
	minFileLen = fixedHeaderLen + 1 + trailerLen
)

// File name suffixes, as Spark's HDFSBackedStateStoreProvider names them.
const (
	deltaSuffix    = ".delta"
	snapshotSuffix = ".snapshot"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func kindName(kind byte) string {
	if kind == kindSnapshot {
		return "snapshot"
	}
	return "delta"
}

// fileName is the name of the delta or snapshot file of version v.
func fileName(kind byte, v int64) string {
	if kind == kindSnapshot {
		return strconv.FormatInt(v, 10) + snapshotSuffix
	}
	return strconv.FormatInt(v, 10) + deltaSuffix
}

// parseFileName returns the kind and version of a state file name ("12.delta",
// "20.snapshot"); other names (temporary files, Hadoop's .crc files, Spark's
// _metadata) are not state files.
func parseFileName(name string) (kind byte, v int64, ok bool) {
	base := path.Base(name)
	var num string
	switch {
	case strings.HasSuffix(base, deltaSuffix):
		kind, num = kindDelta, strings.TrimSuffix(base, deltaSuffix)
	case strings.HasSuffix(base, snapshotSuffix):
		kind, num = kindSnapshot, strings.TrimSuffix(base, snapshotSuffix)
	default:
		return 0, 0, false
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 || strconv.FormatInt(v, 10) != num {
		return 0, 0, false
	}
	return kind, v, true
}

// fileWriter builds a state file in memory.
type fileWriter struct {
	b     []byte
	count uint64
}

// begin starts a file of the given kind and version in buf (reusing its
// capacity).
func (w *fileWriter) begin(buf []byte, kind byte, version int64, fingerprint string) {
	b := append(buf[:0], fileMagic...)
	b = append(b, formatVersion, kind)
	b = binary.LittleEndian.AppendUint64(b, uint64(version))
	b = binary.LittleEndian.AppendUint64(b, 0) // length, patched by finish
	b = binary.AppendUvarint(b, uint64(len(fingerprint)))
	b = append(b, fingerprint...)
	w.b, w.count = b, 0
}

// putRaw appends a put record of already encoded key and value.
func (w *fileWriter) putRaw(key, val []byte) {
	w.b = append(w.b, opPut)
	w.b = binary.AppendUvarint(w.b, uint64(len(key)))
	w.b = append(w.b, key...)
	w.b = binary.AppendUvarint(w.b, uint64(len(val)))
	w.b = append(w.b, val...)
	w.count++
}

// removeRaw appends a remove record of an already encoded key.
func (w *fileWriter) removeRaw(key []byte) {
	w.b = append(w.b, opRemove)
	w.b = binary.AppendUvarint(w.b, uint64(len(key)))
	w.b = append(w.b, key...)
	w.count++
}

// reserveLen appends a one-byte length placeholder and returns its offset,
// for an encoding appended in place after it; fixLen then writes the
// length, moving the encoding when the length needs more than one byte.
func reserveLen(b []byte) ([]byte, int) { return append(b, 0), len(b) }

func fixLen(b []byte, at int) []byte {
	n := len(b) - at - 1
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	var tmp [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(tmp[:], uint64(n))
	b = append(b, tmp[:l-1]...) // grow by l-1
	copy(b[at+l:], b[at+1:at+1+n])
	copy(b[at:], tmp[:l])
	return b
}

// finish appends the trailer, patches the length and returns the file.
func (w *fileWriter) finish() []byte {
	b := append(w.b, opEnd)
	b = binary.LittleEndian.AppendUint64(b, w.count)
	binary.LittleEndian.PutUint64(b[4+1+1+8:], uint64(len(b)+4))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	w.b = b
	return b
}

// fileHeader is what a state file says about itself.
type fileHeader struct {
	kind        byte
	version     int64
	fingerprint string
	count       uint64
}

// parseFile checks a state file's framing (magic, format version, length,
// checksum) and returns its header and records (the bytes between the header
// and the end marker). Errors describe the problem without the file name;
// the caller adds it.
func parseFile(data []byte) (h fileHeader, records []byte, err error) {
	if len(data) < 4 || string(data[:4]) != fileMagic {
		return h, nil, fmt.Errorf("not a streamgen state file (no %q magic)", fileMagic)
	}
	if len(data) < minFileLen {
		return h, nil, fmt.Errorf("truncated: %d bytes, shorter than any state file", len(data))
	}
	if fv := data[4]; fv != formatVersion {
		if fv > formatVersion {
			return h, nil, fmt.Errorf("state file format version %d is newer than this streamgen's (%d): upgrade streamgen", fv, formatVersion)
		}
		return h, nil, fmt.Errorf("unknown state file format version %d", fv)
	}
	h.kind = data[5]
	if h.kind != kindDelta && h.kind != kindSnapshot {
		return h, nil, fmt.Errorf("unknown file kind %q", h.kind)
	}
	h.version = int64(binary.LittleEndian.Uint64(data[6:]))
	if want := binary.LittleEndian.Uint64(data[14:]); want != uint64(len(data)) {
		if want > uint64(len(data)) {
			return h, nil, fmt.Errorf("truncated: %d bytes, the header says %d", len(data), want)
		}
		return h, nil, fmt.Errorf("%d bytes, the header says %d: trailing garbage", len(data), want)
	}
	sum := binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(data[:len(data)-4], castagnoli); got != sum {
		return h, nil, fmt.Errorf("checksum mismatch (CRC-32C %08x, the file says %08x): the file is damaged", got, sum)
	}
	fpLen, n := binary.Uvarint(data[fixedHeaderLen:])
	end := len(data) - trailerLen
	if n <= 0 || fpLen > uint64(end-fixedHeaderLen-n) {
		return h, nil, fmt.Errorf("bad fingerprint length in the header")
	}
	fpStart := fixedHeaderLen + n
	h.fingerprint = string(data[fpStart : fpStart+int(fpLen)])
	if data[end] != opEnd {
		return h, nil, fmt.Errorf("missing end marker")
	}
	h.count = binary.LittleEndian.Uint64(data[end+1:])
	return h, data[fpStart+int(fpLen) : end], nil
}

// recordReader walks the records of a parsed file.
type recordReader struct {
	b    []byte
	off  int
	n    uint64 // records read
	kind byte
}

// next returns the next record, ok=false at the end of the records. A
// malformed record is an error naming its index and byte offset within the
// records.
func (r *recordReader) next() (op byte, key, val []byte, ok bool, err error) {
	if r.off >= len(r.b) {
		return 0, nil, nil, false, nil
	}
	at := r.off
	op = r.b[r.off]
	r.off++
	switch op {
	case opPut:
	case opRemove:
		if r.kind == kindSnapshot {
			return 0, nil, nil, false, fmt.Errorf("record %d (at byte %d): a remove record in a snapshot", r.n, at)
		}
	default:
		return 0, nil, nil, false, fmt.Errorf("record %d (at byte %d): unknown record type %d", r.n, at, op)
	}
	if key, err = r.bytes(); err != nil {
		return 0, nil, nil, false, fmt.Errorf("record %d (at byte %d): key: %w", r.n, at, err)
	}
	if op == opPut {
		if val, err = r.bytes(); err != nil {
			return 0, nil, nil, false, fmt.Errorf("record %d (at byte %d): value: %w", r.n, at, err)
		}
	}
	r.n++
	return op, key, val, true, nil
}

func (r *recordReader) bytes() ([]byte, error) {
	l, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return nil, fmt.Errorf("bad length")
	}
	r.off += n
	if l > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("length %d runs past the end of the records", l)
	}
	b := r.b[r.off : r.off+int(l)]
	r.off += int(l)
	return b, nil
}
