package delta

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/streamgen/streamgen/runtime/storage"
)

// TestWriterEncodings checks the data encodings of WriteTyped's files:
// by default RLE_DICTIONARY strings and DELTA_BINARY_PACKED integers and
// timestamps, PLAIN everywhere with Encoding "plain", and rows that read
// back the same either way.
func TestWriterEncodings(t *testing.T) {
	schema := mustSchema(t, benchEventSchema)
	base := time.Date(2016, 7, 26, 2, 54, 35, 0, time.UTC)
	rows := make([]benchEvent, 5000)
	for i := range rows {
		rows[i] = benchEvent{Time: base.Add(time.Duration(i) * time.Second), Action: []string{"Open", "Close"}[i%2],
			Device: "device-" + string(rune('a'+i%7)), Value: float64(i) / 4}
	}
	for _, tc := range []struct {
		opts            WriterOptions
		timeEnc, strEnc format.Encoding
	}{
		{WriterOptions{}, format.DeltaBinaryPacked, format.RLEDictionary},
		{WriterOptions{Encoding: "compact", CompressionLevel: 1}, format.DeltaBinaryPacked, format.RLEDictionary},
		{WriterOptions{Encoding: "plain", CompressionLevel: 19}, format.Plain, format.Plain},
	} {
		dir := t.TempDir()
		store, err := storage.NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		adds, err := WriteTyped(context.Background(), store, schema, nil, rows, nil, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(adds) != 1 {
			t.Fatalf("%+v: %d files, want 1", tc.opts, len(adds))
		}
		data, err := os.ReadFile(filepath.Join(dir, adds[0].Path))
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, cc := range f.Metadata().RowGroups[0].Columns {
			want := tc.strEnc
			switch cc.MetaData.PathInSchema[0] {
			case "time":
				want = tc.timeEnc
			case "value":
				want = format.Plain
			}
			if !slices.Contains(cc.MetaData.Encoding, want) {
				t.Errorf("%+v: column %s: encodings %v, want %v among them", tc.opts, cc.MetaData.PathInSchema[0], cc.MetaData.Encoding, want)
			}
		}
		got, err := parquet.Read[benchEvent](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i].Time = got[i].Time.UTC()
		}
		if !slices.Equal(got, rows) {
			t.Errorf("%+v: rows do not read back", tc.opts)
		}
	}
	for _, o := range []WriterOptions{{Encoding: "delta"}, {CompressionLevel: 23}, {CompressionLevel: -1}} {
		if _, err := WriteTyped(context.Background(), &benchStore{}, schema, nil, rows, nil, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestWriterDictionaryFallback writes a string column whose dictionary
// outgrows dictionaryMaxBytes: its pages fall back to PLAIN and every
// row reads back.
func TestWriterDictionaryFallback(t *testing.T) {
	schema := mustSchema(t, benchEventSchema)
	rows := make([]benchEvent, 100_000)
	for i := range rows {
		rows[i] = benchEvent{Time: time.Unix(int64(i), 0).UTC(), Action: "Open", Device: fmt.Sprintf("device-%024d", i)}
	}
	dir := t.TempDir()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	adds, err := WriteTyped(context.Background(), store, schema, nil, rows, nil, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, adds[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range f.Metadata().RowGroups[0].Columns {
		if cc.MetaData.PathInSchema[0] == "device" && !slices.Contains(cc.MetaData.Encoding, format.Plain) {
			t.Errorf("device: encodings %v, want a PLAIN fallback", cc.MetaData.Encoding)
		}
	}
	got, err := parquet.Read[benchEvent](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].Time = got[i].Time.UTC()
	}
	if !slices.Equal(got, rows) {
		t.Error("rows do not read back")
	}
}
