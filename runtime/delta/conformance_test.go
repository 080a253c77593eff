package delta

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/shareddata"
	"github.com/streamgen/streamgen/runtime/storage"
)

// conformanceVersion is one DAT expected folder (latest, v0, v1, ...).
type conformanceVersion struct {
	Version     int64 `json:"version"`
	Rows        int64 `json:"rows"`
	ActiveFiles int   `json:"active_files"`
}

// conformanceCase is one entry of shared/conformance/delta/cases.json.
// The data tests (conformance_rows_test.go) reuse it.
type conformanceCase struct {
	Name                     string                        `json:"name"`
	Path                     string                        `json:"path"`
	Expected                 *string                       `json:"expected"`
	ExpectedFormat           string                        `json:"expected_format"`
	Readable                 bool                          `json:"readable_by_minimal_reader"`
	Protocol                 *Protocol                     `json:"protocol"`
	LatestVersion            *int64                        `json:"latest_version"`
	CheckpointVersion        *int64                        `json:"checkpoint_version"`
	ExpectedActiveFiles      *int                          `json:"expected_active_files"`
	ExpectedRows             *int64                        `json:"expected_rows"`
	PhysicalRows             *int64                        `json:"physical_rows"`
	ExpectedTxns             map[string]int64              `json:"expected_txns"`
	PartitionColumns         []string                      `json:"partition_columns"`
	ExpectedVersions         map[string]conformanceVersion `json:"expected_versions"`
	VersionRows              map[string]int64              `json:"version_rows"`
	LogOnly                  bool                          `json:"log_only"`
	ExpectedSnapshot         json.RawMessage               `json:"expected_snapshot"`
	Negative                 bool                          `json:"negative"`
	ExpectError              string                        `json:"expect_error"`
	ExpectErrorIfUnsupported string                        `json:"expect_error_if_unsupported"`
	Covers                   []string                      `json:"covers"`
	Caveat                   string                        `json:"caveat"`
	Notes                    string                        `json:"notes"`
	// Dir is the absolute table root.
	Dir string `json:"-"`
	// ExpectedDir is the absolute expected-results directory, or "".
	ExpectedDir string `json:"-"`
}

// conformanceExpectedSnapshot is the shape of cases.json "expected_snapshot".
type conformanceExpectedSnapshot struct {
	Version     *int64           `json:"version"`
	ActivePaths []string         `json:"active_paths"`
	Tombstones  *int             `json:"tombstones"`
	Txns        map[string]int64 `json:"txns"`
}

