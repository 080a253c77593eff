package state

import (
	"testing"
)

// FuzzStateFile feeds arbitrary bytes to the file decoder and to a store
// loading them: errors only, never a panic.
func FuzzStateFile(f *testing.F) {
	var w fileWriter
	w.begin(nil, kindDelta, 1, "fp")
	w.putRaw((&eventKey{"open", 1}).AppendBinary(nil), (&countState{3}).AppendBinary(nil))
	w.removeRaw((&eventKey{"close", 2}).AppendBinary(nil))
	f.Add(append([]byte(nil), w.finish()...))
	w.begin(nil, kindSnapshot, 1, "fp")
	w.putRaw((&eventKey{"open", 1}).AppendBinary(nil), (&countState{3}).AppendBinary(nil))
	f.Add(append([]byte(nil), w.finish()...))
	f.Add([]byte(fileMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, recs, err := parseFile(data)
		if err == nil {
			r := recordReader{b: recs, kind: h.kind}
			for {
				_, _, _, ok, err := r.next()
				if err != nil || !ok {
					break
				}
			}
		}
		// Checksums make most inputs fail early; also decode the records
		// with a fixed-up checksum.
		if len(data) >= minFileLen && string(data[:4]) == fileMagic {
			fixed := append([]byte(nil), data...)
			fixed = reseal(fixed)
			for _, kind := range []byte{kindDelta, kindSnapshot} {
				s := &countStore{cfg: config{fingerprint: "fp"}}
				s.reset()
				_ = s.applyFile("fuzz", kind, 1, fixed)
				_ = s.Metrics()
			}
		}
	})
}
