package planprint

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streamgen/streamgen/runtime/storage"
)

// countingStore counts Puts and can fail Reads.
type countingStore struct {
	storage.Storage
	puts    atomic.Int64
	readErr error
}

func (s *countingStore) Put(ctx context.Context, name string, data []byte) error {
	s.puts.Add(1)
	return s.Storage.Put(ctx, name, data)
}

func (s *countingStore) Read(ctx context.Context, name string) ([]byte, error) {
	if s.readErr != nil {
		return nil, s.readErr
	}
	return s.Storage.Read(ctx, name)
}

func newStore(t *testing.T) *countingStore {
	t.Helper()
	l, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &countingStore{Storage: l}
}

func TestRecordLoad(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p, err := Load(ctx, s)
	if p != nil || err != nil {
		t.Fatalf("Load(empty checkpoint) = %v, %v; want nil, nil", p, err)
	}
	if err := Record(ctx, s, basePlan()); err != nil {
		t.Fatal(err)
	}
	data, err := s.Storage.Read(ctx, "streamgen/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := Encode(basePlan()); !bytes.Equal(data, want) {
		t.Errorf("recorded:\n%s\nwant:\n%s", data, want)
	}
	got, err := Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if v := Compare(basePlan(), got, nil); len(v.Changes) != 0 || got.Fingerprint() != basePlan().Fingerprint() {
		t.Errorf("Load after Record differs: %s", v)
	}
	// Record replaces the record.
	next := basePlan()
	next.Steps[0].Text = "temperature < 80"
	if err := Record(ctx, s, next); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(ctx, s); err != nil || got.Steps[0].Text != "temperature < 80" {
		t.Errorf("Load after a second Record = %v, %v", got, err)
	}
}

