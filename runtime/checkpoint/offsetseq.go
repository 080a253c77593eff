package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// OffsetSeq is one entry of the offsets log (Spark's OffsetSeq): what
// batch N reads, written to offsets/N before the batch runs (the
// write-ahead log). A restart that finds offsets/N without commits/N
// re-runs batch N with exactly these offsets, timestamp and watermark.
//
// The file format is Spark's:
//
//	v1
//	{"batchWatermarkMs":0,"batchTimestampMs":1700000000000,"conf":{}}
//	{"logOffset":3}
//	-
//
// a version line, the batch metadata as JSON, then one line per source in
// the query's source order holding that source's end offset as JSON, or
// "-" when the source has no offset yet. There is no trailing newline.
type OffsetSeq struct {
	// Metadata is the batch's watermark, timestamp and pinned settings.
	Metadata OffsetSeqMetadata
	// Offsets holds one end offset per source, in source order. Offsets
	// are opaque to the checkpoint: each source owns its format (the file
	// source writes {"logOffset":N}, the Kafka source
	// {"topic":{"0":42}}), and a source must be able to read back
	// whatever it wrote. The JSON is stored compacted on one line. A nil
	// entry means the source has no offset yet and is written as "-".
	Offsets []json.RawMessage
}

// OffsetSeqMetadata is the second line of an offsets file (Spark's
// OffsetSeqMetadata): state that must be identical when a batch is
// re-run.
type OffsetSeqMetadata struct {
	// BatchWatermarkMs is the event-time watermark the batch runs with,
	// in milliseconds since the Unix epoch.
	BatchWatermarkMs int64 `json:"batchWatermarkMs"`
	// BatchTimestampMs is the batch's processing time, in milliseconds
	// since the Unix epoch (current_timestamp() in Spark).
	BatchTimestampMs int64 `json:"batchTimestampMs"`
	// Conf pins settings that must not change between a batch and its
	// re-run, or across restarts (Spark stores spark.sql.shuffle.partitions
	// and state format versions here). Keys are written sorted.
	Conf map[string]string `json:"conf"`
}

// marshal encodes s in Spark's offsets file format.
func (s *OffsetSeq) marshal() ([]byte, error) {
	md := s.Metadata
	if md.Conf == nil {
		md.Conf = map[string]string{}
	}
	mdLine, err := marshalLine(md)
	if err != nil {
		return nil, fmt.Errorf("batch metadata: %w", err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "v%d\n", OffsetSeqVersion)
	buf.Write(mdLine)
	for i, off := range s.Offsets {
		buf.WriteByte('\n')
		if off == nil {
			buf.WriteString(noOffset)
			continue
		}
		line, err := compactLine(off)
		if err != nil {
			return nil, fmt.Errorf("source %d: invalid offset JSON %q: %w", i, off, err)
		}
		buf.Write(line)
	}
	return buf.Bytes(), nil
}

// parseOffsetSeq decodes an offsets file. Errors are *fileError values.
func parseOffsetSeq(data []byte) (*OffsetSeq, error) {
	lines, err := parseVersioned(data, OffsetSeqVersion)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, corruptAt(2, nil, "missing batch metadata line")
	}
	s := &OffsetSeq{}
	// Spark writes an empty metadata line when a batch has no metadata;
	// read it as zero metadata.
	if lines[0] != "" {
		if err := json.Unmarshal([]byte(lines[0]), &s.Metadata); err != nil {
			return nil, corruptAt(2, err, "invalid batch metadata JSON")
		}
	}
	for i, line := range lines[1:] {
		if line == noOffset {
			s.Offsets = append(s.Offsets, nil)
			continue
		}
		if !json.Valid([]byte(line)) {
			var v any
			err := json.Unmarshal([]byte(line), &v)
			return nil, corruptAt(i+3, err, "invalid offset JSON for source %d", i)
		}
		s.Offsets = append(s.Offsets, json.RawMessage(line))
	}
	return s, nil
}

// CommitMetadata is one entry of the commit log (Spark's CommitMetadata),
// written to commits/N after batch N's output is durable in the sink.
//
// The file format is Spark's: a version line, then the metadata JSON, no
// trailing newline:
//
//	v1
//	{"nextBatchWatermarkMs":0}
type CommitMetadata struct {
	// NextBatchWatermarkMs is the watermark computed at the end of the
	// batch, which the next batch runs with, in milliseconds since the
	// Unix epoch.
	NextBatchWatermarkMs int64 `json:"nextBatchWatermarkMs"`
}

func (m CommitMetadata) marshal() ([]byte, error) {
	line, err := marshalLine(m)
	if err != nil {
		return nil, err
	}
	return append([]byte(fmt.Sprintf("v%d\n", CommitVersion)), line...), nil
}

// parseCommit decodes a commits file. Errors are *fileError values.
func parseCommit(data []byte) (CommitMetadata, error) {
	lines, err := parseVersioned(data, CommitVersion)
	if err != nil {
		return CommitMetadata{}, err
	}
	var m CommitMetadata
	// Spark reads a missing metadata line as "{}".
	if len(lines) == 0 || lines[0] == "" {
		return m, nil
	}
	if len(lines) > 1 {
		return CommitMetadata{}, corruptAt(3, nil, "unexpected line after the commit metadata")
	}
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		return CommitMetadata{}, corruptAt(2, err, "invalid commit metadata JSON")
	}
	return m, nil
}