// conformanceCases loads cases.json; it skips the test when the shared
// data is absent (fails under CI=true).
func conformanceCases(t testing.TB) []conformanceCase {
	t.Helper()
	root := shareddata.Dir(t, "conformance/delta")
	data, err := os.ReadFile(filepath.Join(root, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	for i := range cases {
		cases[i].Dir = filepath.Join(root, filepath.FromSlash(cases[i].Path))
		if cases[i].Expected != nil {
			cases[i].ExpectedDir = filepath.Join(root, filepath.FromSlash(*cases[i].Expected))
		}
	}
	return cases
}

// openConformanceTable opens a case's table read-only in place. Tests
// that write must copy the table to t.TempDir first.
func openConformanceTable(t testing.TB, c conformanceCase) *Table {
	t.Helper()
	st, err := storage.NewLocal(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return Open(st)
}

var lrReaderFeatureRE = regexp.MustCompile(`reader feature (\w+)`)

// unsupportedFeatureOf maps an expect_error_if_unsupported message of
// cases.json to the feature name our UnsupportedFeatureError carries.
func unsupportedFeatureOf(msg string) string {
	if strings.Contains(msg, "minReaderVersion 2") {
		return FeatureColumnMapping
	}
	if m := lrReaderFeatureRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

func TestConformanceLog(t *testing.T) {
	cases := conformanceCases(t)
	if len(cases) == 0 {
		t.Fatal("no conformance cases")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			tbl := openConformanceTable(t, c)
			switch {
			case c.Negative:
				lrNegativeCase(ctx, t, tbl, c)
			case c.Readable:
				lrReadableCase(ctx, t, tbl, c)
			case c.ExpectErrorIfUnsupported != "":
				want := unsupportedFeatureOf(c.ExpectErrorIfUnsupported)
				if want == FeatureVacuumProtocolCheck {
					// PROTOCOL.md "VACUUM Protocol Check": readers need no
					// behaviour change, so this reader lists the feature as
					// supported and the table must read like a readable one.
					lrReadableCase(ctx, t, tbl, c)
					return
				}
				_, err := tbl.Snapshot(ctx)
				var ufe *UnsupportedFeatureError
				if !errors.As(err, &ufe) {
					t.Fatalf("Snapshot error = %v, want *UnsupportedFeatureError(%s)", err, want)
				}
				if ufe.Feature != want {
					t.Errorf("Feature = %q, want %q (%s)", ufe.Feature, want, c.ExpectErrorIfUnsupported)
				}
				if !strings.Contains(err.Error(), tbl.Location()) {
					t.Errorf("error %q does not name the table", err)
				}
			default:
				// Valid but not minimal-readable with no stated error:
				// kernel-rs/crc-full, a .crc fixture whose protocol needs
				// reader feature deletionVectors. It must be refused.
				_, err := tbl.Snapshot(ctx)
				var ufe *UnsupportedFeatureError
				if !errors.As(err, &ufe) {
					t.Fatalf("Snapshot error = %v, want *UnsupportedFeatureError", err)
				}
				if c.Protocol != nil && len(c.Protocol.ReaderFeatures) > 0 && ufe.Feature != c.Protocol.ReaderFeatures[0] {
					t.Errorf("Feature = %q, want %q", ufe.Feature, c.Protocol.ReaderFeatures[0])
				}
			}
		})
	}
}

func lrNegativeCase(ctx context.Context, t *testing.T, tbl *Table, c conformanceCase) {
	s, err := tbl.Snapshot(ctx)
	if err == nil {
		t.Fatalf("Snapshot succeeded (version %d, %d files), want error %q", s.Version, len(s.Files), c.ExpectError)
	}
	t.Logf("error: %v", err)
	if !strings.HasPrefix(err.Error(), "delta: ") {
		t.Errorf("error %q lacks the delta: prefix", err)
	}
	var cle *CorruptLogError
	var ufe *UnsupportedFeatureError
	switch e := c.ExpectError; {
	case strings.Contains(e, "not a Delta table"):
		if !errors.Is(err, ErrNotATable) {
			t.Errorf("error = %v, want ErrNotATable", err)
		}
		if _, err := tbl.LatestVersion(ctx); !errors.Is(err, ErrNotATable) {
			t.Errorf("LatestVersion error = %v, want ErrNotATable", err)
		}
	case strings.Contains(e, "minReaderVersion"):
		if !errors.As(err, &ufe) || ufe.Feature != "readerVersion 99" {
			t.Errorf("error = %v, want *UnsupportedFeatureError(readerVersion 99)", err)
		}
	case strings.Contains(e, "not contiguous"):
		if !errors.As(err, &cle) || !strings.Contains(err.Error(), "missing version 1") {
			t.Errorf("error = %v, want *CorruptLogError naming missing version 1", err)
		}
	case strings.Contains(e, "no metaData"):
		if !errors.As(err, &cle) || !strings.Contains(err.Error(), "metaData") {
			t.Errorf("error = %v, want *CorruptLogError naming metaData", err)
		}
	case strings.Contains(e, "no protocol"):
		if !errors.As(err, &cle) || !strings.Contains(err.Error(), "protocol") {
			t.Errorf("error = %v, want *CorruptLogError naming protocol", err)
		}
	default:
		t.Fatalf("negative case with unknown expect_error %q: add a check", e)
	}
}

func lrReadableCase(ctx context.Context, t *testing.T, tbl *Table, c conformanceCase) {
	latest, err := tbl.LatestVersion(ctx)
	if err != nil {
		t.Fatalf("LatestVersion: %v", err)
	}
	if c.LatestVersion != nil && latest != *c.LatestVersion {
		t.Errorf("LatestVersion = %d, want %d", latest, *c.LatestVersion)
	}
	s, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if s.Table() != tbl {
		t.Error("Snapshot.Table() is not the table")
	}
	if s.Version != latest {
		t.Errorf("Snapshot.Version = %d, want %d", s.Version, latest)
	}
	if c.CheckpointVersion != nil && (s.Segment.Checkpoint == nil || s.Segment.Checkpoint.Version != *c.CheckpointVersion) {
		t.Errorf("segment checkpoint = %+v, want version %d", s.Segment.Checkpoint, *c.CheckpointVersion)
	}
	if c.ExpectedActiveFiles != nil && len(s.Files) != *c.ExpectedActiveFiles {
		t.Errorf("active files = %d, want %d", len(s.Files), *c.ExpectedActiveFiles)
	}
	if !slices.IsSortedFunc(s.Files, func(a, b *Add) int {
		pa, _ := a.DecodedPath()
		pb, _ := b.DecodedPath()
		return strings.Compare(pa, pb)
	}) {
		t.Error("Files not sorted by decoded path")
	}
	if _, ok := s.Metadata.Configuration[SetTransactionRetentionKey]; ok && c.ExpectedTxns != nil {
		// expected_txns is the plain log replay; the snapshot also
		// expires txns by delta.setTransactionRetentionDuration, against
		// the table's clock. At the epoch nothing has expired yet.
		epoch := tbl.WithCommitOptions(CommitOptions{Clock: func() time.Time { return time.UnixMilli(0) }})
		es, err := epoch.SnapshotAt(ctx, s.Version)
		if err != nil {
			t.Fatalf("SnapshotAt(%d) at the epoch: %v", s.Version, err)
		}
		lrCheckTxns(t, es, c.ExpectedTxns)
		d, err := ParseInterval(s.Metadata.Configuration[SetTransactionRetentionKey])
		if err != nil {
			t.Fatal(err)
		}
		cutoff := time.Now().Add(-d).UnixMilli()
		for app, x := range es.Txns {
			_, live := s.Txns[app]
			if expired := x.LastUpdated != nil && *x.LastUpdated <= cutoff; live == expired {
				t.Errorf("txn %+v: live %v, expired %v", x, live, expired)
			}
		}
	} else {
		lrCheckTxns(t, s, c.ExpectedTxns)
	}
	if len(c.PartitionColumns) > 0 && !slices.Equal(s.Metadata.PartitionColumns, c.PartitionColumns) {
		t.Errorf("partition columns = %v, want %v", s.Metadata.PartitionColumns, c.PartitionColumns)
	}
	if s.Metadata.SchemaString != "" && s.Schema == nil {
		t.Error("Schema not parsed")
	}
	if s.Timestamp.IsZero() {
		t.Error("Timestamp is zero")
	}
	if len(c.ExpectedSnapshot) > 0 {
		var es conformanceExpectedSnapshot
		if err := json.Unmarshal(c.ExpectedSnapshot, &es); err != nil {
			t.Fatalf("expected_snapshot: %v", err)
		}
		if es.Version != nil && s.Version != *es.Version {
			t.Errorf("version = %d, want %d", s.Version, *es.Version)
		}
		if es.ActivePaths != nil {
			var got []string
			for _, f := range s.Files {
				p, err := f.DecodedPath()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p)
			}
			want := slices.Clone(es.ActivePaths)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("active paths = %q, want %q", got, want)
			}
		}
		if es.Tombstones != nil && len(s.Tombstones) != *es.Tombstones {
			t.Errorf("tombstones = %d, want %d", len(s.Tombstones), *es.Tombstones)
		}
		lrCheckTxns(t, s, es.Txns)
	}
	for name, ev := range c.ExpectedVersions {
		vs, err := tbl.SnapshotAt(ctx, ev.Version)
		if err != nil {
			t.Errorf("SnapshotAt(%d) [%s]: %v", ev.Version, name, err)
			continue
		}
		if vs.Version != ev.Version || len(vs.Files) != ev.ActiveFiles {
			t.Errorf("SnapshotAt(%d) [%s]: version %d, %d files; want %d files", ev.Version, name, vs.Version, len(vs.Files), ev.ActiveFiles)
		}
	}
	for vstr := range c.VersionRows {
		v, err := strconv.ParseInt(vstr, 10, 64)
		if err != nil {
			t.Fatalf("version_rows key %q: %v", vstr, err)
		}
		if vs, err := tbl.SnapshotAt(ctx, v); err != nil || vs.Version != v {
			t.Errorf("SnapshotAt(%d): %v", v, err)
		}
	}
	// Every version from the earliest reconstructable one must load.
	for v := latest; v >= 0; v-- {
		vs, err := tbl.SnapshotAt(ctx, v)
		if errors.Is(err, ErrVersionNotFound) {
			if c.CheckpointVersion == nil || v >= *c.CheckpointVersion {
				t.Errorf("SnapshotAt(%d): %v", v, err)
			}
			break
		}
		if err != nil {
			t.Errorf("SnapshotAt(%d): %v", v, err)
			break
		}
		if vs.Version != v {
			t.Errorf("SnapshotAt(%d).Version = %d", v, vs.Version)
		}
	}
	if _, err := tbl.SnapshotAt(ctx, latest+1); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("SnapshotAt(latest+1) error = %v, want ErrVersionNotFound", err)
	}
}

func lrCheckTxns(t *testing.T, s *Snapshot, want map[string]int64) {
	t.Helper()
	for app, v := range want {
		got, ok := s.Txns[app]
		if !ok || got.Version != v {
			t.Errorf("txn %s = %+v (present %v), want version %d", app, got, ok, v)
		}
	}
	if want != nil && len(s.Txns) != len(want) {
		t.Errorf("txns = %v, want %v", s.Txns, want)
	}
}
