package checkpoint

import (
	"context"
	"errors"
	"testing"
)

func TestCorruptFilesStopWithFileAndFix(t *testing.T) {
	const (
		corrupt = "the file is corrupt; restore it from a backup or use a new checkpoint location"
		gap     = "the log is corrupt; restore the missing files or use a new checkpoint location"
		meta    = "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1,\"conf\":{}}"
	)
	latestOffsets := func(c *Checkpoint) error { _, _, err := c.LatestOffsets(context.Background()); return err }
	latestCommit := func(c *Checkpoint) error { _, _, err := c.LatestCommit(context.Background()); return err }
	recovery := func(c *Checkpoint) error { _, err := c.RecoveryPlan(context.Background()); return err }

	tests := []struct {
		name  string
		files map[string]string
		call  func(c *Checkpoint) error
		want  string
	}{
		{
			name:  "offsets from a newer version v2",
			files: map[string]string{"offsets/0": "v2\n{}\n{\"logOffset\":0}"},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets/0:1: checkpoint written by a newer version (log version v2, this streamgen reads up to v1), unsupported: upgrade streamgen",
		},
		{
			name:  "offsets from a newer version v99",
			files: map[string]string{"offsets/0": "v99"},
			call:  recovery,
			want:  "checkpoint: <ckpt>/offsets/0:1: checkpoint written by a newer version (log version v99, this streamgen reads up to v1), unsupported: upgrade streamgen",
		},
		{
			name:  "empty offsets file",
			files: map[string]string{"offsets/0": ""},
			call:  latestOffsets,
			want:  `checkpoint: <ckpt>/offsets/0:1: empty file (want a "v1" version line first): ` + corrupt,
		},
		{
			name:  "malformed version line",
			files: map[string]string{"offsets/0": "x1\n{}"},
			call:  latestOffsets,
			want:  `checkpoint: <ckpt>/offsets/0:1: malformed version line "x1" (want "v1"): ` + corrupt,
		},
		{
			name:  "version zero",
			files: map[string]string{"offsets/0": "v0\n{}"},
			call:  latestOffsets,
			want:  `checkpoint: <ckpt>/offsets/0:1: malformed version line "v0" (want "v1"): ` + corrupt,
		},
		{
			name:  "JSON where the version belongs",
			files: map[string]string{"offsets/0": `{"batchWatermarkMs":0}`},
			call:  latestOffsets,
			want:  `checkpoint: <ckpt>/offsets/0:1: malformed version line "{\"batchWatermarkMs\":0}" (want "v1"): ` + corrupt,
		},
		{
			name:  "missing metadata line",
			files: map[string]string{"offsets/0": "v1"},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets/0:2: missing batch metadata line: " + corrupt,
		},
		{
			name:  "truncated metadata JSON",
			files: map[string]string{"offsets/0": "v1\n{\"batchWatermarkMs\":0,"},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets/0:2: invalid batch metadata JSON (unexpected end of JSON input): " + corrupt,
		},
		{
			name:  "metadata of the wrong type",
			files: map[string]string{"offsets/0": "v1\n{\"batchTimestampMs\":\"soon\"}"},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets/0:2: invalid batch metadata JSON (json: cannot unmarshal string into Go struct field OffsetSeqMetadata.batchTimestampMs of type int64): " + corrupt,
		},
		{
			name:  "bad offset JSON for the second source",
			files: map[string]string{"offsets/0": meta + "\n{\"logOffset\":0}\n{\"logOffset\":"},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets/0:4: invalid offset JSON for source 1 (unexpected end of JSON input): " + corrupt,
		},
		{
			name:  "blank offset line",
			files: map[string]string{"offsets/0": meta + "\n\n-"},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets/0:3: invalid offset JSON for source 0 (unexpected end of JSON input): " + corrupt,
		},
		{
			name:  "one batch missing in offsets",
			files: map[string]string{"offsets/0": meta, "offsets/1": meta, "offsets/3": meta},
			call:  latestOffsets,
			want:  "checkpoint: <ckpt>/offsets: batch 2 is missing between 1 and 3: " + gap,
		},
		{
			name:  "several batches missing in offsets",
			files: map[string]string{"offsets/7": meta, "offsets/8": meta, "offsets/12": meta},
			call:  recovery,
			want:  "checkpoint: <ckpt>/offsets: batches 9 to 11 are missing between 8 and 12: " + gap,
		},
		{
			name:  "batches missing in commits",
			files: map[string]string{"offsets/0": meta, "offsets/1": meta, "offsets/2": meta, "commits/0": "v1\n{}", "commits/2": "v1\n{}"},
			call:  recovery,
			want:  "checkpoint: <ckpt>/commits: batch 1 is missing between 0 and 2: " + gap,
		},
		{
			name:  "commit without its offsets",
			files: map[string]string{"offsets/0": meta, "commits/0": "v1\n{}", "commits/1": "v1\n{}"},
			call:  recovery,
			want:  "checkpoint: <ckpt>/commits/1: batch 1 is committed but <ckpt>/offsets/1 does not exist: " + corrupt,
		},
		{
			name:  "re-run without the previous offsets",
			files: map[string]string{"offsets/5": meta},
			call:  recovery,
			want:  "checkpoint: <ckpt>/offsets/4: missing: it is needed to re-run uncommitted batch 5: " + gap,
		},
		{
			name:  "commit from a newer version",
			files: map[string]string{"offsets/0": meta, "commits/0": "v2\n{\"nextBatchWatermarkMs\":0,\"stateUniqueIds\":{}}"},
			call:  latestCommit,
			want:  "checkpoint: <ckpt>/commits/0:1: checkpoint written by a newer version (log version v2, this streamgen reads up to v1), unsupported: upgrade streamgen",
		},
		{
			name:  "bad commit JSON",
			files: map[string]string{"offsets/0": meta, "commits/0": "v1\n{\"nextBatchWatermarkMs\":1e999}"},
			call:  recovery,
			want:  "checkpoint: <ckpt>/commits/0:2: invalid commit metadata JSON (json: cannot unmarshal number 1e999 into Go struct field CommitMetadata.nextBatchWatermarkMs of type int64): " + corrupt,
		},
		{
			name:  "extra commit line",
			files: map[string]string{"offsets/0": meta, "commits/0": "v1\n{}\n{}"},
			call:  recovery,
			want:  "checkpoint: <ckpt>/commits/0:3: unexpected line after the commit metadata: " + corrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			c := open(t, s)
			for name, content := range tt.files {
				writeFile(t, s, name, content)
			}
			err := tt.call(c)
			if err == nil {
				t.Fatalf("got no error, want %s", tt.want)
			}
			if got := scrub(s, err.Error()); got != tt.want {
				t.Errorf("error:\ngot  %s\nwant %s", got, tt.want)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *CorruptError", err)
			}
		})
	}
}

