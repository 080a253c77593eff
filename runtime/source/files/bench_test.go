package files_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/source/files"
)

// BenchmarkRead reads one batch of 10 files of 10,000 device-status lines
// each: the source's own cost (split, decode, callback) per row.
func BenchmarkRead(b *testing.B) {
	e := newEnv(b)
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, `{"device":"dev%04d","status":"ok"}`+"\n", i)
	}
	for f := range 10 {
		e.write(fmt.Sprintf("f%02d.jsonl", f), sb.String(), f)
	}
	s := e.source()
	end, err := s.LatestOffset(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(10 * sb.Len()))
	b.ResetTimer()
	var n int64
	for range b.N {
		st, err := s.Read(context.Background(), nil, end, func(r *row, _ files.Origin) error {
			n += int64(len(r.Device))
			return nil
		})
		if err != nil || st.Rows != 100000 {
			b.Fatal(st, err)
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "rows/s")
}
