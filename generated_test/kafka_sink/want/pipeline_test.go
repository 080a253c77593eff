package kafkasink

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/kafkaembed"
	"github.com/streamgen/streamgen/runtime/trigger"
)

const topic = "hot-readings"

// hot is a record value as the sink should write it, decoded.
type hot struct {
	Device     string    `json:"device"`
	Status     string    `json:"status"`
	Celsius    *float64  `json:"celsius"`
	Fahrenheit float64   `json:"fahrenheit"`
	At         time.Time `json:"at"`
	Site       *string   `json:"site"`
}

// message is a whole record read back: its key, decoded value and
// headers, in the order the record holds them.
type message struct {
	Key     string
	Value   hot
	Headers []header
}

// header is a record header, its value as a string.
type header struct{ Key, Value string }

// msg is the record of a hot reading: keyed by device; headers celsius,
// measured-at, source (the site, left out when site is nil) and status,
// in name order, their values written out here as the sink should write
// them.
func msg(dev, status string, c float64, cText, at string, site *string) message {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	hs := []header{{"celsius", cText}, {"measured-at", at}}
	if site != nil {
		hs = append(hs, header{"source", *site})
	}
	hs = append(hs, header{"status", status})
	return message{Key: dev, Value: hot{Device: dev, Status: status, Celsius: &c, Fahrenheit: c*9/5 + 32, At: t, Site: site}, Headers: hs}
}

func ptr[T any](v T) *T { return &v }

// NewKafkaSink with the available-now trigger over two files (one batch
// each): the read_committed records of the topic are exactly the hot
// readings (temp ≥ 30) as JSON values keyed by device, with their headers
// (whole records compared: key, value, headers in order); a batch run again
// (its commit removed from the checkpoint, as after a crash before the
// commit) writes nothing twice; a restart writes only the new file's
// rows.
func TestPipelineKafkaSink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cluster, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{topic}, Partitions: 3, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()

	dir := t.TempDir()
	cfg := DefaultKafkaSinkConfig()
	cfg.SourcePath = filepath.Join(dir, "in")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.SinkBootstrapServers = cluster.Addrs()
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = logger

	writeFile(t, cfg.SourcePath, "a.jsonl", `{"device":"d1","status":"ok","temp":31.5,"at":"2026-01-02T03:04:05Z","site":"roof"}
{"device":"d2","status":"warn","temp":12,"at":"2026-01-02T03:04:06Z","site":"cellar"}
{"device":"d3","status":"fail","temp":null,"at":"2026-01-02T03:04:07Z"}
{"device":"d4","status":"ok","temp":30,"at":"2026-01-02T03:04:08Z"}
`)
	writeFile(t, cfg.SourcePath, "b.jsonl", `{"device":"d1","status":"warn","temp":45.25,"at":"2026-01-02T04:00:00.5Z","site":""}
not json
{"device":"d\"q\u00e9","status":"ok","temp":1e2,"at":"2026-01-02T04:00:01+02:00","site":"h\u00e4lle \"7\""}
`)
	runQuery(t, cfg)
	want := []message{
		msg("d1", "ok", 31.5, "31.5", "2026-01-02T03:04:05Z", ptr("roof")),
		msg("d4", "ok", 30, "30", "2026-01-02T03:04:08Z", nil),
		msg("d1", "warn", 45.25, "45.25", "2026-01-02T04:00:00.5Z", ptr("")),
		msg("d\"qé", "ok", 100, "100", "2026-01-02T02:00:01Z", ptr(`hälle "7"`)),
	}
	sortMessages(want)
	if diff := cmp.Diff(want, readTopic(t, ctx, cluster.Addrs())); diff != "" {
		t.Fatalf("topic records (-want +got):\n%s", diff)
	}

	// The last batch again, as if its commit had not been written: the
	// topic already holds it, so nothing is written twice.
	last := lastBatch(t, cfg.CheckpointPath)
	if err := os.Remove(filepath.Join(cfg.CheckpointPath, "commits", fmt.Sprint(last))); err != nil {
		t.Fatal(err)
	}
	runQuery(t, cfg)
	if got := lastBatch(t, cfg.CheckpointPath); got != last {
		t.Errorf("after the re-run, last batch %d, want %d", got, last)
	}
	if diff := cmp.Diff(want, readTopic(t, ctx, cluster.Addrs())); diff != "" {
		t.Errorf("after re-running batch %d, topic records (-want +got):\n%s", last, diff)
	}

	// A restart writes only the new file's rows.
	writeFile(t, cfg.SourcePath, "c.jsonl", `{"device":"d5","status":"warn","temp":33.000001,"at":"2026-01-03T00:00:00.123456789Z","site":"yard"}`+"\n")
	runQuery(t, cfg)
	want = append(want, msg("d5", "warn", 33.000001, "33.000001", "2026-01-03T00:00:00.123456789Z", ptr("yard")))
	sortMessages(want)
	if diff := cmp.Diff(want, readTopic(t, ctx, cluster.Addrs())); diff != "" {
		t.Errorf("after a restart, topic records (-want +got):\n%s", diff)
	}
}

