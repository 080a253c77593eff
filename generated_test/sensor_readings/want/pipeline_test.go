package sensorreadings

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
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

const topic = "sensor-readings"

// rec is a record to produce: its partition and value (nil: a
// tombstone).
type rec struct {
	partition int32
	value     []byte
}

// reading is a valid reading's JSON value.
func reading(dev string, temp float64, sec int) []byte {
	return fmt.Appendf(nil, `{"device_id":%q,"temperature":%v,"timestamp":%q}`, dev, temp, time.Unix(int64(1714564800+sec), 0).UTC().Format(time.RFC3339))
}

// row is the table row of reading(dev, temp, sec).
func row(dev string, temp float64, sec int) string {
	return fmt.Sprint(delta.Row{dev, temp, time.Unix(int64(1714564800+sec), 0).UTC()})
}

// NewSensorReadings over an embedded 3-partition topic with the
// available-now trigger: every valid reading reaches the Delta table
// exactly once; malformed values and a tombstone are in
// <table>/_quarantine with their origin kafka:<topic>/<partition> and
// offset; the checkpoint's last offsets are the end of each partition. A
// restart over the same checkpoint reads only the records produced
// meanwhile.
func TestPipelineKafkaAvailableNow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cluster, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{topic}, Partitions: 3, Logger: logger})
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
			if err := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: r.partition, Value: r.value}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}

	dir := t.TempDir()
	cfg := DefaultSensorReadingsConfig()
	cfg.BootstrapServers = cluster.Addrs()
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = logger

	produce(
		rec{0, reading("a", 20.5, 0)},
		rec{0, []byte(`not json`)},
		rec{0, reading("a", 21, 60)},
		rec{1, reading("b", -3.25, 0)},
		rec{1, nil},                    // a tombstone
		rec{1, reading("b", -3.25, 0)}, // the same reading twice: both kept
		rec{2, reading("c", 40, 0)},
		rec{2, []byte(`{"device_id":"c","temperature":"hot","timestamp":"2024-05-01T12:00:00Z"}`)},
		rec{2, []byte(`{"device_id":"c","temperature":1}`)}, // no timestamp
		rec{2, reading("c", 41.5, 30)},
	)
	runQuery(t, cfg)
	want := []string{row("a", 20.5, 0), row("a", 21, 60), row("b", -3.25, 0), row("b", -3.25, 0), row("c", 40, 0), row("c", 41.5, 30)}
	sort.Strings(want)
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	wantQ := []string{
		"kafka:sensor-readings/0@1 raw=not json",
		"kafka:sensor-readings/1@1 raw=", // the tombstone: no value
		`kafka:sensor-readings/2@1 raw={"device_id":"c","temperature":"hot","timestamp":"2024-05-01T12:00:00Z"}`,
		`kafka:sensor-readings/2@2 raw={"device_id":"c","temperature":1}`,
	}
	if diff := cmp.Diff(wantQ, quarantined(t, cfg.SinkPath)); diff != "" {
		t.Errorf("quarantined records (-want +got):\n%s", diff)
	}
	if got, want := lastOffsets(t, cfg.CheckpointPath), `{"sensor-readings":{"0":3,"1":3,"2":4}}`; got != want {
		t.Errorf("checkpoint offsets %s, want %s", got, want)
	}

	// A restart reads only the new records.
	produce(rec{0, reading("a", 22, 120)}, rec{2, reading("c", 42, 60)}, rec{2, []byte(`[]`)})
	runQuery(t, cfg)
	want = append(want, row("a", 22, 120), row("c", 42, 60))
	sort.Strings(want)
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("after a restart, table rows (-want +got):\n%s", diff)
	}
	wantQ = append(wantQ, "kafka:sensor-readings/2@5 raw=[]")
	sort.Strings(wantQ)
	if diff := cmp.Diff(wantQ, quarantined(t, cfg.SinkPath)); diff != "" {
		t.Errorf("after a restart, quarantined records (-want +got):\n%s", diff)
	}
	if got, want := lastOffsets(t, cfg.CheckpointPath), `{"sensor-readings":{"0":4,"1":3,"2":6}}`; got != want {
		t.Errorf("after a restart, checkpoint offsets %s, want %s", got, want)
	}

	// Nothing new: a third run commits no batch and changes nothing.
	runQuery(t, cfg)
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("after an idle run, table rows (-want +got):\n%s", diff)
	}
}

// -kafka-topic's field: a config with other topics reads those.
func TestPipelineOtherTopic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cluster, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{"other", topic}, Partitions: 1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	for _, r := range []*kgo.Record{{Topic: "other", Value: reading("o", 1, 0)}, {Topic: topic, Value: reading("s", 2, 0)}} {
		if err := producer.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cfg := DefaultSensorReadingsConfig()
	cfg.BootstrapServers, cfg.Topics = cluster.Addrs(), []string{"other"}
	cfg.SinkPath, cfg.CheckpointPath = filepath.Join(dir, "table"), filepath.Join(dir, "checkpoint")
	cfg.Logger = logger
	runQuery(t, cfg)
	if diff := cmp.Diff([]string{row("o", 1, 0)}, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

// The default config is the spec's.
func TestDefaultConfig(t *testing.T) {
	cfg := DefaultSensorReadingsConfig()
	if !slices.Equal(cfg.BootstrapServers, []string{"localhost:9092"}) || !slices.Equal(cfg.Topics, []string{topic}) ||
		cfg.SinkPath != "tables/sensor_readings_bronze" || cfg.CheckpointPath != "checkpoints/sensor_readings" || cfg.Trigger != trigger.AvailableNow() {
		t.Errorf("DefaultSensorReadingsConfig() = %+v", cfg)
	}
}

func runQuery(t *testing.T, cfg SensorReadingsConfig) {
	t.Helper()
	ctx := context.Background()
	q, err := NewSensorReadings(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
}

func snapshotRows(t *testing.T, dir string) []delta.Row {
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
	return rows
}

// tableRows returns the rows of the Delta table at dir, printed, sorted.
func tableRows(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range snapshotRows(t, dir) {
		out = append(out, fmt.Sprint(r))
	}
	sort.Strings(out)
	return out
}

// quarantined returns the records of dir/_quarantine as
// "<file>@<offset> raw=<raw>", sorted, checking that each has an error
// and no line number.
func quarantined(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range snapshotRows(t, filepath.Join(dir, "_quarantine")) {
		// source, file, line, offset, raw, raw_bytes, error, query_id, quarantined_at
		if r[2] != nil || r[6] == "" {
			t.Errorf("quarantined row %v: want no line and an error", r)
		}
		raw := "<nil>"
		if r[4] != nil {
			raw = r[4].(string)
		}
		out = append(out, fmt.Sprintf("%v@%v raw=%s", r[1], r[3], raw))
	}
	sort.Strings(out)
	return out
}

// lastOffsets returns the source offsets of the checkpoint's last batch:
// the last line of offsets/<n> for the greatest n.
func lastOffsets(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "offsets"))
	if err != nil {
		t.Fatal(err)
	}
	last := int64(-1)
	for _, e := range entries {
		if n, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && n > last {
			last = n
		}
	}
	if last < 0 {
		t.Fatal("no offsets file in the checkpoint")
	}
	b, err := os.ReadFile(filepath.Join(dir, "offsets", strconv.FormatInt(last, 10)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
