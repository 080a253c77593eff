package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Log format versions this package reads and writes. A file whose version
// line is higher was written by a newer streamgen (or Spark) and is
// refused rather than misread.
const (
	// OffsetSeqVersion is the version of offsets/N files (Spark's
	// OffsetSeqLog.VERSION).
	OffsetSeqVersion = 1
	// CommitVersion is the version of commits/N files (Spark's CommitLog
	// with state store checkpoint format version 1).
	CommitVersion = 1
	// SourceLogVersion is the version of sources/<i>/N files (Spark's
	// FileStreamSourceLog.VERSION).
	SourceLogVersion = 1
)

// noOffset is the line written for a source that has no offset yet
// (Spark's OffsetSeqLog.SERIALIZED_VOID_OFFSET).
const noOffset = "-"

// splitLines splits a log file into lines, tolerating one trailing newline
// and CRLF line ends (files edited by hand).
func splitLines(data []byte) []string {
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// parseVersioned checks the version line of a Spark metadata-log file
// ("v1") against the highest version this package reads and returns the
// remaining lines; the i-th returned line is line i+2 of the file. It
// follows Spark's MetadataVersionUtil.validateVersion: "v" then a positive
// decimal integer.
func parseVersioned(data []byte, maxVersion int) ([]string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, corruptAt(1, nil, "empty file (want a %q version line first)", fmt.Sprintf("v%d", maxVersion))
	}
	lines := splitLines(data)
	head := strings.TrimSpace(lines[0])
	v, ok := parseVersionLine(head)
	if !ok {
		if len(head) > 40 {
			head = head[:40] + "..."
		}
		return nil, corruptAt(1, nil, "malformed version line %q (want %q)", head, fmt.Sprintf("v%d", maxVersion))
	}
	if v > maxVersion {
		return nil, &fileError{
			line:   1,
			reason: fmt.Sprintf("checkpoint written by a newer version (log version v%d, this streamgen reads up to v%d), unsupported", v, maxVersion),
			fix:    fixUpgrade,
		}
	}
	return lines[1:], nil
}

func parseVersionLine(s string) (int, bool) {
	if len(s) < 2 || s[0] != 'v' {
		return 0, false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s[1:])
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

// marshalLine encodes v as one line of compact JSON without HTML escaping,
// so paths with '&' or '<' stay readable.
func marshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// compactLine validates raw JSON and returns it on one line.
func compactLine(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
