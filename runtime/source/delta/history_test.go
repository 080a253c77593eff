package deltasource_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	deltasource "github.com/streamgen/streamgen/runtime/source/delta"
)

// history builds the test table's history:
//
//	v0 append   1/a/10/x 2/b/20/y      (two files: p=x, p=y)
//	v1 append   3/c/30/x
//	v2 delete   removes v0's p=y file, adds nothing
//	v3 update   removes v1's file, adds 3/C/31/x
//	v4 OPTIMIZE v0's p=x file and v3's file into one (dataChange=false)
//	v5 metaData adds a column "extra" (long)
//	v6 append   4/d/40/y with extra=7
//	v7 metaData changes score from integer to long   (when withTypeChange)
//	v8 append   5/e/50/x                              (when withTypeChange)
func history(t *testing.T, withTypeChange bool) *env {
	t.Helper()
	e := newEnv(t)
	v0, a0 := e.appendRows(rec{1, "a", 10, "x"}, rec{2, "b", 20, "y"})
	_, a1 := e.appendRows(rec{3, "c", 30, "x"})
	var x0, y0 *delta.Add
	for _, a := range a0 {
		if a.PartitionValues["p"] != nil && *a.PartitionValues["p"] == "y" {
			y0 = a
		} else {
			x0 = a
		}
	}
	if v0 != 0 || x0 == nil || y0 == nil {
		t.Fatalf("v0=%d files %d", v0, len(a0))
	}
	e.remove("DELETE", []*delta.Add{y0})
	_, a3 := e.remove("UPDATE", a1, rec{3, "C", 31, "x"})
	e.optimize([]*delta.Add{x0, a3[0]}, rec{1, "a", 10, "x"}, rec{3, "C", 31, "x"})
	e.setSchema(tableSchema(delta.StructField{Name: "extra", Type: delta.Long, Nullable: true}))
	e.appendRows(rec{4, "d", 40, "y"})
	if withTypeChange {
		s := tableSchema(delta.StructField{Name: "extra", Type: delta.Long, Nullable: true})
		s.Fields[3].Type = delta.Long
		e.setSchema(s)
		e.appendRows(rec{5, "e", 50, "x"})
	}
	return e
}

func v(n int64) *int64 { return &n }

// TestHistoryOptions streams the history from version 0 with each option
// and checks the exact output and the error that stops it.
func TestHistoryOptions(t *testing.T) {
	e := history(t, true)
	loc := e.table.Location()
	cases := []struct {
		name string
		cfg  deltasource.Config[rec]
		rows []string
		err  string
	}{
		{
			name: "none",
			rows: []string{"1/a/10/x", "2/b/20/y", "3/c/30/x"},
			err:  "deltasource: table " + loc + ": version 2 deletes data (DELETE removes 1 file(s), e.g. p=y/",
		},
		{
			name: "ignoreDeletes",
			cfg:  deltasource.Config[rec]{IgnoreDeletes: true},
			rows: []string{"1/a/10/x", "2/b/20/y", "3/c/30/x"},
			err:  "deltasource: table " + loc + ": version 3 updates data (UPDATE removes 1 file(s), e.g. p=x/",
		},
		{
			name: "ignoreChanges",
			cfg:  deltasource.Config[rec]{IgnoreChanges: true},
			rows: []string{"1/a/10/x", "2/b/20/y", "3/c/30/x", "3/C/31/x", "4/d/40/y"},
			err: "deltasource: table " + loc + ": version 7 changes the schema incompatibly with the record: " +
				"column score changed type from integer to long (the record reads integer); the stream stops here: " +
				"generate the pipeline for the new schema and start it on a new checkpoint (startingVersion 7 reads the changes from this version on)",
		},
		{
			name: "skipChangeCommits",
			cfg:  deltasource.Config[rec]{SkipChangeCommits: true},
			rows: []string{"1/a/10/x", "2/b/20/y", "3/c/30/x", "4/d/40/y"},
			err:  "version 7 changes the schema incompatibly with the record: column score changed type from integer to long",
		},
		{
			name: "skipChangeCommits+ignoreChanges",
			cfg:  deltasource.Config[rec]{SkipChangeCommits: true, IgnoreChanges: true},
			rows: []string{"1/a/10/x", "2/b/20/y", "3/c/30/x", "4/d/40/y"},
			err:  "version 7 changes the schema incompatibly",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.cpDir = t.TempDir()
			c.cfg.StartingVersion = v(0)
			bs, err := driveRec(t, e.newSource(c.cfg), nil, true)
			if diff := cmp.Diff(c.rows, allRows(bs)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if !contains(errText(err), c.err) {
				t.Errorf("error:\n got %s\nwant containing %s", errText(err), c.err)
			}
		})
	}
	// The full texts of the change errors.
	e.cpDir = t.TempDir()
	_, err := driveRec(t, e.newSource(deltasource.Config[rec]{StartingVersion: v(0)}), nil, true)
	var ce *deltasource.ChangeError
	if !errors.As(err, &ce) || ce.Version != 2 || ce.Kind != deltasource.ChangeDelete || ce.Operation != "DELETE" {
		t.Fatalf("err = %#v", err)
	}
	want := "deltasource: table " + loc + ": version 2 deletes data (DELETE removes 1 file(s), e.g. " + ce.Path +
		", and adds none); the stream stops here: set ignoreDeletes to skip such commits (or ignoreChanges or skipChangeCommits)"
	if err.Error() != want {
		t.Errorf("delete error:\n got %s\nwant %s", err, want)
	}
	e.cpDir = t.TempDir()
	_, err = driveRec(t, e.newSource(deltasource.Config[rec]{StartingVersion: v(0), IgnoreDeletes: true}), nil, true)
	if !errors.As(err, &ce) || ce.Version != 3 || ce.Kind != deltasource.ChangeUpdate {
		t.Fatalf("err = %#v", err)
	}
	want = "deltasource: table " + loc + ": version 3 updates data (UPDATE removes 1 file(s), e.g. " + ce.Path +
		", and adds 1); the stream stops here: set ignoreChanges to read the added files (rows the commit did not change are read again) " +
		"or skipChangeCommits to skip such commits"
	if err.Error() != want {
		t.Errorf("update error:\n got %s\nwant %s", err, want)
	}
}

