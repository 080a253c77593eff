package delta

import (
	"testing"

	"github.com/streamgen/streamgen/runtime/storage"
)

func TestLogPathParse(t *testing.T) {
	for _, tc := range []struct {
		name      string
		typ       LogPathType
		version   int64
		part, num int
	}{
		{"_delta_log/00000000000000000000.json", LogPathCommit, 0, 0, 0},
		{"_delta_log/00000000000000000123.json", LogPathCommit, 123, 0, 0},
		{"00000000000000000007.json", LogPathCommit, 7, 0, 0},
		{"_delta_log/00000000000000000010.checkpoint.parquet", LogPathClassicCheckpoint, 10, 0, 0},
		{"_delta_log/00000000000000000001.checkpoint.0000000001.0000000002.parquet", LogPathMultiPartCheckpoint, 1, 1, 2},
		{"_delta_log/00000000000000000001.checkpoint.0000000002.0000000002.parquet", LogPathMultiPartCheckpoint, 1, 2, 2},
		{"_delta_log/00000000000000000002.checkpoint.e8fa2696-9728-4e9c-b285-634743fdd4fb.parquet", LogPathUUIDCheckpoint, 2, 0, 0},
		{"_delta_log/00000000000000000002.checkpoint.e8fa2696-9728-4e9c-b285-634743fdd4fb.json", LogPathUUIDCheckpoint, 2, 0, 0},
		{"_delta_log/00000000000000000002.00000000000000000005.compacted.json", LogPathCompactedCommit, 2, 0, 0},
		// Everything else is ignored.
		{"_delta_log/00000000000000000000.crc", LogPathUnknown, -1, 0, 0},
		{"_delta_log/_last_checkpoint", LogPathUnknown, -1, 0, 0},
		{"_delta_log/.00000000000000000000.json.tmp", LogPathUnknown, -1, 0, 0},
		{"_delta_log/00000000000000000000.json.tmp", LogPathUnknown, -1, 0, 0},
		{"_delta_log/.00000000000000000000.json.crc", LogPathUnknown, -1, 0, 0},
		{"_delta_log/0000000000000000000.json", LogPathUnknown, -1, 0, 0},   // 19 digits
		{"_delta_log/000000000000000000000.json", LogPathUnknown, -1, 0, 0}, // 21 digits
		{"_delta_log/0000000000000000000a.json", LogPathUnknown, -1, 0, 0},  // not digits
		{"_delta_log/-0000000000000000001.json", LogPathUnknown, -1, 0, 0},  // sign
		{"_delta_log/99999999999999999999.json", LogPathUnknown, -1, 0, 0},  // overflows int64
		{"_delta_log/00000000000000000000.JSON", LogPathUnknown, -1, 0, 0},  // case
		{"_delta_log/00000000000000000000.json.json", LogPathUnknown, -1, 0, 0},
		{"_delta_log/00000000000000000001.checkpoint.0000000003.0000000002.parquet", LogPathUnknown, -1, 0, 0}, // part > parts
		{"_delta_log/00000000000000000001.checkpoint.0000000000.0000000002.parquet", LogPathUnknown, -1, 0, 0}, // part 0
		{"_delta_log/00000000000000000001.checkpoint.000000001.0000000002.parquet", LogPathUnknown, -1, 0, 0},  // 9 digits
		{"_delta_log/00000000000000000001.checkpoint.not-a-uuid.parquet", LogPathUnknown, -1, 0, 0},
		{"_delta_log/00000000000000000001.checkpoint.parquet.tmp", LogPathUnknown, -1, 0, 0},
		{"_delta_log/00000000000000000001.checkpoint", LogPathUnknown, -1, 0, 0},
		{"_delta_log/00000000000000000002.0000000000000000005.compacted.json", LogPathUnknown, -1, 0, 0},
		{"", LogPathUnknown, -1, 0, 0},
	} {
		lp := ParseLogPath(storage.FileInfo{Name: tc.name})
		if lp.Type != tc.typ || lp.Version != tc.version || lp.Part != tc.part || lp.NumParts != tc.num {
			t.Errorf("ParseLogPath(%q) = %v v%d %d/%d, want %v v%d %d/%d", tc.name,
				lp.Type, lp.Version, lp.Part, lp.NumParts, tc.typ, tc.version, tc.part, tc.num)
		}
		if lp.File.Name != tc.name {
			t.Errorf("File.Name = %q", lp.File.Name)
		}
	}
}

func TestLogPathNames(t *testing.T) {
	if got := CommitFileName(12); got != "_delta_log/00000000000000000012.json" {
		t.Errorf("CommitFileName = %s", got)
	}
	if got := CheckpointFileName(10); got != "_delta_log/00000000000000000010.checkpoint.parquet" {
		t.Errorf("CheckpointFileName = %s", got)
	}
	for _, n := range []string{CommitFileName(5), CheckpointFileName(5)} {
		if lp := ParseLogPath(storage.FileInfo{Name: n}); lp.Version != 5 {
			t.Errorf("round trip %s: %+v", n, lp)
		}
	}
}

func TestLogSegmentMultiPart(t *testing.T) {
	f := func(name string) LogPath { return ParseLogPath(storage.FileInfo{Name: LogDir + "/" + name}) }
	files := []LogPath{
		f("00000000000000000000.json"),
		f("00000000000000000001.json"),
		f("00000000000000000002.checkpoint.0000000001.0000000002.parquet"),
		f("00000000000000000002.checkpoint.0000000002.0000000002.parquet"),
		f("00000000000000000002.json"),
		f("00000000000000000003.json"),
		f("00000000000000000004.checkpoint.0000000001.0000000003.parquet"), // incomplete
		f("00000000000000000004.checkpoint.0000000003.0000000003.parquet"),
		f("00000000000000000004.json"),
		f("00000000000000000005.json"),
	}
	lt := lrNewTable(t)
	seg, err := lt.tbl.segmentFrom(files, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if seg.Version != 5 || seg.Checkpoint == nil || seg.Checkpoint.Version != 2 || len(seg.Checkpoint.Parts) != 2 || len(seg.Commits) != 3 {
		t.Fatalf("segment = %+v", seg)
	}
	if seg.Checkpoint.Parts[0].Name != LogDir+"/00000000000000000002.checkpoint.0000000001.0000000002.parquet" {
		t.Errorf("parts out of order: %+v", seg.Checkpoint.Parts)
	}
	for i, c := range seg.Commits {
		if want := CommitFileName(int64(3 + i)); c.Name != want {
			t.Errorf("commit %d = %s, want %s", i, c.Name, want)
		}
	}
	// Time travel below the checkpoint replays JSON from 0.
	seg, err = lt.tbl.segmentFrom(files, 1, 0)
	if err != nil || seg.Checkpoint != nil || len(seg.Commits) != 2 {
		t.Fatalf("segment(1) = %+v, %v", seg, err)
	}
	// A classic checkpoint is preferred to a multi-part one of the same version.
	files = append(files, f("00000000000000000002.checkpoint.parquet"))
	seg, err = lt.tbl.segmentFrom(files, 3, 0)
	if err != nil || len(seg.Checkpoint.Parts) != 1 {
		t.Fatalf("segment = %+v, %v", seg, err)
	}
}