func TestCorruptMetadataStopsOpen(t *testing.T) {
	const corrupt = "the file is corrupt; restore it from a backup or use a new checkpoint location"
	tests := []struct {
		content string
		want    string
	}{
		{`{"id":`, "checkpoint: <ckpt>/metadata: invalid query metadata JSON (unexpected end of JSON input): " + corrupt},
		{`{}`, `checkpoint: <ckpt>/metadata: missing query "id": ` + corrupt},
		{`{"id":"query-1"}`, `checkpoint: <ckpt>/metadata: query id "query-1" is not a UUID: ` + corrupt},
		{"", "checkpoint: <ckpt>/metadata: missing, but <ckpt>/offsets holds batches: the query ID is lost: " + corrupt},
	}
	for _, tt := range tests {
		s := newStore(t)
		if tt.content == "" {
			writeFile(t, s, "offsets/0", "v1\n{}")
		} else {
			writeFile(t, s, "metadata", tt.content)
		}
		_, err := Open(context.Background(), s)
		if err == nil || scrub(s, err.Error()) != tt.want {
			t.Errorf("Open with metadata %s:\ngot  %v\nwant %s", tt.content, err, tt.want)
		}
	}
}

// TestLenientReading: what Spark accepts, we accept.
func TestLenientReading(t *testing.T) {
	s := newStore(t)
	c := open(t, s)
	// A trailing newline, CRLF line ends, an empty metadata line (Spark's
	// "no metadata"), unknown metadata fields, and stray non-batch files.
	writeFile(t, s, "offsets/0", "v1\r\n\r\n{\"logOffset\":0}\r\n-\n")
	writeFile(t, s, "offsets/1", "v1\n{\"batchWatermarkMs\":3,\"batchTimestampMs\":4,\"conf\":{},\"future\":true}\n")
	writeFile(t, s, "offsets/.1.crc", "junk")
	writeFile(t, s, "offsets/README", "junk")
	writeFile(t, s, "offsets/01", "junk")
	got, err := c.Offsets(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Offsets) != 2 || string(got.Offsets[0]) != `{"logOffset":0}` || got.Offsets[1] != nil || got.Metadata.BatchTimestampMs != 0 {
		t.Errorf("Offsets(0) = %+v", got)
	}
	n, latest, err := c.LatestOffsets(context.Background())
	if err != nil || n != 1 || latest.Metadata.BatchWatermarkMs != 3 || len(latest.Offsets) != 0 {
		t.Errorf("LatestOffsets = %d, %+v, %v", n, latest, err)
	}
}
