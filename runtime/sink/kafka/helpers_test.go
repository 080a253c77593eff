package kafka_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/kafkaconn"
	kafkasink "github.com/streamgen/streamgen/runtime/sink/kafka"
)

// reading is the row type of the tests. Raw is written as the "raw"
// header; Write's caller may overwrite it afterwards.
type reading struct {
	Device string
	Temp   int
	Raw    []byte
}

func readingValue(dst []byte, r *reading) []byte {
	return fmt.Appendf(dst, `{"device":%q,"temp":%d}`, r.Device, r.Temp)
}

func readingKey(dst []byte, r *reading) []byte { return append(dst, r.Device...) }

func readingHeaders(r *reading) []kafkasink.Header {
	return []kafkasink.Header{{Key: "raw", Value: r.Raw}, {Key: "kind", Value: []byte("reading")}}
}

// record is a record as read back, in a comparable form.
type record struct {
	Partition int32
	Key       string // "<nil>" for no key
	Value     string
	Headers   string // "k=v,k=v"
}

func (r record) String() string {
	return fmt.Sprintf("p%d key=%s value=%s headers=[%s]", r.Partition, r.Key, r.Value, r.Headers)
}

// env is a kfake cluster with a topic.
type env struct {
	t          testing.TB
	c          *kfake.Cluster
	topic      string
	partitions int32
	clientOpts []kgo.Opt // for the test's own clients (SASL)
	reads      int       // readAll calls, for unique sentinels
}

func newEnv(t testing.TB, topic string, partitions int32, opts ...kfake.Opt) *env {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &env{t: t, c: c, topic: topic, partitions: partitions}
}

func (e *env) conn() kafkaconn.Conn { return kafkaconn.Conn{Brokers: e.c.ListenAddrs()} }

func (e *env) config(exactlyOnce bool) kafkasink.Config[reading] {
	return kafkasink.Config[reading]{
		Conn:        e.conn(),
		Topic:       e.topic,
		Value:       readingValue,
		Key:         readingKey,
		Headers:     readingHeaders,
		ExactlyOnce: exactlyOnce,
		ClientOpts:  []kgo.Opt{kgo.ProducerLinger(0), kgo.RetryTimeout(10 * time.Second)},
	}
}