// TestHistorySnapshot starts from the snapshot at version 6 (the
// OPTIMIZEd file and v6's file), then a type change stops the stream.
func TestHistorySnapshot(t *testing.T) {
	e := history(t, false)
	src := e.newSource(deltasource.Config[rec]{})
	ctx := context.Background()
	start, err := src.InitialOffset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := e.tableID()
	if string(start) != offset(id, 6, -1, true) {
		t.Fatalf("initial offset %s", start)
	}
	bs, err := driveRec(t, src, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1/a/10/x", "3/C/31/x", "4/d/40/y"}, sorted(allRows(bs))); diff != "" {
		t.Errorf("snapshot rows (-want +got):\n%s", diff)
	}
	last := bs[len(bs)-1].End
	if last != offset(id, 7, -1, false) {
		t.Errorf("end after the snapshot %s", last)
	}
	// Nothing new: the same offset.
	end, err := src.LatestOffset(ctx, []byte(last))
	if err != nil || string(end) != last {
		t.Fatalf("idle LatestOffset = %s, %v", end, err)
	}
	// An append, then a change of score's type, then an append.
	e.appendRows(rec{6, "f", 60, "y"})
	s := tableSchema(delta.StructField{Name: "extra", Type: delta.Long, Nullable: true})
	s.Fields[3].Type = delta.Long
	e.setSchema(s)
	e.appendRows(rec{7, "g", 70, "y"})
	bs, err = driveRec(t, src, []byte(last), false)
	if diff := cmp.Diff([]string{"6/f/60/y"}, allRows(bs)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	var se *deltasource.SchemaError
	if !errors.As(err, &se) || se.Version != 8 || se.Start {
		t.Fatalf("err = %v", err)
	}
	if got := bs[len(bs)-1].End; got != offset(id, 8, -1, false) {
		t.Errorf("the batch before the schema change ends at %s", got)
	}
	// A new query cannot start on the table as it is now.
	e.cpDir = t.TempDir()
	_, err = e.newSource(deltasource.Config[rec]{}).InitialOffset(ctx)
	want := "deltasource: table " + e.table.Location() + " at version 9 does not fit the record's schema: column score is long, the record reads integer"
	if errText(err) != want {
		t.Errorf("start error:\n got %s\nwant %s", errText(err), want)
	}
}

// TestAddColumnIgnored: a column added to the table is not in the
// record: rows before and after stream the same way; a dropped record
// column stops the stream naming it.
func TestAddColumnIgnored(t *testing.T) {
	e := newEnv(t)
	e.appendRows(rec{1, "a", 1, "x"})
	src := e.newSource(deltasource.Config[rec]{StartingVersion: v(0)})
	bs, err := driveRec(t, src, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	last := []byte(bs[len(bs)-1].End)
	e.setSchema(tableSchema(delta.StructField{Name: "extra", Type: delta.String, Nullable: true}))
	e.appendRows(rec{2, "b", 2, "y"})
	// Drop "name": the record needs it.
	s := tableSchema(delta.StructField{Name: "extra", Type: delta.String, Nullable: true})
	s.Fields = append(s.Fields[:1], s.Fields[2:]...)
	e.setSchema(s)
	bs, err = driveRec(t, src, last, false)
	if diff := cmp.Diff([]string{"2/b/2/y"}, allRows(bs)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if !contains(errText(err), "version 3 changes the schema incompatibly with the record: column name was dropped;") {
		t.Errorf("err = %v", err)
	}
}

// TestProtocolUpgrade: a commit raising the protocol to one this reader
// cannot read stops the stream with a delta.UnsupportedFeatureError.
func TestProtocolUpgrade(t *testing.T) {
	e := newEnv(t)
	e.appendRows(rec{1, "a", 1, "x"})
	src := e.newSource(deltasource.Config[rec]{})
	bs, err := driveRec(t, src, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	last := []byte(bs[len(bs)-1].End)
	// Write the commit by hand: our writer refuses such protocols.
	line := `{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}}`
	if err := e.store.PutIfAbsent(context.Background(), delta.CommitFileName(1), []byte(line+"\n")); err != nil {
		t.Fatal(err)
	}
	_, err = driveRec(t, src, last, false)
	var ue *delta.UnsupportedFeatureError
	if !errors.As(err, &ue) || ue.Feature != "deletionVectors" || !contains(err.Error(), "version 1 upgrades the table's protocol") {
		t.Fatalf("err = %v", err)
	}
}
