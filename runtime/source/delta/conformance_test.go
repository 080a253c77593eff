package deltasource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/shareddata"
	deltasource "github.com/streamgen/streamgen/runtime/source/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// anyRow is a generic record: the table's latest columns.
type anyRow struct{ r delta.Row }

func (a anyRow) String() string { return render(a.r) }

func render(r delta.Row) string {
	var b strings.Builder
	for i, v := range r {
		if i > 0 {
			b.WriteByte('|')
		}
		switch x := v.(type) {
		case delta.Row:
			b.WriteString("{" + render(x) + "}")
		case []byte:
			fmt.Fprintf(&b, "0x%x", x)
		default:
			fmt.Fprintf(&b, "%v", x)
		}
	}
	return b.String()
}

type confCase struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Readable bool   `json:"readable_by_minimal_reader"`
	LogOnly  bool   `json:"log_only"`
	Rows     *int64 `json:"expected_rows"`
}

// TestConformance streams every conformance table this reader can read:
// from its latest snapshot (the rows of the latest version, whatever the
// history), and from version 0 with each option, against an oracle that
// replays the commits.
func TestConformance(t *testing.T) {
	root := shareddata.Dir(t, "conformance/delta")
	data, err := os.ReadFile(filepath.Join(root, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []confCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		readable := c.Readable || c.Name == "golden/basic-with-vacuum-protocol-check-feature"
		if !readable || c.LogOnly {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			st, err := storage.NewLocal(filepath.Join(root, filepath.FromSlash(c.Path)))
			if err != nil {
				t.Fatal(err)
			}
			conformanceCase(t, c, delta.Open(st))
		})
	}
	if n < 40 {
		t.Errorf("only %d readable cases", n)
	}
}

func conformanceCase(t *testing.T, c confCase, table *delta.Table) {
	ctx := context.Background()
	latest, err := table.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schema := latest.Schema
	want, err := latest.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rows != nil && int64(len(want)) != *c.Rows {
		t.Fatalf("latest snapshot: %d rows, cases.json %d", len(want), *c.Rows)
	}
	var wantS []string
	for _, r := range want {
		wantS = append(wantS, render(r))
	}
	stream := func(cfg deltasource.Config[anyRow]) ([]batchOut, error) {
		t.Helper()
		st, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cp, err := checkpoint.Open(ctx, st, checkpoint.Logger(discard))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Table, cfg.Schema, cfg.Logger = table, schema, discard
		cfg.FromRow = func(row delta.Row, r *anyRow) error { r.r = slices.Clone(row); return nil }
		src, err := deltasource.New(ctx, cp, 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return drive(t, src, func(ctx context.Context, s, e json.RawMessage, fn func(anyRow, deltasource.Origin) error) (deltasource.Stats, error) {
			return src.Read(ctx, s, e, func(r *anyRow, o deltasource.Origin) error { return fn(*r, o) })
		}, nil, true, 10000)
	}
	// From the latest snapshot.
	bs, err := stream(deltasource.Config[anyRow]{MaxFilesPerTrigger: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sorted(wantS), sorted(allRows(bs))); diff != "" {
		t.Errorf("from the snapshot (-want +got):\n%s", diff)
	}
	// From version 0, when its commit is still there.
	if _, err := table.ReadCommit(ctx, 0); err != nil {
		t.Logf("no commit 0 (%v): changes from version 0 not tested", err)
		return
	}
	for _, opt := range []string{"none", "ignoreChanges", "skipChangeCommits"} {
		cfg := deltasource.Config[anyRow]{StartingVersion: v(0), MaxFilesPerTrigger: 3,
			IgnoreChanges: opt == "ignoreChanges", SkipChangeCommits: opt == "skipChangeCommits"}
		wantRows, wantErr := oracle(t, table, latest, opt)
		t.Logf("%s from version 0: %d rows, error %q", opt, len(wantRows), wantErr)
		bs, err := stream(cfg)
		if wantRows == nil && strings.Contains(wantErr, "is missing") {
			var me *deltasource.MissingFileError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("%s: error %v, want a MissingFileError containing %q", opt, err, wantErr)
			}
			continue
		}
		if diff := cmp.Diff(sorted(wantRows), sorted(allRows(bs))); diff != "" {
			t.Errorf("%s: rows from version 0 (-want +got):\n%s", opt, diff)
		}
		if !contains(errText(err), wantErr) || (wantErr == "" && err != nil) {
			t.Errorf("%s: error %v, want one containing %q", opt, err, wantErr)
		}
	}
}

// oracle replays the commits of table from version 0 as the documented
// rules say and returns the rows a stream with option opt reads, and the
// start of the error that stops it ("" for none).
func oracle(t *testing.T, table *delta.Table, latest *delta.Snapshot, opt string) ([]string, string) {
	ctx := context.Background()
	var rows []string
	fits := func(s *delta.StructType) bool {
		for _, f := range latest.Schema.Fields {
			ok := false
			for _, g := range s.Fields {
				if strings.EqualFold(f.Name, g.Name) && f.Type.String() == g.Type.String() {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
	for v := int64(0); v <= latest.Version; v++ {
		actions, err := table.ReadCommit(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		var adds []*delta.Add
		removes := 0
		for _, a := range actions {
			if a.Add != nil && a.Add.DataChange {
				adds = append(adds, a.Add)
			}
			if a.Remove != nil && a.Remove.DataChange {
				removes++
			}
			if a.Metadata != nil {
				s, err := a.Metadata.Schema()
				if err != nil {
					t.Fatal(err)
				}
				if !fits(s) {
					if v == 0 {
						return rows, "at version 0 does not fit the record's schema"
					}
					return rows, fmt.Sprintf("version %d changes the schema incompatibly", v)
				}
			}
		}
		switch {
		case removes == 0:
		case opt == "skipChangeCommits":
			continue
		case len(adds) > 0 && opt != "ignoreChanges":
			return rows, fmt.Sprintf("version %d updates data", v)
		case len(adds) == 0 && opt != "ignoreChanges":
			return rows, fmt.Sprintf("version %d deletes data", v)
		}
		if len(adds) == 0 {
			continue
		}
		snap, err := table.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range adds {
			rs, err := snap.ReadFile(ctx, a)
			if storage.IsNotExist(err) {
				// VACUUMed or fake paths: the stream stops at the file;
				// the rows of its batch are not delivered.
				name, _ := a.DecodedPath()
				return nil, fmt.Sprintf("data file %s of version %d is missing", name, v)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				out := make(delta.Row, len(latest.Schema.Fields))
				for j, f := range latest.Schema.Fields {
					for i, g := range snap.Schema.Fields {
						if strings.EqualFold(f.Name, g.Name) {
							out[j] = r[i]
						}
					}
				}
				rows = append(rows, render(out))
			}
		}
	}
	return rows, ""
}
