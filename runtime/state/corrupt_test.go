package state

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// threeVersions writes versions 1 to 3 (no snapshots) with fingerprint "a".
func threeVersions(t *testing.T) (string, func(v int64, opts ...Opt) error) {
	t.Helper()
	ctx := context.Background()
	st, dir := newLocal(t)
	s := openCounts(t, st, 0, Fingerprint("a"))
	for v := int64(1); v <= 3; v++ {
		s.GetOrCreate(eventKey{"open", v}).N = v
		if err := s.Commit(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	open := func(v int64, opts ...Opt) error {
		_, err := Open[eventKey, countState](ctx, st, v, append([]Opt{Fingerprint("a")}, opts...)...)
		return err
	}
	return dir, open
}

func rewrite(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reseal recomputes the checksum after an edit.
func reseal(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
	return b
}

func TestCorruptFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }, "checksum mismatch"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-5] }, "truncated: "},
		{"cut after the header", func(b []byte) []byte { return b[:fixedHeaderLen+1] }, "truncated: 23 bytes, shorter than any state file"},
		{"empty", func([]byte) []byte { return nil }, "not a streamgen state file"},
		{"trailing garbage", func(b []byte) []byte { return append(b, 0) }, "trailing garbage"},
		{"newer format", func(b []byte) []byte { b[4] = 9; return b }, "format version 9 is newer than this streamgen's (1): upgrade streamgen"},
		{"wrong kind", func(b []byte) []byte { b[5] = kindSnapshot; return reseal(b) }, "the header says it is a snapshot file"},
		{"wrong version", func(b []byte) []byte { b[6] = 7; return reseal(b) }, "the header says it is version 7"},
		{"bad count", func(b []byte) []byte { b[len(b)-12]++; return reseal(b) }, "1 records, the trailer says 2"},
		{"bad record type", func(b []byte) []byte { b[fixedHeaderLen+2] = 7; return reseal(b) }, "record 0 (at byte 0): unknown record type 7"},
		{"bad key", func(b []byte) []byte { b[fixedHeaderLen+3] = 0x7f; return reseal(b) }, "record 0 (at byte 0): key: length 127 runs past the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, open := threeVersions(t)
			path := filepath.Join(dir, "2.delta")
			rewrite(t, path, tc.edit)
			err := open(3)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CorruptError", err)
			}
			if ce.Path != path {
				t.Errorf("path %q, want %q", ce.Path, path)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "state: "+path+": ") ||
				!strings.HasSuffix(err.Error(), fixCorrupt) {
				t.Errorf("error %q, want it to name the file and say %q", err, tc.want)
			}
			// Versions before the damaged file still load.
			if err := open(1); err != nil {
				t.Errorf("version 1: %v", err)
			}
		})
	}
}

func TestUndecodableRecord(t *testing.T) {
	ctx := context.Background()
	st, dir := newLocal(t)
	var w fileWriter
	w.begin(nil, kindDelta, 1, "a")
	w.putRaw((&eventKey{"open", 1}).AppendBinary(nil), []byte{0xff}) // a varint that never ends
	if err := st.Put(ctx, "1.delta", w.finish()); err != nil {
		t.Fatal(err)
	}
	_, err := Open[eventKey, countState](ctx, st, 1, Fingerprint("a"))
	want := "state: " + filepath.Join(dir, "1.delta") + ": record 0: value does not decode: bad encoding"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, errBad) {
		t.Fatalf("got %v, want %q", err, want)
	}
	w.begin(nil, kindSnapshot, 1, "a")
	w.removeRaw((&eventKey{"open", 1}).AppendBinary(nil))
	if err := st.Put(ctx, "1.snapshot", w.finish()); err != nil {
		t.Fatal(err)
	}
	_, err = Open[eventKey, countState](ctx, st, 1, Fingerprint("a"))
	if err == nil || !strings.Contains(err.Error(), "1.snapshot: record 0 (at byte 0): a remove record in a snapshot") {
		t.Fatalf("remove in snapshot: %v", err)
	}
}

func TestMissingDelta(t *testing.T) {
	dir, open := threeVersions(t)
	if err := os.Remove(filepath.Join(dir, "2.delta")); err != nil {
		t.Fatal(err)
	}
	err := open(3)
	want := "state: version 3 needs " + filepath.Join(dir, "2.delta") + ": not found (purged or lost)"
	var me *MissingFileError
	if !errors.As(err, &me) || me.Version != 3 || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	if err := open(1); err != nil {
		t.Errorf("version 1: %v", err)
	}
}

func TestFingerprintMismatch(t *testing.T) {
	dir, open := threeVersions(t)
	err := open(2, Fingerprint("b"))
	var le *LayoutMismatchError
	if !errors.As(err, &le) || le.Stored != "a" || le.Current != "b" {
		t.Fatalf("got %v, want a *LayoutMismatchError", err)
	}
	want := `state: ` + filepath.Join(dir, "1.delta") + `: state was written for key/state layout "a"; this pipeline has "b"`
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "start the query from a new checkpoint location") {
		t.Errorf("error %q, want prefix %q", err, want)
	}
	// Version 0 reads no file.
	if err := open(0, Fingerprint("b")); err != nil {
		t.Errorf("version 0: %v", err)
	}
}

func TestParseFileName(t *testing.T) {
	for name, want := range map[string]int64{"0.delta": 0, "12.delta": 12, "20.snapshot": 20, "x/7.delta": 7} {
		if _, v, ok := parseFileName(name); !ok || v != want {
			t.Errorf("%q: %d, %v", name, v, ok)
		}
	}
	for _, name := range []string{"012.delta", "-1.delta", "1.delta.crc", ".1.delta.abc.tmp", "_metadata", "a.snapshot", ".delta"} {
		if _, _, ok := parseFileName(name); ok {
			t.Errorf("%q parsed as a state file", name)
		}
	}
}

func TestFixLen(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 20000} {
		b, at := reserveLen([]byte{9})
		b = append(b, make([]byte, n)...)
		b = fixLen(b, at)
		l, m := binary.Uvarint(b[1:])
		if int(l) != n || len(b) != 1+m+n {
			t.Errorf("n=%d: length %d, total %d", n, l, len(b))
		}
	}
}
