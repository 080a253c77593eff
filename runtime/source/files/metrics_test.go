package files_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/source/files"
)

func TestStatsMetrics(t *testing.T) {
	st := files.Stats{Rows: 7, Malformed: 5, Quarantined: 3, Dropped: 2, Bytes: 1234, Files: 4}
	want := map[string]string{
		"numFilesRead":            "4",
		"numBytesRead":            "1234",
		"numMalformedRows":        "5",
		"numQuarantinedRows":      "3",
		"numDroppedMalformedRows": "2",
	}
	if diff := cmp.Diff(want, st.Metrics()); diff != "" {
		t.Errorf("Metrics() (-want +got):\n%s", diff)
	}
}

func lag(files, bytes int) map[string]string {
	return map[string]string{"numFilesBehindLatest": itoa(int64(files)), "numBytesBehindLatest": itoa(int64(bytes))}
}

func latest(t *testing.T, s *files.Source[row], start json.RawMessage) json.RawMessage {
	t.Helper()
	end, err := s.LatestOffset(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	return end
}

// The lag counts the listed files that no batch up to the end reads.
func TestLagMetrics(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", line("a", "1"), 1)                // 28 bytes
	e.write("b.json", line("b", "1")+line("b", "2"), 2) // 56 bytes
	e.write("c.json", line("c", "12"), 3)               // 29 bytes
	s := e.source(files.MaxFilesPerTrigger(1), files.MaxFileAge(10*time.Second))
	// Before any listing (a re-run batch after a restart), Metrics lists
	// the root itself.
	if diff := cmp.Diff(lag(3, 113), s.Metrics(context.Background(), nil)); diff != "" {
		t.Errorf("before any listing (-want +got):\n%s", diff)
	}
	end0 := latest(t, s, nil)
	if diff := cmp.Diff(lag(2, 85), s.Metrics(context.Background(), end0)); diff != "" {
		t.Errorf("batch 0 (-want +got):\n%s", diff)
	}
	// A file written after the listing counts from the next one on.
	e.write("d.json", line("d", "1"), 4) // 28 bytes
	// Older than the newest file read minus MaxFileAge: never read,
	// never counted.
	e.write("old.json", line("o", "1"), -100)
	if diff := cmp.Diff(lag(2, 85), s.Metrics(context.Background(), end0)); diff != "" {
		t.Errorf("batch 0 again (-want +got):\n%s", diff)
	}
	end1 := latest(t, s, end0)
	if diff := cmp.Diff(lag(2, 57), s.Metrics(context.Background(), end1)); diff != "" {
		t.Errorf("batch 1 (-want +got):\n%s", diff)
	}
	// Files of log batches after the end are behind it.
	if diff := cmp.Diff(lag(3, 113), s.Metrics(context.Background(), end0)); diff != "" {
		t.Errorf("batch 0 after batch 1 was logged (-want +got):\n%s", diff)
	}
	// A restart with a pending log batch lists the root again.
	end2 := latest(t, s, end1) // c.json, logged but not read
	s = e.source(files.MaxFilesPerTrigger(1), files.MaxFileAge(10*time.Second))
	if got := latest(t, s, end1); string(got) != string(end2) {
		t.Fatalf("pending batch %s, want %s", got, end2)
	}
	if diff := cmp.Diff(lag(1, 28), s.Metrics(context.Background(), end2)); diff != "" {
		t.Errorf("pending batch 2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(lag(2, 57), s.Metrics(context.Background(), end1)); diff != "" {
		t.Errorf("batch 1 after the restart (-want +got):\n%s", diff)
	}
	end3 := latest(t, s, end2)
	if diff := cmp.Diff(lag(0, 0), s.Metrics(context.Background(), end3)); diff != "" {
		t.Errorf("batch 3 (-want +got):\n%s", diff)
	}
	if got := s.Metrics(context.Background(), json.RawMessage(`"bad"`)); got != nil {
		t.Errorf("Metrics of an invalid offset: %v, want nil", got)
	}
}

// Under AvailableNow only the files fixed at the start are behind.
func TestLagMetricsAvailableNow(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", line("a", "1"), 1)
	e.write("b.json", line("b", "1"), 2)
	s := e.source(files.MaxFilesPerTrigger(1))
	if err := s.PrepareAvailableNow(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	e.write("c.json", line("c", "1"), 3) // after the start: left for the next run
	end0 := latest(t, s, nil)
	if diff := cmp.Diff(lag(1, 28), s.Metrics(context.Background(), end0)); diff != "" {
		t.Errorf("batch 0 (-want +got):\n%s", diff)
	}
	end1 := latest(t, s, end0)
	if diff := cmp.Diff(lag(0, 0), s.Metrics(context.Background(), end1)); diff != "" {
		t.Errorf("batch 1 (-want +got):\n%s", diff)
	}
}
