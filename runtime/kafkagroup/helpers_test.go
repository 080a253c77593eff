package kafkagroup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// event is a record of the test topics: {"id": "..."}.
type event struct {
	ID string `json:"id"`
}

type eventDecoder struct{}

func (eventDecoder) Decode(data []byte, dst *event) error {
	*dst = event{}
	if err := json.Unmarshal(data, dst); err != nil {
		return err
	}
	if dst.ID == "" {
		return errors.New("id: missing")
	}
	return nil
}

func newDecoder() streamimpl.Decoder[event] { return eventDecoder{} }

// row is a row of the test table: the record's id and origin.
type row struct {
	ID        string `parquet:"id"`
	Topic     string `parquet:"topic"`
	Partition int32  `parquet:"partition"`
	Offset    int64  `parquet:"offset"`
}

var rowSchema = &delta.StructType{Fields: []delta.StructField{
	{Name: "id", Type: delta.String, Nullable: false},
	{Name: "topic", Type: delta.String, Nullable: false},
	{Name: "partition", Type: delta.Integer, Nullable: false},
	{Name: "offset", Type: delta.Long, Nullable: false},
}}

func toRow(e *event, rec *kafka.Record, emit func(*row) error) error {
	return emit(&row{ID: e.ID, Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset})
}

// testConfig returns the configuration of the test pipeline.
func testConfig(brokers []string, table *delta.Table, topic, group string) Config[event, row] {
	return Config[event, row]{
		Client:          []kgo.Opt{kgo.SeedBrokers(brokers...)},
		Topics:          []string{topic},
		Group:           group,
		Query:           "ingest",
		NewDecoder:      newDecoder,
		OnMalformed:     kafka.DropMalformed,
		Process:         toRow,
		Table:           table,
		Schema:          rowSchema,
		StartingOffsets: StartEarliest,
		MaxRecords:      500,
		MaxWait:         100 * time.Millisecond,
		Logger:          testLogger(),
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("KAFKAGROUP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// cluster is a kfake cluster with a producer.
type cluster struct {
	t    testing.TB
	c    *kfake.Cluster
	prod *kgo.Client
	adm  *kadm.Client
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	return &cluster{t: t, c: c, prod: prod, adm: kadm.NewClient(prod)}
}

func (c *cluster) brokers() []string { return c.c.ListenAddrs() }

func (c *cluster) createTopic(topic string, partitions int32) {
	c.t.Helper()
	resp, err := c.adm.CreateTopic(context.Background(), partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

// produced is what a test wrote: each partition's valid ids by offset.
type produced map[kafka.TopicPartition]map[int64]string

// produce writes values to a partition and records the valid ones.
func (c *cluster) produce(p produced, topic string, part int32, values ...string) {
	c.t.Helper()
	var rs []*kgo.Record
	for _, v := range values {
		rs = append(rs, &kgo.Record{Topic: topic, Partition: part, Value: []byte(v)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := c.prod.ProduceSync(ctx, rs...)
	if err := res.FirstErr(); err != nil {
		c.t.Fatal(err)
	}
	tp := kafka.TopicPartition{Topic: topic, Partition: part}
	if p[tp] == nil {
		p[tp] = map[int64]string{}
	}
	for _, r := range res {
		var e event
		if (eventDecoder{}).Decode(r.Record.Value, &e) == nil {
			p[tp][r.Record.Offset] = e.ID
		} else {
			p[tp][r.Record.Offset] = ""
		}
	}
}

// ids returns n JSON records with ids "<prefix>-<i>".
func ids(prefix string, from, n int) []string {
	var vs []string
	for i := from; i < from+n; i++ {
		vs = append(vs, fmt.Sprintf(`{"id":%q}`, fmt.Sprintf("%s-%d", prefix, i)))
	}
	return vs
}

// localTable returns a table in a new temporary directory and its path.
func localTable(t testing.TB) (*delta.Table, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return delta.Open(st), dir
}

// tableRows reads the table's rows.
func tableRows(t testing.TB, table *delta.Table) []row {
	t.Helper()
	ctx := context.Background()
	snap, err := table.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for _, r := range rows {
		out = append(out, row{ID: r[0].(string), Topic: r[1].(string), Partition: r[2].(int32), Offset: r[3].(int64)})
	}
	return out
}

// checkExactlyOnce checks that the table holds every valid record of p
// exactly once, at its offset, and nothing else, and that each
// partition's txn records its last offset.
func checkExactlyOnce(t testing.TB, table *delta.Table, query string, p produced) {
	t.Helper()
	got := map[string]int{}
	at := map[string]row{}
	for _, r := range tableRows(t, table) {
		got[r.ID]++
		at[r.ID] = r
	}
	want := 0
	var missing, dup, wrong []string
	for tp, offs := range p {
		for off, id := range offs {
			if id == "" {
				continue
			}
			want++
			switch n := got[id]; {
			case n == 0:
				missing = append(missing, id)
			case n > 1:
				dup = append(dup, fmt.Sprintf("%s×%d", id, n))
			case at[id].Topic != tp.Topic || at[id].Partition != tp.Partition || at[id].Offset != off:
				wrong = append(wrong, fmt.Sprintf("%s at %+v", id, at[id]))
			}
			delete(got, id)
		}
	}
	for id := range got {
		wrong = append(wrong, "unexpected "+id)
	}
	for _, l := range [][]string{missing, dup, wrong} {
		sort.Strings(l)
	}
	if len(missing)+len(dup)+len(wrong) > 0 {
		t.Errorf("of %d records: %d missing %s, %d duplicated %s, %d wrong %s", want,
			len(missing), head(missing), len(dup), head(dup), len(wrong), head(wrong))
	}
	var tps []kafka.TopicPartition
	for tp := range p {
		tps = append(tps, tp)
	}
	versions, err := TableVersions(context.Background(), table, query, tps)
	if err != nil {
		t.Fatal(err)
	}
	for tp, offs := range p {
		last := int64(-1)
		for off := range offs {
			last = max(last, off)
		}
		if v, ok := versions[tp]; !ok || v != last {
			t.Errorf("txn of %s/%d: %d (recorded %v), want the last offset %d", tp.Topic, tp.Partition, v, ok, last)
		}
	}
}

func head(l []string) string {
	if len(l) > 10 {
		return strings.Join(l[:10], " ") + " …"
	}
	return strings.Join(l, " ")
}
