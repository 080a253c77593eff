package kafkaagg

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/kafkaembed"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

type rec struct {
	partition int32
	ts        time.Time // the record's timestamp
	value     string
}

func reading(dev string, temp float64, at string) string {
	return fmt.Sprintf(`{"device_id":%q,"temperature":%v,"timestamp":%q}`, dev, temp, at)
}

// NewKafkaAgg with available-now: only the assigned partitions (0 and 2)
// and the records at or after the starting timestamp (2024-01-31) are
// aggregated; the table holds one row per device and window, merged
// across runs; a malformed value fails the query (onMalformed: fail)
// naming its topic, partition and offset.
func TestPipelineKafkaAgg(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cluster, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{"readings"}, Partitions: 3, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	produce := func(recs ...rec) {
		t.Helper()
		for _, r := range recs {
			if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "readings", Partition: r.partition, Timestamp: r.ts, Value: []byte(r.value)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, now := time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC), time.Now()
	produce(
		rec{0, old, reading("a", 1000, "2024-05-01T12:00:00Z")}, // before the starting timestamp
		rec{0, now, reading("a", 1, "2024-05-01T12:00:10Z")},
		rec{0, now, reading("a", 3, "2024-05-01T12:00:50Z")},
		rec{1, now, reading("a", 100, "2024-05-01T12:00:20Z")}, // partition 1 is not assigned
		rec{1, now, `not json`},
		rec{2, now, reading("b", 5, "2024-05-01T12:01:20Z")},
	)
	dir := t.TempDir()
	cfg := DefaultKafkaAggConfig()
	cfg.BootstrapServers = cluster.Addrs()
	cfg.SinkPath, cfg.CheckpointPath = filepath.Join(dir, "table"), filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = logger
	if err := runQuery(cfg); err != nil {
		t.Fatal(err)
	}
	// device_id, window_start, window_end, n, avg
	want := []string{
		"[a 2024-05-01 12:00:00 +0000 UTC 2024-05-01 12:01:00 +0000 UTC 2 2]",
		"[b 2024-05-01 12:01:00 +0000 UTC 2024-05-01 12:02:00 +0000 UTC 1 5]",
	}
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}

	// A restart folds new records into the same window.
	produce(rec{2, now, reading("a", 8, "2024-05-01T12:00:59Z")}, rec{1, now, reading("z", 1, "2024-05-01T12:00:00Z")})
	if err := runQuery(cfg); err != nil {
		t.Fatal(err)
	}
	want[0] = "[a 2024-05-01 12:00:00 +0000 UTC 2024-05-01 12:01:00 +0000 UTC 3 4]"
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("after a restart, table rows (-want +got):\n%s", diff)
	}

	// A malformed value in an assigned partition stops the query.
	produce(rec{0, now, `{"device_id":7}`})
	err = runQuery(cfg)
	if err == nil || !strings.Contains(err.Error(), "readings/0@3") {
		t.Errorf("query over a malformed value: %v, want an error naming readings/0@3", err)
	}
}

func runQuery(cfg KafkaAggConfig) error {
	ctx := context.Background()
	q, err := NewKafkaAgg(ctx, cfg)
	if err != nil {
		return err
	}
	if err := q.Start(ctx); err != nil {
		return err
	}
	return q.AwaitTermination(ctx)
}

// tableRows returns the rows of the Delta table at dir, printed, sorted.
func tableRows(t *testing.T, dir string) []string {
	t.Helper()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(st).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r))
	}
	sort.Strings(out)
	return out
}
