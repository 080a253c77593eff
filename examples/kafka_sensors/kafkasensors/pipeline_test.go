package kafkasensors_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/examples/kafka_sensors/kafkasensors"
	"github.com/streamgen/streamgen/examples/kafka_sensors/producer"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// TestPipeline runs the example end to end in process: the producer
// writes readings (some malformed) to a kfake cluster, the generated
// pipeline reads them available-now, twice (the second run resumes from
// the checkpoint and reads only the new ones). The table holds exactly
// the valid readings and the quarantine exactly the malformed values, with
// their Kafka origin.
func TestPipeline(t *testing.T) {
	const topic = "sensor-readings"
	c, err := producer.Serve("127.0.0.1:0", topic, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	dir := t.TempDir()
	cfg := kafkasensors.DefaultKafkaSensorsConfig()
	cfg.BootstrapServers = c.ListenAddrs()
	cfg.SinkPath = filepath.Join(dir, "tables", "sensor_readings_bronze")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoints", "sensor_readings")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	pc := producer.Config{Options: producer.Options{Seed: 9, Malformed: 0.05}, Topic: topic}
	wantRows, wantBad := map[string]int{}, map[string]int{}
	for run, count := range []int64{1500, 400} {
		pc.Count = count
		st, err := producer.Produce(ctx, cl, pc)
		if err != nil {
			t.Fatal(err)
		}
		for n := pc.First; n < st.Next; n++ {
			m := pc.Message(n)
			if m.Kind == producer.Valid {
				wantRows[fmt.Sprintf("%s|%v|%s", m.Reading.DeviceID, m.Reading.Temperature, m.Reading.Timestamp.Format(time.RFC3339Nano))]++
			} else {
				wantBad[string(m.Value)]++
			}
		}
		pc.First = st.Next

		q, err := kafkasensors.NewKafkaSensors(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.AwaitTermination(ctx); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}

		rows := tableRows(t, cfg.SinkPath)
		got := map[string]int{}
		for _, r := range rows {
			got[fmt.Sprintf("%s|%v|%s", r[0], r[1], r[2].(time.Time).Format(time.RFC3339Nano))]++
		}
		if !maps.Equal(got, wantRows) {
			t.Fatalf("run %d: the table holds %d rows (%d distinct), want %d (%d distinct)", run, len(rows), len(got), sum(wantRows), len(wantRows))
		}
		qrows := tableRows(t, filepath.Join(cfg.SinkPath, "_quarantine"))
		gotBad := map[string]int{}
		for _, r := range qrows {
			if file, _ := r[1].(string); !strings.HasPrefix(file, "kafka:"+topic+"/") {
				t.Errorf("quarantined record from %v", r[1])
			}
			if _, ok := r[3].(int64); !ok {
				t.Errorf("quarantined record without an offset: %v", r)
			}
			gotBad[r[4].(string)]++
		}
		if !maps.Equal(gotBad, wantBad) {
			t.Fatalf("run %d: the quarantine holds %d records, want %d", run, len(qrows), sum(wantBad))
		}
	}
	if sum(wantBad) == 0 {
		t.Fatal("no malformed readings produced")
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func tableRows(t *testing.T, dir string) []delta.Row {
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
