package kafka_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// reading is the test record type.
type reading struct {
	Device string `json:"device"`
	Temp   int    `json:"temp"`
}

// readingDecoder is a hand-written streamimpl.Decoder for reading: the
// value must be a JSON object with a non-empty "device".
type readingDecoder struct{}

func (readingDecoder) Decode(data []byte, dst *reading) error {
	*dst = reading{}
	if err := json.Unmarshal(data, dst); err != nil {
		return &streamimpl.DecodeError{Msg: err.Error(), Kind: streamimpl.ErrSyntax}
	}
	if dst.Device == "" {
		return &streamimpl.DecodeError{Field: "device", Msg: "missing required field", Kind: streamimpl.ErrMissing}
	}
	return nil
}

func newDecoder() streamimpl.Decoder[reading] { return readingDecoder{} }

// env is a kfake cluster, a producer, an admin client and a checkpoint
// directory.
type env struct {
	t     testing.TB
	c     *kfake.Cluster
	prod  *kgo.Client
	adm   *kadm.Client
	cpDir string
}

func newEnv(t testing.TB, opts ...kfake.Opt) *env {
	t.Helper()
	return newEnvWith(t, nil, opts...)
}

// newEnvWith is newEnv with extra options for the producer client.
func newEnvWith(t testing.TB, prodOpts []kgo.Opt, opts ...kfake.Opt) *env {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e := &env{t: t, c: c, cpDir: filepath.Join(t.TempDir(), "cp")}
	e.prod, err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0)}, prodOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.prod.Close)
	e.adm = kadm.NewClient(e.prod)
	return e
}

func (e *env) createTopic(topic string, partitions int32) {
	e.t.Helper()
	resp, err := e.adm.CreateTopic(context.Background(), partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// produce writes values to topic's partition p, in order.
func (e *env) produce(topic string, p int32, values ...string) {
	e.t.Helper()
	var rs []*kgo.Record
	for _, v := range values {
		rs = append(rs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(v)})
	}
	e.produceRecords(rs...)
}

func (e *env) produceRecords(rs ...*kgo.Record) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.prod.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		e.t.Fatal(err)
	}
}

// produceReadings writes n readings "<prefix>-<i>" to topic's partition p.
func (e *env) produceReadings(topic string, p int32, prefix string, n int) []reading {
	e.t.Helper()
	var vals []string
	var out []reading
	for i := range n {
		r := reading{Device: prefix, Temp: i}
		b, _ := json.Marshal(r)
		vals = append(vals, string(b))
		out = append(out, r)
	}
	e.produce(topic, p, vals...)
	return out
}

func (e *env) checkpoint() *checkpoint.Checkpoint {
	e.t.Helper()
	st, err := storage.NewLocal(e.cpDir)
	if err != nil {
		e.t.Fatal(err)
	}
	cp, err := checkpoint.Open(context.Background(), st, checkpoint.Logger(discard))
	if err != nil {
		e.t.Fatal(err)
	}
	return cp
}

// source opens the source on a fresh view of the checkpoint (a restart).
func (e *env) source(opts ...kafka.Opt) *kafka.Source[reading] {
	e.t.Helper()
	return e.sourceOn(e.checkpoint(), opts...)
}

func (e *env) sourceOn(cp *checkpoint.Checkpoint, opts ...kafka.Opt) *kafka.Source[reading] {
	e.t.Helper()
	opts = append([]kafka.Opt{kafka.BootstrapServers(e.c.ListenAddrs()...), kafka.Logger(discard),
		kafka.OnMalformed(kafka.DropMalformed)}, opts...)
	s, err := kafka.New(context.Background(), cp, 0, newDecoder, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(s.Close)
	return s
}

// read reads [start, end) and returns the rows with their records'
// partitions and offsets.
func read(t testing.TB, s *kafka.Source[reading], start, end json.RawMessage) ([]got, kafka.Stats) {
	t.Helper()
	var out []got
	st, err := s.Read(context.Background(), start, end, func(r *reading, rec *kafka.Record) error {
		out = append(out, got{Row: *r, Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

type got struct {
	Row       reading
	Topic     string
	Partition int32
	Offset    int64
}

func latest(t testing.TB, s *kafka.Source[reading], start json.RawMessage) json.RawMessage {
	t.Helper()
	off, err := s.LatestOffset(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func initial(t testing.TB, s *kafka.Source[reading]) json.RawMessage {
	t.Helper()
	off, err := s.InitialOffset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// logOffsets writes offsets/id with the source's end, as the engine
// does before a batch reads (the quarantine keys batches by it).
func logOffsets(t testing.TB, cp *checkpoint.Checkpoint, id int64, end json.RawMessage) {
	t.Helper()
	if err := cp.WriteOffsets(context.Background(), id, &checkpoint.OffsetSeq{Offsets: []json.RawMessage{end}}); err != nil {
		t.Fatal(err)
	}
}

// produceToNewPartition is produceReadings to a partition just created,
// which the producer's metadata may not show yet.
func (e *env) produceToNewPartition(topic string, p int32, prefix string, n int) {
	e.t.Helper()
	for range 100 {
		var rs []*kgo.Record
		for i := range n {
			b, _ := json.Marshal(reading{Device: prefix, Temp: i})
			rs = append(rs, &kgo.Record{Topic: topic, Partition: p, Value: b})
		}
		e.prod.ForceMetadataRefresh()
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := e.prod.ProduceSync(ctx, rs...).FirstErr()
		cancel()
		if err == nil {
			return
		}
	}
	e.t.Fatalf("cannot produce to %s-%d", topic, p)
}

func (e *env) addPartitions(topic string, n int) {
	e.t.Helper()
	resp, err := e.adm.CreatePartitions(context.Background(), n, topic)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		e.t.Fatal(err)
	}
}
