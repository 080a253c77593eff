package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
)

// nowStampRE matches the commit times and cutoffs the maintenance commands
// take from the clock (the built tables' own commits are on 2024-05-01),
// with the padding that follows them in a text table.
var nowStampRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z( *)`)

// sameButLocation normalizes the output of a command run on a table:
// the names of the table (forms, in order) become $TABLE, and times from
// the clock $NOW.
func sameButLocation(s string, forms ...string) string {
	for _, l := range forms {
		s = strings.ReplaceAll(s, l, "$TABLE")
	}
	return nowStampRE.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "2024-05-01T") {
			return m
		}
		if strings.HasSuffix(m, " ") {
			return "$NOW "
		}
		return "$NOW"
	})
}

// TestTableCommandsOnMinIO runs every table command on the orders table
// written by runtime/delta into a MinIO bucket, addressed as
// s3://bucket/prefix with the endpoint, region and credentials in the
// environment, and on the same table in a local directory, as a path and
// as a file:// URL: exit status, stdout and stderr must be the same but
// for the location (and the clock's times in maintenance commits).
func TestTableCommandsOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	srv.SetEnv(t)
	ctx := context.Background()
	bucket := srv.NewBucket(t)

	// The table is written on MinIO, then copied object by object into
	// two local directories (data file names hold random UUIDs: two
	// builds differ).
	remote := "s3://" + bucket + "/lake/orders"
	st, err := storage.OpenURL(ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	buildOrdersIn(t, st, "status")
	local := copyToLocal(t, st)
	fileDir := copyToLocal(t, st)
	fileURL := "file://" + filepath.ToSlash(fileDir)
	closeStore(st)
	type target struct {
		name, location string
		// forms are the names of the table in output, for
		// sameButLocation: location and what delta's messages say.
		forms []string
	}
	others := []target{
		{"file URL", fileURL, []string{fileURL, fileDir}},
		{"MinIO", remote, []string{remote + "/", remote}},
	}

	steps := [][]string{
		{"describe"},
		{"describe", "--format", "json"},
		{"describe", "--version", "1"},
		{"history"},
		{"history", "--format", "json", "--limit", "2"},
		{"show"},
		{"show", "--format", "csv", "--version", "1"},
		{"show", "--format", "jsonl", "--timestamp", "2024-05-01 12:02:30"},
		{"show", "--limit", "2"},
		{"show", "--version", "9"},
		{"optimize", "--where", "customer=ann"},
		{"optimize", "--where", "status=late", "--dry-run"},
		{"optimize", "--target-size", "64MiB"},
		{"optimize"},
		{"show", "--format", "jsonl"},
		{"vacuum", "--dry-run"},
		{"vacuum", "--retain", "0h"},
		{"vacuum", "--retain", "0h", "--force", "--dry-run"},
		{"vacuum", "--retain", "0h", "--force"},
		{"vacuum", "--retain", "0h", "--force"},
		{"describe"},
		{"history"},
		{"history", "--format", "json"},
		{"show", "--format", "csv"},
	}
	for _, step := range steps {
		args := func(location string) []string {
			return append([]string{"table", step[0], location}, step[1:]...)
		}
		want := run(args(local)...)
		want.stdout = sameButLocation(want.stdout, local)
		want.stderr = sameButLocation(want.stderr, local)
		if want.code == ExitUsage || (want.code == ExitOK) != (want.stderr == "") {
			t.Fatalf("%s on the local table: exit %d, stderr %q", strings.Join(step, " "), want.code, want.stderr)
		}
		for _, o := range others {
			got := run(args(o.location)...)
			got.stdout = sameButLocation(got.stdout, o.forms...)
			got.stderr = sameButLocation(got.stderr, o.forms...)
			if got.code != want.code {
				t.Errorf("%s on %s: exit %d, want %d (stderr %q)", strings.Join(step, " "), o.name, got.code, want.code, got.stderr)
			}
			if diff := cmp.Diff(want.stdout, got.stdout); diff != "" {
				t.Errorf("%s on %s: stdout differs from the local table's (-local +%s):\n%s", strings.Join(step, " "), o.name, o.name, diff)
			}
			if diff := cmp.Diff(want.stderr, got.stderr); diff != "" {
				t.Errorf("%s on %s: stderr differs from the local table's (-local +%s):\n%s", strings.Join(step, " "), o.name, o.name, diff)
			}
		}
	}
	// VACUUM deleted the five files OPTIMIZE replaced from the bucket too.
	st, err = storage.OpenURL(ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore(st)
	files, err := st.List(ctx, "status=")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Errorf("%d data files in the bucket after OPTIMIZE and VACUUM, want 2: %v", len(files), files)
	}

	// The endpoint and region may be given in the URL instead.
	withQuery := srv.URL(bucket, "lake/orders")
	want := sameButLocation(mustRun(t, "table", "describe", local), local)
	if got := sameButLocation(mustRun(t, "table", "describe", withQuery), withQuery); got != want {
		t.Errorf("describe %s:\n%s\nwant:\n%s", withQuery, got, want)
	}

	// A prefix without a table, and a bucket that does not exist.
	empty := "s3://" + bucket + "/lake/none"
	for _, sub := range []string{"show", "describe", "history", "optimize", "vacuum"} {
		r := run("table", sub, empty)
		if want := "streamgen: table " + sub + " " + empty + ": not a Delta table (no _delta_log)\n"; r.code != ExitError || r.stderr != want || r.stdout != "" {
			t.Errorf("table %s on a prefix without a table: exit %d, stdout %q, stderr %q; want stderr %q", sub, r.code, r.stdout, r.stderr, want)
		}
	}
	missing := "s3://no-such-bucket-" + bucket + "/t"
	r := run("table", "history", missing)
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "streamgen: table history "+missing+": ") || !strings.Contains(r.stderr, "NoSuchBucket") {
		t.Errorf("table history on a missing bucket: exit %d, stderr %q", r.code, r.stderr)
	}
}

// copyToLocal copies every object of st into a new local directory and
// returns it.
func copyToLocal(t *testing.T, st storage.Storage) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "orders")
	dst, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := st.Read(ctx, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := dst.Put(ctx, f.Name, b); err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 8 {
		t.Fatalf("copied %d objects, want the 3 commits and 5 data files at least", len(files))
	}
	return dir
}
