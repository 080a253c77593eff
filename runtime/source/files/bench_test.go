package files_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
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

// BenchmarkReadEvents reads one batch of 200 files of 10,000 lines of the
// events record of the end-to-end benchmark (bench/) each, as
// {"time":1469501675,"action":"Open"}: the source's cost per row (open,
// split, decode, callback) and its allocations per Read (B/op).
func BenchmarkReadEvents(b *testing.B) {
	const nFiles, perFile = 200, 10000
	e := newEnv(b)
	var sb strings.Builder
	t := int64(1469501675)
	for f := range nFiles {
		sb.Reset()
		for i := range perFile {
			action := "Open"
			if i%2 == 1 {
				action = "Close"
			}
			fmt.Fprintf(&sb, `{"time":%d,"action":"%s"}`+"\n", t, action)
			t++
		}
		e.write(fmt.Sprintf("events-%06d.json", f), sb.String(), f)
	}
	s, err := files.New(context.Background(), e.store, e.checkpoint(), 0, newEventDecoder,
		files.Logger(discard), files.OnMalformed(files.FailMalformed))
	if err != nil {
		b.Fatal(err)
	}
	end, err := s.LatestOffset(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	b.ReportAllocs()
	b.ResetTimer()
	var n int64
	for range b.N {
		st, err := s.Read(context.Background(), nil, end, func(r *event, _ files.Origin) error {
			n += int64(len(r.Action))
			return nil
		})
		if err != nil || st.Rows != nFiles*perFile {
			b.Fatal(st, err)
		}
		size = st.Bytes
	}
	b.SetBytes(size)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(nFiles*perFile), "ns/row")
}

// BenchmarkFilesSourceMinIO reads one batch of 500 small JSON-lines files
// (about 2 KiB, 60 lines each) from local disk and from MinIO (skipped
// without it): the per-file cost of an object store (one GET each,
// streamed) against a local open. It reports files/s and MB/s.
func BenchmarkFilesSourceMinIO(b *testing.B) {
	const nFiles, perFile = 500, 60
	fs := map[string]string{}
	var size int64
	for f := range nFiles {
		var sb strings.Builder
		for i := range perFile {
			fmt.Fprintf(&sb, `{"device":"dev%04d","status":"ok%02d"}`+"\n", f, i)
		}
		fs[fmt.Sprintf("f%04d.jsonl", f)] = sb.String()
		size += int64(sb.Len())
	}
	bench := func(b *testing.B, st storage.Storage) {
		putAll(b, st, fs)
		s, err := files.New(context.Background(), st, newEnv(b).checkpoint(), 0, newDecoder,
			files.Logger(discard), files.OnMalformed(files.FailMalformed))
		if err != nil {
			b.Fatal(err)
		}
		end, err := s.LatestOffset(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		b.ResetTimer()
		for range b.N {
			st, err := s.Read(context.Background(), nil, end, func(*row, files.Origin) error { return nil })
			if err != nil || st.Files != nFiles || st.Rows != nFiles*perFile {
				b.Fatal(st, err)
			}
		}
		b.ReportMetric(float64(b.N)*nFiles/b.Elapsed().Seconds(), "files/s")
	}
	b.Run("local", func(b *testing.B) {
		bench(b, newEnv(b).store)
	})
	b.Run("minio", func(b *testing.B) {
		bench(b, miniotest.Start(b).Store(b, "in", nil))
	})
}
