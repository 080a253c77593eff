package checkpoint

import (
	"bytes"
	"testing"
)

// FuzzParseOffsetSeq: parsing never panics, and what parses re-encodes to
// a canonical form that parses back to itself.
func FuzzParseOffsetSeq(f *testing.F) {
	for _, seed := range []string{
		"v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1700000000000,\"conf\":{}}\n{\"logOffset\":0}\n-",
		"v1\n\n-\n-",
		"v1\r\n{}\r\n{\"a\": [1, 2]}\r\n",
		"v2\n{}",
		"v1\n{\"conf\":{\"k\":\"v\"}}\n\"str\"\n1e3\nnull",
		"",
		"v",
		"v1\n{",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseOffsetSeq(data)
		if err != nil {
			if _, ok := err.(*fileError); !ok {
				t.Fatalf("error %T, want *fileError: %v", err, err)
			}
			return
		}
		enc, err := s.marshal()
		if err != nil {
			t.Fatalf("marshal of a parsed OffsetSeq: %v", err)
		}
		s2, err := parseOffsetSeq(enc)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", enc, err)
		}
		if len(s2.Offsets) != len(s.Offsets) {
			t.Fatalf("offsets: %d then %d", len(s.Offsets), len(s2.Offsets))
		}
		enc2, err := s2.marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("not canonical:\n%q\n%q", enc, enc2)
		}
	})
}

// FuzzParseCommit: parsing a commit file never panics.
func FuzzParseCommit(f *testing.F) {
	for _, seed := range []string{"v1\n{\"nextBatchWatermarkMs\":0}", "v1", "v3\n{}", "v1\n{}\n{}", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseCommit(data)
		if err != nil {
			return
		}
		enc, err := m.marshal()
		if err != nil {
			t.Fatal(err)
		}
		if m2, err := parseCommit(enc); err != nil || m2 != m {
			t.Fatalf("round trip: %+v then %+v, %v", m, m2, err)
		}
	})
}