// A missing topic is an error of NewKafkaSink, naming it.
func TestPipelineMissingTopic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cluster, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{topic}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	dir := t.TempDir()
	cfg := DefaultKafkaSinkConfig()
	cfg.SourcePath, cfg.CheckpointPath = filepath.Join(dir, "in"), filepath.Join(dir, "checkpoint")
	cfg.SinkBootstrapServers, cfg.SinkTopic = cluster.Addrs(), "no-such-topic"
	cfg.Logger = logger
	if err := os.MkdirAll(cfg.SourcePath, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = NewKafkaSink(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "no-such-topic") {
		t.Errorf("NewKafkaSink with a missing topic: %v", err)
	}
}

// The default config is the spec's.
func TestDefaultConfig(t *testing.T) {
	cfg := DefaultKafkaSinkConfig()
	if fmt.Sprint(cfg.SinkBootstrapServers) != "[localhost:9092]" || cfg.SinkTopic != topic || cfg.SourcePath != "data/readings" ||
		cfg.CheckpointPath != "checkpoints/kafka_sink" || cfg.Trigger != trigger.AvailableNow() {
		t.Errorf("DefaultKafkaSinkConfig() = %+v", cfg)
	}
}

// The key is the device's bytes, a null-free string field.
func TestSinkKey(t *testing.T) {
	for _, dev := range []string{"", "d1", "é\x00\"", strings.Repeat("x", 300)} {
		if got := string(kafkaSinkSinkKey([]byte("prefix"), &KafkaSinkRow{Device: dev})); got != "prefix"+dev {
			t.Errorf("key of %q = %q", dev, got)
		}
	}
}

// The headers are the fields' text in name order, a null field's header
// left out; each value is its own bytes although they share a buffer.
func TestSinkHeaders(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, tc := range []struct {
		row  KafkaSinkRow
		want []header
	}{
		{KafkaSinkRow{Device: "d", Status: ReadingStatusWarn, Celsius: ptr(-0.5), At: at, Site: ptr("roof")},
			[]header{{"celsius", "-0.5"}, {"measured-at", "2026-01-02T03:04:05.0000006Z"}, {"source", "roof"}, {"status", "warn"}}},
		{KafkaSinkRow{Status: ReadingStatusFail, Celsius: ptr(1e21), At: at, Site: ptr("")},
			[]header{{"celsius", "1e+21"}, {"measured-at", "2026-01-02T03:04:05.0000006Z"}, {"source", ""}, {"status", "fail"}}},
		{KafkaSinkRow{Status: ReadingStatusOk, At: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
			[]header{{"measured-at", "2026-01-02T00:00:00Z"}, {"status", "ok"}}},
	} {
		var got []header
		for _, h := range kafkaSinkSinkHeaders(&tc.row) {
			got = append(got, header{h.Key, string(h.Value)})
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("headers of %+v (-want +got):\n%s", tc.row, diff)
		}
	}
}

func runQuery(t *testing.T, cfg KafkaSinkConfig) {
	t.Helper()
	ctx := context.Background()
	q, err := NewKafkaSink(ctx, cfg)
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

// readTopic reads every committed record of the topic from the start
// (read_committed), until a poll finds nothing more, sorted.
func readTopic(t *testing.T, ctx context.Context, brokers []string) []message {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []message
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			var v hot
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Errorf("record %s/%d@%d: value %q: %v", r.Topic, r.Partition, r.Offset, r.Value, err)
			}
			m := message{Key: string(r.Key), Value: v}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, header{h.Key, string(h.Value)})
			}
			out = append(out, m)
		})
		for _, e := range fs.Errors() {
			if e.Err != context.DeadlineExceeded {
				t.Fatalf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
			}
		}
		if n == 0 {
			break
		}
	}
	sortMessages(out)
	return out
}

func sortMessages(m []message) {
	sort.Slice(m, func(i, j int) bool { return fmt.Sprint(m[i]) < fmt.Sprint(m[j]) })
}

// lastBatch returns the greatest n of commits/n in the checkpoint.
func lastBatch(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "commits"))
	if err != nil {
		t.Fatal(err)
	}
	last := int64(-1)
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscan(e.Name(), &n); err == nil && n > last {
			last = n
		}
	}
	return last
}

// writeFile writes name under dir the way the source wants: under a
// hidden name, then renamed into place.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "."+name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
