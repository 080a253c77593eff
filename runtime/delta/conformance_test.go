package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"

	"github.com/streamgen/streamgen/runtime/shareddata"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	"github.com/streamgen/streamgen/runtime/storage/s3store"
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

// TestConformanceLog checks the log of every conformance case (latest
// version, checkpoint, active files, txns, time travel to every version;
// negative cases rejected with the named error, unsupported features with
// *UnsupportedFeatureError) on local storage and, with the same checks,
// on the copy of the tables in MinIO.
func TestConformanceLog(t *testing.T) {
	cases := conformanceCases(t)
	if len(cases) == 0 {
		t.Fatal("no conformance cases")
	}
	runConformance(t, cases, conformanceLogCase)
}

// conformanceLogCase runs TestConformanceLog's checks of case c on tbl,
// its table on some storage.
func conformanceLogCase(t *testing.T, c conformanceCase, tbl *Table) {
	ctx := context.Background()
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
			t.Errorf("error %q does not name the table %s", err, tbl.Location())
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
}

// runConformance runs check on every case, once per storage, in parallel
// subtests: local/<case> open the case's table in place, s3/<case> the
// copy of it in MinIO (see conformanceS3Bucket; skipped when MinIO cannot
// be had, failed under CI=true). The expected results stay local on both:
// they are the independent expectation, not the table under test.
func runConformance(t *testing.T, cases []conformanceCase, check func(t *testing.T, c conformanceCase, tbl *Table)) {
	t.Run("local", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				check(t, c, openConformanceTable(t, c))
			})
		}
	})
	t.Run("s3", func(t *testing.T) {
		bucket, name := conformanceS3Bucket(t, cases)
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				// The stores share the bucket and are not closed one by
				// one: closing one would close the bucket.
				st := s3store.New(bucket, c.Path, "s3://"+name+"/"+c.Path, nil)
				check(t, c, Open(st))
			})
		}
	})
}

// conformanceS3 is the bucket of the shared MinIO server that holds the
// conformance tables, uploaded once per test binary.
var conformanceS3 struct {
	once   sync.Once
	bucket *blob.Bucket
	name   string
	err    error
}

// conformanceS3Bucket returns the bucket of the shared MinIO server
// (miniotest.Shared) holding every case's table directory under the
// case's path, byte for byte, and its name; the first call uploads them.
// It skips the test when MinIO cannot be had (fails under CI=true).
func conformanceS3Bucket(t *testing.T, cases []conformanceCase) (*blob.Bucket, string) {
	t.Helper()
	srv := miniotest.Shared(t)
	conformanceS3.once.Do(func() {
		start := time.Now()
		conformanceS3.name = "conformance"
		conformanceS3.bucket, conformanceS3.err = conformanceUpload(srv, conformanceS3.name, cases)
		t.Logf("uploaded the conformance tables to MinIO in %v", time.Since(start).Round(time.Millisecond))
	})
	if conformanceS3.err != nil {
		t.Fatalf("upload of the conformance tables to MinIO: %v", conformanceS3.err)
	}
	return conformanceS3.bucket, conformanceS3.name
}

// conformanceUpload creates bucket name on srv and puts the files of every
// case's table directory into it, at <case path>/<relative name>, with at
// most 8 uploads at a time.
func conformanceUpload(srv *miniotest.Server, name string, cases []conformanceCase) (*blob.Bucket, error) {
	ctx := context.Background()
	if _, err := srv.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", name, err)
	}
	bucket, err := srv.OpenBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	type file struct{ local, key string }
	var files []file
	seen := map[string]bool{}
	for _, c := range cases {
		err := filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(c.Dir, p)
			if err != nil {
				return err
			}
			key := c.Path + "/" + filepath.ToSlash(rel)
			if !seen[key] {
				seen[key] = true
				files = append(files, file{p, key})
			}
			return nil
		})
		if err != nil {
			bucket.Close()
			return nil, err
		}
	}
	st := s3store.New(bucket, "", "s3://"+name+"/", nil)
	errs := make([]error, len(files))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, f := range files {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			data, err := os.ReadFile(f.local)
			if err == nil {
				err = st.Put(ctx, f.key, data)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		bucket.Close()
		return nil, err
	}
	return bucket, nil
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
