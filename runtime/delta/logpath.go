package delta

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/streamgen/streamgen/runtime/storage"
)

// LastCheckpointName is the storage name of the _last_checkpoint hint.
const LastCheckpointName = LogDir + "/_last_checkpoint"

// LogPathType classifies a file of the _delta_log directory, after the
// kernel's LogPathFileType.
type LogPathType int

const (
	// LogPathUnknown is any file this reader ignores (.crc, temp files,
	// _last_checkpoint, junk).
	LogPathUnknown LogPathType = iota
	// LogPathCommit is a JSON commit, %020d.json.
	LogPathCommit
	// LogPathClassicCheckpoint is a single-file V1 checkpoint,
	// %020d.checkpoint.parquet.
	LogPathClassicCheckpoint
	// LogPathMultiPartCheckpoint is one part of a multi-part V1
	// checkpoint, %020d.checkpoint.%010d.%010d.parquet.
	LogPathMultiPartCheckpoint
	// LogPathUUIDCheckpoint is a V2 checkpoint,
	// %020d.checkpoint.<uuid>.(json|parquet). This reader refuses the
	// v2Checkpoint feature, so such files never enter a LogSegment.
	LogPathUUIDCheckpoint
	// LogPathCompactedCommit is a log compaction file,
	// %020d.%020d.compacted.json. It is an optional optimisation and is
	// ignored.
	LogPathCompactedCommit
)

// String returns a short name of the type, for messages.
func (k LogPathType) String() string {
	switch k {
	case LogPathCommit:
		return "commit"
	case LogPathClassicCheckpoint:
		return "classic checkpoint"
	case LogPathMultiPartCheckpoint:
		return "multi-part checkpoint"
	case LogPathUUIDCheckpoint:
		return "uuid checkpoint"
	case LogPathCompactedCommit:
		return "compacted commit"
	}
	return "unknown"
}

// LogPath is a parsed _delta_log file name.
type LogPath struct {
	// File is the storage entry (Name is relative to the table root).
	File storage.FileInfo
	// Type classifies the file.
	Type LogPathType
	// Version is the table version the file belongs to.
	Version int64
	// Part and NumParts are set for multi-part checkpoints (1-based).
	Part, NumParts int
}

// IsCheckpoint reports whether p is a checkpoint file of any kind.
func (p LogPath) IsCheckpoint() bool {
	return p.Type == LogPathClassicCheckpoint || p.Type == LogPathMultiPartCheckpoint ||
		p.Type == LogPathUUIDCheckpoint
}

// CommitFileName returns the storage name of the JSON commit of version,
// relative to the table root.
func CommitFileName(version int64) string {
	return fmt.Sprintf("%s/%020d.json", LogDir, version)
}

// CheckpointFileName returns the storage name of the classic single-file
// checkpoint of version, relative to the table root.
func CheckpointFileName(version int64) string {
	return fmt.Sprintf("%s/%020d.checkpoint.parquet", LogDir, version)
}

// versionPrefix is the listing start for files of version and later.
func versionPrefix(version int64) string { return fmt.Sprintf("%020d", version) }

// parseDigits parses s as exactly n decimal digits.
func parseDigits(s string, n int) (int64, bool) {
	if len(s) != n {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// isUUID reports whether s has the 8-4-4-4-12 hex form of a UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ParseLogPath classifies a file name of the _delta_log directory; only
// the base name is looked at. Names are matched strictly: anything that
// is not exactly one of the forms of [LogPathType] is LogPathUnknown.
func ParseLogPath(fi storage.FileInfo) LogPath {
	lp := LogPath{File: fi, Type: LogPathUnknown, Version: -1}
	base := path.Base(fi.Name)
	if len(base) < 21 || base[20] != '.' {
		return lp
	}
	v, ok := parseDigits(base[:20], 20)
	if !ok {
		return lp
	}
	rest := base[21:]
	switch {
	case rest == "json":
		lp.Type, lp.Version = LogPathCommit, v
	case rest == "checkpoint.parquet":
		lp.Type, lp.Version = LogPathClassicCheckpoint, v
	case strings.HasPrefix(rest, "checkpoint."):
		mid := strings.TrimPrefix(rest, "checkpoint.")
		// multi-part: %010d.%010d.parquet
		if len(mid) == 10+1+10+len(".parquet") && strings.HasSuffix(mid, ".parquet") && mid[10] == '.' {
			part, ok1 := parseDigits(mid[:10], 10)
			num, ok2 := parseDigits(mid[11:21], 10)
			if ok1 && ok2 && part >= 1 && num >= 1 && part <= num && num < 1<<31 {
				lp.Type, lp.Version, lp.Part, lp.NumParts = LogPathMultiPartCheckpoint, v, int(part), int(num)
			}
			return lp
		}
		for _, ext := range []string{".json", ".parquet"} {
			if u, ok := strings.CutSuffix(mid, ext); ok && isUUID(u) {
				lp.Type, lp.Version = LogPathUUIDCheckpoint, v
			}
		}
	case strings.HasSuffix(rest, ".compacted.json"):
		if _, ok := parseDigits(strings.TrimSuffix(rest, ".compacted.json"), 20); ok {
			lp.Type, lp.Version = LogPathCompactedCommit, v
		}
	}
	return lp
}
