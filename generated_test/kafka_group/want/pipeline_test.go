package readingsingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/command"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/kafkagroup"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

const (
	topic      = "readings"
	partitions = 4
)

// The generated constructor fits command.MainRunner.
var _ command.Runner = (*kafkagroup.Group[Reading, ReadingsIngestSinkRow])(nil)

// cluster is an in-process Kafka cluster (kfake) with the topic and a
// producer recording what it wrote.
type cluster struct {
	t    *testing.T
	c    *kfake.Cluster
	prod *kgo.Client
	// rows are the table rows the valid records make (a multiset),
	// quarantined the origins of the malformed ones, last each
	// partition's last offset.
	mu          sync.Mutex
	rows        []string
	quarantined []string
	last        map[int32]int64
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	return &cluster{t: t, c: c, prod: prod, last: map[int32]int64{}}
}

// value is a record to produce: its JSON value (nil: a tombstone) and
// the table row it makes ("" when the where step filters it out, or
// malformed).
type value struct {
	json      []byte
	row       string
	malformed bool
}

var epoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// reading is a valid reading and its row.
func reading(dev, site string, temp float64, sec int) value {
	ts := epoch.Add(time.Duration(sec) * time.Second)
	v := value{json: fmt.Appendf(nil, `{"device_id":%q,"site":%q,"temperature":%v,"timestamp":%q}`, dev, site, temp, ts.Format(time.RFC3339))}
	if temp > -100 {
		v.row = fmt.Sprint(delta.Row{dev, site, temp, temp*9/5 + 32, ts})
	}
	return v
}

func malformed(raw []byte) value { return value{json: raw, malformed: true} }

