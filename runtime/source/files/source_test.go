package files_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
)

// Files are read in modification time order, then by name; hidden,
// underscore, temporary and in-flight copies are never read, nor files
// the glob does not match.
func TestOrderAndSkippedNames(t *testing.T) {
	e := newEnv(t)
	e.write("c.json", line("c", "ok"), 10)
	e.write("b.json", line("b", "ok"), 20)
	e.write("a.json", line("a", "ok"), 20)
	e.write("d.json", line("d", "ok"), 5)
	for _, n := range []string{".hidden.json", "_SUCCESS", "x.json.tmp", "y.json._COPYING_", "sub/e.json", "_tmp/f.json"} {
		e.write(n, line("never", "read"), 1)
	}
	got, _ := drain(t, e.source(), nil)
	want := [][]string{{"d.json", "c.json", "a.json", "b.json"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob string
		want []string
	}{
		{"*", []string{"a.json", "b.txt"}},
		{"*.json", []string{"a.json"}},
		{"**/*.json", []string{"a.json", "d1/c.json", "d1/d2/e.json"}},
		{"d1/*", []string{"d1/c.json", "d1/x.txt"}},
		{"d1/**", []string{"d1/c.json", "d1/x.txt", "d1/d2/e.json"}}, // by mtime
		{"d?/d2/*.json", []string{"d1/d2/e.json"}},
	} {
		t.Run(tc.glob, func(t *testing.T) {
			e := newEnv(t)
			for i, n := range []string{"a.json", "b.txt", "d1/c.json", "d1/x.txt", "d1/d2/e.json", "d1/_h/z.json", ".d/y.json"} {
				e.write(n, line(n, "ok"), i)
			}
			got, _ := drain(t, e.source(files.Glob(tc.glob)), nil)
			if diff := cmp.Diff([][]string{tc.want}, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
	e := newEnv(t)
	for _, bad := range []string{"/abs/*", "a//b", "../x", "a**", "[x"} {
		if _, err := files.New(context.Background(), e.store, e.checkpoint(), 0, newDecoder, files.Glob(bad), files.OnMalformed(files.DropMalformed)); err == nil {
			t.Errorf("glob %q accepted", bad)
		}
	}
}

// The read limits give exact batch contents.
func TestReadLimits(t *testing.T) {
	// f0..f4 with mtimes 0..4 and sizes 10, 20, 30, 40, 50 bytes.
	setup := func(e *env) {
		for i := range 5 {
			e.write("f"+itoa(int64(i))+".json", strings.Repeat(" ", (i+1)*10-1)+"\n", i)
		}
	}
	for _, tc := range []struct {
		name string
		opts []files.Opt
		want [][]string
	}{
		{"none", nil, [][]string{{"f0.json", "f1.json", "f2.json", "f3.json", "f4.json"}}},
		{"maxFiles2", []files.Opt{files.MaxFilesPerTrigger(2)},
			[][]string{{"f0.json", "f1.json"}, {"f2.json", "f3.json"}, {"f4.json"}}},
		{"maxBytes35", []files.Opt{files.MaxBytesPerTrigger(35)},
			[][]string{{"f0.json", "f1.json"}, {"f2.json"}, {"f3.json"}, {"f4.json"}}},
		{"maxBytes5-at-least-one", []files.Opt{files.MaxBytesPerTrigger(5)},
			[][]string{{"f0.json"}, {"f1.json"}, {"f2.json"}, {"f3.json"}, {"f4.json"}}},
		{"maxBytes60-maxFiles2", []files.Opt{files.MaxBytesPerTrigger(60), files.MaxFilesPerTrigger(2)},
			[][]string{{"f0.json", "f1.json"}, {"f2.json"}, {"f3.json"}, {"f4.json"}}},
		{"latestFirst-maxFiles2", []files.Opt{files.LatestFirst(true), files.MaxFilesPerTrigger(2)},
			[][]string{{"f4.json", "f3.json"}, {"f2.json", "f1.json"}, {"f0.json"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			setup(e)
			got, _ := drain(t, e.source(tc.opts...), nil)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
}

// maxFileAge is relative to the newest file read, and ignored with
// maxFilesPerTrigger and latestFirst (Spark).
func TestMaxFileAge(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []files.Opt
		want [][]string
	}{
		{"age", []files.Opt{files.MaxFileAge(time.Minute)},
			[][]string{{"a.json", "b.json"}, {"c.json"}}},
		{"age-ignored-latestFirst-maxFiles", []files.Opt{files.MaxFileAge(time.Minute), files.LatestFirst(true), files.MaxFilesPerTrigger(5)},
			[][]string{{"b.json", "a.json"}, {"c.json", "d.json"}}},
		{"no-age", nil, [][]string{{"a.json", "b.json"}, {"d.json", "c.json"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.write("a.json", "", 100)
			e.write("b.json", "", 200)
			s := e.source(tc.opts...)
			got, end := drain(t, s, nil)
			e.write("c.json", "", 140) // newest read is 200: the limit is 140
			e.write("d.json", "", 139)
			more, _ := drain(t, s, end)
			got = append(got, more...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
			// A restart rebuilds the newest timestamp from the log.
			e.write("e.json", "", 1)
			again, _ := drain(t, e.source(tc.opts...), off(int64(len(got)-1)))
			wantAgain := [][]string{{"e.json"}}
			if tc.name == "age" {
				wantAgain = nil
			}
			if diff := cmp.Diff(wantAgain, again); diff != "" {
				t.Errorf("after restart (-want +got):\n%s", diff)
			}
		})
	}
}

// Files that appear while the query runs are read by a later batch.
func TestFilesAddedWhileRunning(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", "", 10)
	s := e.source()
	got, end := drain(t, s, nil)
	e.write("b.json", "", 5) // older than a.json, but new
	e.write("c.json", "", 20)
	more, _ := drain(t, s, end)
	want := [][]string{{"a.json"}, {"b.json", "c.json"}}
	if diff := cmp.Diff(want, append(got, more...)); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

// A restart neither repeats nor skips a file, including after a crash
// between the source-log write and offsets/N: the pending log batch is
// returned again with the same files even when new files sort before
// them.
func TestRestartNeitherRepeatsNorSkips(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := range 4 {
		e.write("f"+itoa(int64(i))+".json", "", 10+i)
	}
	s := e.source(files.MaxFilesPerTrigger(2))
	end0, err := s.LatestOffset(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	end1, err := s.LatestOffset(ctx, end0)
	if err != nil {
		t.Fatal(err)
	}
	if string(end1) != `{"logOffset":1}` {
		t.Fatalf("second offset %s", end1)
	}
	// The query crashed before writing offsets/1: it restarts from end0.
	e.write("early.json", "", 1) // sorts first
	s = e.source(files.MaxFilesPerTrigger(2))
	got, err := s.LatestOffset(ctx, end0)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(end1) {
		t.Fatalf("after the crash LatestOffset gives %s, want the pending %s", got, end1)
	}
	batches := [][]string{names(t, s, nil, end0), names(t, s, end0, end1)}
	more, _ := drain(t, s, end1)
	batches = append(batches, more...)
	// Another restart after everything: nothing new.
	again, _ := drain(t, e.source(files.MaxFilesPerTrigger(2)), off(2))
	batches = append(batches, again...)
	want := [][]string{{"f0.json", "f1.json"}, {"f2.json", "f3.json"}, {"early.json"}}
	if diff := cmp.Diff(want, batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	// The source log holds Spark's entries.
	data, err := os.ReadFile(filepath.Join(e.cp, "sources", "0", "1"))
	if err != nil {
		t.Fatal(err)
	}
	wantLog := "v1\n" +
		`{"path":"f2.json","timestamp":` + itoa(t0.Add(12*time.Second).UnixMilli()) + `,"batchId":1}` + "\n" +
		`{"path":"f3.json","timestamp":` + itoa(t0.Add(13*time.Second).UnixMilli()) + `,"batchId":1}`
	if diff := cmp.Diff(wantLog, string(data)); diff != "" {
		t.Errorf("sources/0/1 (-want +got):\n%s", diff)
	}
	// An offset the log does not have is refused.
	if _, err := s.LatestOffset(ctx, off(9)); err == nil || !strings.Contains(err.Error(), "past the newest batch 2") {
		t.Errorf("offset past the log: %v", err)
	}
}

// PrepareAvailableNow fixes the listing: later files wait for the next run.
func TestAvailableNowFixedListing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.write("a.json", "", 1)
	e.write("b.json", "", 2)
	s := e.source(files.MaxFilesPerTrigger(1))
	if err := s.PrepareAvailableNow(ctx, nil); err != nil {
		t.Fatal(err)
	}
	e.write("c.json", "", 0)
	got, end := drain(t, s, nil)
	if diff := cmp.Diff([][]string{{"a.json"}, {"b.json"}}, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	next, _ := drain(t, e.source(files.MaxFilesPerTrigger(1)), end)
	if diff := cmp.Diff([][]string{{"c.json"}}, next); diff != "" {
		t.Errorf("next run (-want +got):\n%s", diff)
	}
}

// LatestOffsetAllAvailable (the Once trigger) lifts the read limits.
func TestAllAvailableIgnoresLimits(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", "", 1)
	e.write("b.json", "", 2)
	s := e.source(files.MaxFilesPerTrigger(1), files.MaxBytesPerTrigger(1))
	end, err := s.LatestOffsetAllAvailable(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.json", "b.json"}, names(t, s, nil, end)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestOffsets(t *testing.T) {
	for in, want := range map[string]int64{``: -1, `null`: -1, `{"logOffset":-1}`: -1, `{"logOffset":7}`: 7} {
		got, err := files.ParseOffset(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ParseOffset(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{`{}`, `{"logOffset":"1"}`, `[1]`, `{"logOffset":-2}`} {
		if _, err := files.ParseOffset(json.RawMessage(in)); err == nil {
			t.Errorf("ParseOffset(%q) accepted", in)
		}
	}
	e := newEnv(t)
	if got := e.source(files.Glob("**/*.json")).Description(); got != "FileStreamSource["+e.in+"/**/*.json]" {
		t.Errorf("Description() = %q", got)
	}
}

func TestOptionErrors(t *testing.T) {
	e := newEnv(t)
	inside, _ := storage.NewLocal(filepath.Join(e.in, "archive"))
	outer, _ := storage.NewLocal(filepath.Dir(e.in))
	for _, tc := range []struct {
		opts []files.Opt
		want string
	}{
		{[]files.Opt{files.OnMalformed(files.QuarantineMalformed)}, "needs a quarantine writer"},
		{[]files.Opt{files.OnMalformed(files.DropMalformed), files.CleanSource(files.CleanArchive)}, "needs SourceArchiveDir"},
		{[]files.Opt{files.OnMalformed(files.DropMalformed), files.CleanSource(files.CleanArchive), files.SourceArchiveDir(inside)}, "is inside the source directory"},
		{[]files.Opt{files.OnMalformed(files.DropMalformed), files.CleanSource(files.CleanArchive), files.SourceArchiveDir(e.store)}, "is inside the source directory"},
		{[]files.Opt{files.OnMalformed(files.DropMalformed), files.CleanSource(files.CleanArchive), files.SourceArchiveDir(outer)}, "contains the source directory"},
		{[]files.Opt{files.OnMalformed(files.DropMalformed), files.MaxFilesPerTrigger(-1)}, "must not be negative"},
	} {
		_, err := files.New(context.Background(), e.store, e.checkpoint(), 0, newDecoder, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to contain %q", err, tc.want)
		}
	}
	hidden, _ := storage.NewLocal(filepath.Join(e.in, "_archive"))
	if _, err := files.New(context.Background(), e.store, e.checkpoint(), 0, newDecoder, files.OnMalformed(files.DropMalformed),
		files.CleanSource(files.CleanArchive), files.SourceArchiveDir(hidden)); err != nil {
		t.Errorf("archive under _archive: %v", err)
	}
	for _, s := range []string{"quarantine", "drop", "fail"} {
		if p, err := files.ParseMalformedPolicy(s); err != nil || p.String() != s {
			t.Errorf("ParseMalformedPolicy(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"off", "archive", "delete"} {
		if m, err := files.ParseCleanMode(s); err != nil || m.String() != s {
			t.Errorf("ParseCleanMode(%q) = %v, %v", s, m, err)
		}
	}
}