func (e *env) sink(cfg kafkasink.Config[reading]) *kafkasink.Sink[reading] {
	e.t.Helper()
	s, err := kafkasink.New(ctx(e.t), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(s.Close)
	return s
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// writeBatch writes rows as batch batchID in chunks of chunk rows,
// reusing the chunk's memory like generated code, and commits.
func writeBatch(t testing.TB, s *kafkasink.Sink[reading], queryID string, batchID int64, rows []reading, chunk int) *kafkasink.BatchWriter[reading] {
	t.Helper()
	c := ctx(t)
	w, err := s.BeginBatch(c, queryID, batchID)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort(c)
	writeRows(t, w, rows, chunk)
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	return w
}

// writeRows writes rows in chunks, then scribbles over the chunk.
func writeRows(t testing.TB, w *kafkasink.BatchWriter[reading], rows []reading, chunk int) {
	t.Helper()
	buf := make([]reading, 0, chunk)
	for i, r := range rows {
		raw := append([]byte(nil), r.Raw...)
		buf = append(buf, reading{Device: r.Device, Temp: r.Temp, Raw: raw})
		if len(buf) == chunk || i == len(rows)-1 {
			if err := w.Write(ctx(t), buf); err != nil {
				t.Fatal(err)
			}
			for j := range buf { // the caller may reuse the memory
				for k := range buf[j].Raw {
					buf[j].Raw[k] = 'X'
				}
				buf[j] = reading{Device: "garbage"}
			}
			buf = buf[:0]
		}
	}
}

// rowsFor are the rows of batch b of the tests: some devices, their
// count depending on the batch (batches with b%7 == 3 are empty).
func rowsFor(b int64) []reading {
	if b%7 == 3 {
		return nil
	}
	n := int(b%5) + 1
	rows := make([]reading, n)
	for i := range rows {
		d := fmt.Sprintf("dev-%d", (int(b)+i)%6)
		rows[i] = reading{Device: d, Temp: int(b)*100 + i, Raw: fmt.Appendf(nil, "b%d-r%d", b, i)}
	}
	return rows
}

// expected returns the records rows become on a topic with n
// partitions, computed independently of the sink: the partition is
// Kafka's murmur2 of the key.
func expected(n int32, rows []reading) []record {
	var out []record
	for _, r := range rows {
		out = append(out, record{
			Partition: int32(murmur2([]byte(r.Device))&0x7fffffff) % n,
			Key:       r.Device,
			Value:     fmt.Sprintf(`{"device":%q,"temp":%d}`, r.Device, r.Temp),
			Headers:   "raw=" + string(r.Raw) + ",kind=reading",
		})
	}
	return sortByPartition(out)
}

// sortByPartition stably groups records by partition, keeping each
// partition's order.
func sortByPartition(rs []record) []record {
	slices.SortStableFunc(rs, func(a, b record) int { return int(a.Partition - b.Partition) })
	return rs
}

// murmur2 is Kafka's murmur2 (org.apache.kafka.common.utils.Utils).
func murmur2(data []byte) int32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	length := len(data)
	h := uint32(seed) ^ uint32(length)
	for i := 0; i+4 <= length; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	rest := length % 4
	tail := data[length-rest:]
	switch rest {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// readAll reads every record of the topic, read_committed unless
// uncommitted: it first appends a sentinel record to each partition
// (outside any transaction) and reads until it has seen them all, which
// a read_committed consumer does only once every earlier transaction
// ended.
func (e *env) readAll(uncommitted bool) []record {
	e.t.Helper()
	c := ctx(e.t)
	prod, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.c.ListenAddrs()...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0)}, e.clientOpts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer prod.Close()
	e.reads++
	sentinel := fmt.Sprintf("sentinel-%d", e.reads)
	for p := range e.partitions {
		if err := prod.ProduceSync(c, &kgo.Record{Topic: e.topic, Partition: p, Value: []byte(sentinel)}).FirstErr(); err != nil {
			e.t.Fatal(err)
		}
	}
	iso := kgo.ReadCommitted()
	if uncommitted {
		iso = kgo.ReadUncommitted()
	}
	cons, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.c.ListenAddrs()...), kgo.ConsumeTopics(e.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso)}, e.clientOpts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	defer cons.Close()
	var out []record
	done := map[int32]bool{}
	for len(done) < int(e.partitions) {
		fs := cons.PollFetches(c)
		if err := c.Err(); err != nil {
			e.t.Fatalf("reading %s: %v (read %d records: %v)", e.topic, err, len(out), out)
		}
		fs.EachError(func(t string, p int32, err error) { e.t.Fatalf("fetch %s/%d: %v", t, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Key == nil && strings.HasPrefix(string(r.Value), "sentinel-") {
				if string(r.Value) != sentinel {
					return // an earlier readAll's
				}
				if done[r.Partition] {
					e.t.Fatalf("partition %d: second sentinel", r.Partition)
				}
				done[r.Partition] = true
				return
			}
			if done[r.Partition] {
				e.t.Fatalf("partition %d: record after the sentinel: %s", r.Partition, r.Value)
			}
			key := "<nil>"
			if r.Key != nil {
				key = string(r.Key)
			}
			var hs []string
			for _, h := range r.Headers {
				hs = append(hs, h.Key+"="+string(h.Value))
			}
			out = append(out, record{Partition: r.Partition, Key: key, Value: string(r.Value), Headers: strings.Join(hs, ",")})
		})
	}
	return sortByPartition(out)
}

// diffRecords reports the differences between got and want.
func diffRecords(t testing.TB, got, want []record) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		mark := " "
		if g != w {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %3d got  %s\n      want %s\n", mark, i, g, w)
	}
	t.Errorf("records differ (got %d, want %d):\n%s", len(got), len(want), b.String())
}

// newSinkErr is kafkasink.New for tests expecting an error.
func newSinkErr(t testing.TB, cfg kafkasink.Config[reading]) (*kafkasink.Sink[reading], error) {
	s, err := kafkasink.New(ctx(t), cfg)
	if err == nil {
		t.Cleanup(s.Close)
	} else {
		t.Logf("New: %v", err)
	}
	return s, err
}