func TestLoadCorrupt(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	url := s.URL(RecordName)
	good, _ := Encode(basePlan())
	for _, tc := range []struct {
		name  string
		data  []byte
		want  string
		newer bool
	}{
		{"truncated", good[:len(good)/2], "planprint: " + url + ":71:11: truncated JSON (unexpected end of JSON input): " + fixCorrupt, false},
		{"garbage", []byte("\x00\x01plan"), "planprint: " + url + ":1:1: invalid JSON (invalid character '\\x00' looking for beginning of value): " + fixCorrupt, false},
		{"newer", bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 7`), 1),
			"planprint: " + url + ": plan record format version 7 was written by a newer streamgen (this one reads versions 1 to 1): " + fixNewer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Storage.Put(ctx, RecordName, tc.data); err != nil {
				t.Fatal(err)
			}
			p, err := Load(ctx, s)
			var de *DecodeError
			if p != nil || !errors.As(err, &de) || de.Newer != tc.newer || de.Path != url {
				t.Fatalf("Load = %v, %v; want a *DecodeError at %s (Newer %v)", p, err, url, tc.newer)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		s := newStore(t)
		s.readErr = errors.New("connection reset")
		_, err := Load(ctx, s)
		want := "planprint: read the plan record " + s.URL(RecordName) + ": connection reset"
		if err == nil || err.Error() != want {
			t.Errorf("Load = %v, want %s", err, want)
		}
	})
}

func TestCheckAndRecord(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	// First start: nothing recorded, no table yet.
	v, err := CheckAndRecord(ctx, s, basePlan(), nil)
	if err != nil || len(v.Changes) != 0 {
		t.Fatalf("first start = %s, %v", v, err)
	}
	if n := s.puts.Load(); n != 1 {
		t.Errorf("first start wrote %d records, want 1", n)
	}
	// Same plan: nothing written.
	if v, err := CheckAndRecord(ctx, s, basePlan(), baseTable()); err != nil || len(v.Changes) != 0 {
		t.Fatalf("restart = %s, %v", v, err)
	}
	if n := s.puts.Load(); n != 1 {
		t.Errorf("an unchanged restart wrote the record (%d puts)", n)
	}
	// Refused: an error listing the refusals, the record unchanged.
	bad := basePlan()
	bad.Operators[0].Keys = append(bad.Operators[0].Keys, Field{Name: "site", Type: String, Nullable: true, Pos: at(12, 22)})
	bad.Steps[0].Text = "true"
	v, err = CheckAndRecord(ctx, s, bad, baseTable())
	var re *RefusedError
	if !errors.As(err, &re) || len(v.Changes) != 2 {
		t.Fatalf("refused restart = %s, %v", v, err)
	}
	wantErr := "planprint: the pipeline changed incompatibly with its checkpoint or table (1 refused change):\n" +
		"streamgen.yaml:12:14: grouping keys: refused: [device string] → [device string, site string (nullable)]; " +
		"the state of the checkpoint is keyed by the old keys. Way forward: " + wfState + "."
	if err.Error() != wantErr {
		t.Errorf("error:\n%s\nwant:\n%s", err, wantErr)
	}
	if n := s.puts.Load(); n != 1 {
		t.Errorf("a refused restart wrote the record (%d puts)", n)
	}
	// Allowed with table evolution: recorded, so the next start compares
	// with it.
	grown := basePlan()
	grown.Sink.Schema = append(grown.Sink.Schema, Field{Name: "site", Type: String, Nullable: true, Pos: at(12, 22)})
	v, err = CheckAndRecord(ctx, s, grown, baseTable())
	if err != nil || len(v.Of(AllowedWithTableEvolution)) != 1 {
		t.Fatalf("evolving restart = %s, %v", v, err)
	}
	if got, _ := Load(ctx, s); got.Fingerprint() != grown.Fingerprint() {
		t.Error("the evolved plan was not recorded")
	}
	// A corrupt record stops the start.
	if err := s.Storage.Put(ctx, RecordName, []byte("{")); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckAndRecord(ctx, s, basePlan(), nil); err == nil || !strings.Contains(err.Error(), "truncated JSON") {
		t.Errorf("corrupt record: %v", err)
	}
}

func TestReport(t *testing.T) {
	old, cur := basePlan(), basePlan()
	cur.Steps[0].Text = "temperature < 80"
	cur.Operators[0].Window.Size = Duration(3600e9)
	cur.Sink.Schema = append(cur.Sink.Schema, Field{Name: "site", Type: String, Nullable: true, Pos: at(12, 22)})
	v := Compare(old, cur, baseTable())
	var b strings.Builder
	if err := v.Report(&b); err != nil {
		t.Fatal(err)
	}
	want := `streamgen.yaml:9:7: step 0 (where): allowed: where temperature < 100 → where temperature < 80; filters, projections and map steps may change between restarts.
streamgen.yaml:13:9: window: refused: tumbling 10m over time → tumbling 1h over time; the state of the checkpoint is keyed by the old windows. Way forward: ` + wfState + `.
streamgen.yaml:12:22: column site: allowed with table evolution: none → string (nullable); the next commit adds the nullable column to the table's schema (mergeSchema); rows written before read it as null.
3 changes: 1 refused, 1 allowed with table evolution, 1 allowed: the query cannot restart on this checkpoint and table
`
	if b.String() != want {
		t.Errorf("Report:\n%s\nwant:\n%s", b.String(), want)
	}
	lines := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	if got, want := v.String(), strings.Join(lines[:len(lines)-1], "\n"); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
	var empty strings.Builder
	if err := (Verdict{}).Report(&empty); err != nil || empty.Len() != 0 {
		t.Errorf("empty Report = %q, %v", empty.String(), err)
	}
	for _, tc := range []struct {
		v    Verdict
		want string
	}{
		{Verdict{Changes: []Change{{Kind: Allowed}}}, "1 change: 1 allowed: the query restarts on its checkpoint"},
		{Verdict{Changes: []Change{{Kind: Allowed}, {Kind: AllowedWithTableEvolution}}},
			"2 changes: 1 allowed with table evolution, 1 allowed: the query restarts, and its next commit evolves the table's schema"},
	} {
		if got := tc.v.summary(); got != tc.want {
			t.Errorf("summary = %q, want %q", got, tc.want)
		}
	}
}