// produce writes values to a partition, in order.
func (c *cluster) produce(part int32, vs ...value) {
	c.t.Helper()
	var rs []*kgo.Record
	for _, v := range vs {
		rs = append(rs, &kgo.Record{Topic: topic, Partition: part, Value: v.json})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := c.prod.ProduceSync(ctx, rs...)
	if err := res.FirstErr(); err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range res {
		switch v := vs[i]; {
		case v.malformed:
			c.quarantined = append(c.quarantined, fmt.Sprintf("kafka:%s/%d@%d", topic, part, r.Record.Offset))
		case v.row != "":
			c.rows = append(c.rows, v.row)
		}
		c.last[part] = max(c.last[part], r.Record.Offset)
	}
}

// produceMix writes n readings to each partition, a malformed value, a
// tombstone and a filtered-out reading among them, and a reading
// produced twice (both copies are rows).
func (c *cluster) produceMix(round, n int) {
	c.t.Helper()
	for part := range int32(partitions) {
		var vs []value
		for i := range n {
			dev := fmt.Sprintf("r%d-p%d-%d", round, part, i)
			site := []string{"north", "south", "east"}[i%3]
			vs = append(vs, reading(dev, site, float64(i%40)-5.5, i))
			switch i {
			case 7:
				vs = append(vs, malformed([]byte(`not json`)))
			case 20:
				vs = append(vs, malformed(nil)) // a tombstone
			case 33:
				vs = append(vs, reading(dev+"-fault", site, -200, i)) // filtered out
			case 41:
				vs = append(vs, reading(dev, site, float64(i%40)-5.5, i)) // the same reading again
			case 60:
				vs = append(vs, malformed([]byte(`{"device_id":"x","site":"north","temperature":"hot","timestamp":"2024-05-01T12:00:00Z"}`)))
			}
		}
		// Each partition ends differently: a row, a malformed value, a
		// filtered reading; the txn is the last offset all the same.
		switch part {
		case 1:
			vs = append(vs, malformed([]byte(`{"device_id":"x"}`)))
		case 2:
			vs = append(vs, reading(fmt.Sprintf("r%d-p2-last-fault", round), "east", -150, 0))
		}
		c.produce(part, vs...)
	}
}

// config returns the spec's config pointed at the cluster and a table in
// dir.
func (c *cluster) config(dir string) ReadingsIngestConfig {
	cfg := DefaultReadingsIngestConfig()
	cfg.BootstrapServers = c.c.ListenAddrs()
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// startGroups starts n processes of the group, in process.
func startGroups(t *testing.T, n int, cfg ReadingsIngestConfig) []*kafkagroup.Group[Reading, ReadingsIngestSinkRow] {
	t.Helper()
	var gs []*kafkagroup.Group[Reading, ReadingsIngestSinkRow]
	for range n {
		g, err := NewReadingsIngest(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

func await(t *testing.T, gs []*kafkagroup.Group[Reading, ReadingsIngestSinkRow]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, g := range gs {
		if err := g.AwaitTermination(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// check compares the table, the quarantine table and the txns with what
// was produced.
func (c *cluster) check(t *testing.T, sinkPath string) {
	t.Helper()
	c.mu.Lock()
	wantRows, wantQ := slices.Clone(c.rows), slices.Clone(c.quarantined)
	c.mu.Unlock()
	sort.Strings(wantRows)
	sort.Strings(wantQ)
	if len(wantRows) == 0 || len(wantQ) == 0 {
		t.Fatal("nothing produced")
	}
	t.Logf("%d rows, %d quarantined, txns %v", len(wantRows), len(wantQ), c.wantTxns())
	if diff := cmp.Diff(wantRows, tableRows(t, sinkPath)); diff != "" {
		t.Errorf("table rows, each valid record exactly once (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantQ, quarantined(t, sinkPath)); diff != "" {
		t.Errorf("quarantined records, each malformed record once (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(c.wantTxns(), tableTxns(t, sinkPath)); diff != "" {
		t.Errorf("txn versions: each partition's last offset (-want +got):\n%s", diff)
	}
}

func (c *cluster) wantTxns() map[int32]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneOffsets(c.last)
}

func cloneOffsets(m map[int32]int64) map[int32]int64 {
	out := make(map[int32]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Two processes of the group, run concurrently in process with the
// available-now trigger over a 4-partition topic holding valid,
// malformed, filtered and repeated records: the table holds every valid
// record that passes the where step exactly once (as a multiset: a
// reading produced twice is two rows), the quarantine table (the
// default, _quarantine in the table) each malformed record once, and
// each partition's txn "readings_ingest-readings-<p>" its last offset. A
// second run of two processes reads only what was produced since.
func TestGroupAvailableNow(t *testing.T) {
	c := newCluster(t)
	c.produceMix(0, 80)
	dir := t.TempDir()
	cfg := c.config(dir)
	if cfg.Trigger != trigger.AvailableNow() {
		t.Fatalf("the spec's trigger is %v, want available-now", cfg.Trigger)
	}
	gs := startGroups(t, 2, cfg)
	await(t, gs)
	var commits int64
	for _, g := range gs {
		commits += g.Stats().Commits
	}
	if commits < 4*80/50 {
		t.Errorf("%d commits, want at least one per 50 records (maxOffsetsPerTrigger)", commits)
	}
	c.check(t, cfg.SinkPath)

	c.produceMix(1, 30)
	await(t, startGroups(t, 2, cfg))
	c.check(t, cfg.SinkPath)
}

// Two processes with a continuous trigger (an interval: each commit
// gathers records for up to 100ms) while records are produced; once the
// table's txns reach the last offsets, Stop ends both, and the table is
// exactly once as above. A third process joining midway moves
// partitions between processes (a rebalance) without loss or
// duplicates.
func TestGroupContinuous(t *testing.T) {
	c := newCluster(t)
	dir := t.TempDir()
	cfg := c.config(dir)
	cfg.Trigger = trigger.ProcessingTime(100 * time.Millisecond)
	gs := startGroups(t, 2, cfg)
	defer func() {
		for _, g := range gs {
			g.Stop()
		}
	}()
	for round := range 3 {
		c.produceMix(round, 60)
		if round == 1 {
			gs = append(gs, startGroups(t, 1, cfg)...)
		}
		time.Sleep(200 * time.Millisecond)
	}
	deadline := time.Now().Add(time.Minute)
	for !cmp.Equal(c.wantTxns(), tableTxns(t, cfg.SinkPath)) {
		if time.Now().After(deadline) {
			t.Fatalf("the table's txns %v never reached the last offsets %v", tableTxns(t, cfg.SinkPath), c.wantTxns())
		}
		for _, g := range gs {
			select {
			case <-g.Done():
				t.Fatalf("a process ended early: %v", g.AwaitTermination(context.Background()))
			default:
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, g := range gs {
		g.Stop()
	}
	await(t, gs)
	c.check(t, cfg.SinkPath)
}

// once has no meaning for a group: New refuses it; an interval longer
// than kafkagroup.MaxTriggerInterval too.
func TestGroupTriggers(t *testing.T) {
	for _, tc := range []struct {
		trig trigger.Trigger
		want string
	}{
		{trigger.Once(), "trigger once is not supported"},
		{trigger.ProcessingTime(time.Minute), "must be at most 30s"},
	} {
		cfg := DefaultReadingsIngestConfig()
		cfg.SinkPath = t.TempDir()
		cfg.Trigger = tc.trig
		_, err := NewReadingsIngest(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("trigger %v: error %v, want one saying %q", tc.trig, err, tc.want)
		}
	}
}

// The default config is the spec's: no checkpoint, the pipeline's name
// as the query name.
func TestDefaultConfig(t *testing.T) {
	cfg := DefaultReadingsIngestConfig()
	if !slices.Equal(cfg.BootstrapServers, []string{"localhost:9092"}) || !slices.Equal(cfg.Topics, []string{topic}) ||
		cfg.ConsumerGroup != "readings-ingest" || cfg.QueryName != "readings_ingest" ||
		cfg.SinkPath != "tables/readings_bronze" || cfg.QuarantinePath != "" || cfg.Trigger != trigger.AvailableNow() {
		t.Errorf("DefaultReadingsIngestConfig() = %+v", cfg)
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
// "<file>@<offset>", sorted, checking that each has an error.
func quarantined(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range snapshotRows(t, filepath.Join(dir, "_quarantine")) {
		// source, file, line, offset, raw, raw_bytes, error, query_id, quarantined_at
		if r[2] != nil || r[6] == "" {
			t.Errorf("quarantined row %v: want no line and an error", r)
		}
		out = append(out, fmt.Sprintf("%v@%v", r[1], r[3]))
	}
	sort.Strings(out)
	return out
}

// tableTxns returns the txn version the table at dir records for each
// partition of the topic under the query readings_ingest.
func tableTxns(t *testing.T, dir string) map[int32]int64 {
	t.Helper()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tps []kafka.TopicPartition
	for p := range int32(partitions) {
		tps = append(tps, kafka.TopicPartition{Topic: topic, Partition: p})
	}
	versions, err := kafkagroup.TableVersions(context.Background(), delta.Open(st), "readings_ingest", tps)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for tp, v := range versions {
		out[tp.Partition] = v
	}
	return out
}
