package kafkatokafka

import (
	"context"
	"encoding/json"
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

	"github.com/streamgen/streamgen/runtime/kafkaembed"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// click is a record value, decoded.
type click struct {
	User string `json:"user"`
	Page string `json:"page"`
	Ms   *int64 `json:"ms"`
	Day  string `json:"day"`
}

func value(user, page string, ms *int64) []byte {
	b, err := json.Marshal(click{User: user, Page: page, Ms: ms, Day: "2026-01-02"})
	if err != nil {
		panic(err)
	}
	return b
}

func ms(n int64) *int64 { return &n }

// NewKafkaToKafka with KafkaPlaintext (the embedded cluster has neither
// TLS nor SASL) and the available-now trigger: the records of the topics
// matching clicks-.*, from the spec's starting offsets (clicks-eu/0 from
// its start, clicks-eu/1 from offset 1, clicks-us/0 from its latest
// offset), go to slow-clicks without /health clicks and malformed values,
// keyed by ms as decimal text (empty when null); a restart reads only new
// records.
func TestPipelineKafkaToKafka(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cluster, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{"clicks-eu", "slow-clicks"}, Partitions: 2, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	if err := cluster.CreateTopic("clicks-us", 1); err != nil {
		t.Fatal(err)
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	produce := func(topic string, partition int32, values ...[]byte) {
		t.Helper()
		for _, v := range values {
			if err := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: partition, Value: v}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce("clicks-eu", 0, value("u1", "/a", ms(120)), value("u2", "/health", ms(1)), []byte(`{}`), value("u3", "/b", nil))
	produce("clicks-eu", 1, value("u4", "/skipped", ms(9)), value("u5", "/c", ms(7)))
	produce("clicks-us", 0, value("u6", "/before-start", ms(3)))

	dir := t.TempDir()
	cfg := DefaultKafkaToKafkaConfig()
	cfg.BootstrapServers, cfg.SinkBootstrapServers = cluster.Addrs(), cluster.Addrs()
	cfg.KafkaPlaintext = true
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = logger
	runQuery(t, cfg)
	want := []string{
		`120 {"user":"u1","page":"/a","ms":120,"day":"2026-01-02"}`,
		`7 {"user":"u5","page":"/c","ms":7,"day":"2026-01-02"}`,
		` {"user":"u3","page":"/b","ms":null,"day":"2026-01-02"}`,
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, readTopic(t, ctx, cluster.Addrs(), "slow-clicks")); diff != "" {
		t.Fatalf("slow-clicks records (-want +got):\n%s", diff)
	}

	produce("clicks-us", 0, value("u7", "/d", ms(5)), value("u8", "/health", nil))
	runQuery(t, cfg)
	want = append(want, `5 {"user":"u7","page":"/d","ms":5,"day":"2026-01-02"}`)
	sort.Strings(want)
	if diff := cmp.Diff(want, readTopic(t, ctx, cluster.Addrs(), "slow-clicks")); diff != "" {
		t.Errorf("after a restart, slow-clicks records (-want +got):\n%s", diff)
	}
}

// Without KafkaPlaintext the spec's TLS files are loaded, relative to
// the working directory: missing here, an error naming the source's TLS.
func TestPipelineTLSFiles(t *testing.T) {
	cfg := DefaultKafkaToKafkaConfig()
	cfg.CheckpointPath = t.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := NewKafkaToKafka(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "kafka_to_kafka: source TLS") || !strings.Contains(err.Error(), "certs/ca.pem") {
		t.Errorf("NewKafkaToKafka without the certificates: %v", err)
	}
}

// The key is ms in decimal, empty for null.
func TestSinkKey(t *testing.T) {
	for _, c := range []struct {
		ms   *int64
		want string
	}{{nil, ""}, {ms(0), "0"}, {ms(-12), "-12"}, {ms(1 << 62), "4611686018427387904"}} {
		if got := string(kafkaToKafkaSinkKey([]byte("k:"), &Click{Ms: c.ms})); got != "k:"+c.want {
			t.Errorf("key of %v = %q, want %q", c.ms, got, "k:"+c.want)
		}
	}
}

func runQuery(t *testing.T, cfg KafkaToKafkaConfig) {
	t.Helper()
	ctx := context.Background()
	q, err := NewKafkaToKafka(ctx, cfg)
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

// readTopic reads every record of topic from the start, until a poll
// finds nothing more, as "<key> <value>" with the value re-encoded from
// its decoded fields, sorted.
func readTopic(t *testing.T, ctx context.Context, brokers []string, topic string) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			var v click
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Errorf("record %s/%d@%d: value %q: %v", r.Topic, r.Partition, r.Offset, r.Value, err)
			}
			b, _ := json.Marshal(v)
			out = append(out, fmt.Sprintf("%s %s", r.Key, b))
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
	sort.Strings(out)
	return out
}
