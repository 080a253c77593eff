package kafkagroup

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/storage"
)

// deleteRecords deletes the records of a partition before offset before,
// as retention would.
func (c *cluster) deleteRecords(topic string, p int32, before int64) {
	c.t.Helper()
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: topic, Partition: p, At: before, LeaderEpoch: -1})
	resp, err := c.adm.DeleteRecords(context.Background(), os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

// failStore fails the next put of a commit file once armed, as a crash
// between the quarantine and the data commit would leave things.
type failStore struct {
	storage.Storage
	armed atomic.Bool
}

func (s *failStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, delta.LogDir+"/") && strings.HasSuffix(name, ".json") && s.armed.Swap(false) {
		return errors.New("injected failure")
	}
	return s.Storage.PutIfAbsent(ctx, name, data)
}

// quarantined returns the quarantine table's records as "file@offset: err".
func quarantined(t *testing.T, qt *delta.Table) []string {
	t.Helper()
	snap, err := qt.Snapshot(context.Background())
	if errors.Is(err, delta.ErrNotATable) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%v@%v: %v", r[1], r[3], r[6]))
	}
	return sortedCopy(out)
}

func runErr(t *testing.T, cfg Config[event, row]) (*Group[event, row], error) {
	t.Helper()
	cfg.AvailableNow = true
	ctx := context.Background()
	g, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = g.AwaitTermination(wctx)
	if errors.Is(err, context.DeadlineExceeded) {
		g.Stop()
		t.Fatal("the group did not stop")
	}
	return g, err
}

// lossSetup: events/0 holds offsets 0..9 of which the table wrote 0..2,
// events/1 offsets 0..2 of which it wrote none, and retention deleted
// events/0 below 6 since: offsets 3..5 are lost.
func lossSetup(t *testing.T, table *delta.Table) (*cluster, produced) {
	c := newCluster(t)
	c.createTopic("events", 2)
	tx, err := table.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(delta.Metadata{SchemaString: rowSchema.SchemaString()})
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := produced{}
	c.produce(p, "events", 0, ids("a", 0, 10)...)
	c.produce(p, "events", 1, ids("b", 0, 3)...)
	commitTxn(t, table, 0, 2)
	commitTxn(t, table, 1, -1)
	c.deleteRecords("events", 0, 6)
	return c, p
}

// TestDataLossFails: under FailOnDataLoss a partition whose next offset
// is below its log start stops the group with a *kafka.DataLossError
// naming the topic, partition and offsets, and writes nothing of it.
func TestDataLossFails(t *testing.T) {
	table, _ := localTable(t)
	c, _ := lossSetup(t, table)
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.FailOnDataLoss = true
	_, err := runErr(t, cfg)
	var dl *kafka.DataLossError
	if !errors.As(err, &dl) {
		t.Fatalf("err = %v, want a *kafka.DataLossError", err)
	}
	if dl.TP != (kafka.TopicPartition{Topic: "events", Partition: 0}) || dl.From != 3 || dl.To != 6 {
		t.Errorf("DataLossError = %+v", dl)
	}
	if !strings.Contains(err.Error(), `topic "events" partition 0: offsets [3, 6)`) || !strings.Contains(err.Error(), "failOnDataLoss=false") {
		t.Errorf("message: %v", err)
	}
	v, _ := TableVersions(context.Background(), table, "ingest", []kafka.TopicPartition{{Topic: "events", Partition: 0}})
	if v[kafka.TopicPartition{Topic: "events", Partition: 0}] != 2 {
		t.Errorf("txn of events/0 moved: %v", v)
	}
	for _, r := range tableRows(t, table) {
		if r.Partition == 0 {
			t.Errorf("row of events/0 written: %+v", r)
		}
	}
}

// TestDataLossContinues: without FailOnDataLoss the lost range is
// counted, quarantined once (a crash between the quarantine and the data
// commit does not quarantine it twice) and the partition continues from
// its log start; a second run finds nothing lost.
func TestDataLossContinues(t *testing.T) {
	dir := t.TempDir()
	qst, err := storage.NewLocal(filepath.Join(dir, "q"))
	if err != nil {
		t.Fatal(err)
	}
	qt := delta.Open(qst)
	st, err := storage.NewLocal(filepath.Join(dir, "t"))
	if err != nil {
		t.Fatal(err)
	}
	fs := &failStore{Storage: st}
	table := delta.Open(fs)
	c, p := lossSetup(t, table)
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.OnMalformed = kafka.QuarantineMalformed
	cfg.Quarantine = quarantine.NewDelta(qt)

	// The first run quarantines the loss, then its data commit fails.
	fs.armed.Store(true)
	if _, err := runErr(t, cfg); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("first run: err = %v, want the injected failure", err)
	}
	g, err := runErr(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for off := range int64(6) {
		delete(p[kafka.TopicPartition{Topic: "events", Partition: 0}], off) // 0..2 written before, 3..5 lost
	}
	got := map[int64]bool{}
	for _, r := range tableRows(t, table) {
		if r.Partition == 0 {
			got[r.Offset] = true
		}
	}
	if fmt.Sprint(got) != "map[6:true 7:true 8:true 9:true]" {
		t.Errorf("offsets written of events/0: %v", got)
	}
	checkExactlyOnce(t, table, "ingest", p)
	if s := g.Stats(); s.OffsetsLost != 3 || s.DataLossRanges != 1 || s.Records != 7 {
		t.Errorf("stats %+v", s)
	}
	var metrics []string
	for _, pr := range g.RecentProgress() {
		if m := pr.Sources[0].Metrics; m["numOffsetsLost"] != "0" {
			metrics = append(metrics, m["numOffsetsLost"]+"/"+m["numDataLossRanges"])
		}
	}
	if fmt.Sprint(metrics) != "[3/1]" {
		t.Errorf("progress numOffsetsLost/numDataLossRanges: %v", metrics)
	}
	want := []string{`kafka:events/0@3: data loss: offsets [3, 6) of topic "events" partition 0 were skipped: ` +
		`the table records offset 2 as written and the earliest available offset is 6 (deleted by retention or DeleteRecords)`}
	if q := quarantined(t, qt); fmt.Sprint(q) != fmt.Sprint(want) {
		t.Errorf("quarantined:\n%q\nwant\n%q", q, want)
	}

	// Nothing new is lost: a second run records nothing.
	g, err = runErr(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Stats(); s.OffsetsLost != 0 || s.DataLossRanges != 0 || s.Commits != 0 {
		t.Errorf("second run stats %+v", s)
	}
	if q := quarantined(t, qt); len(q) != 1 {
		t.Errorf("quarantined after the second run: %q", q)
	}
}

// TestNoDataLoss: records deleted after they were written, and the
// offsets of transaction markers, are not data loss, even under
// FailOnDataLoss.
func TestNoDataLoss(t *testing.T) {
	c := newCluster(t)
	c.createTopic("events", 1)
	table, _ := localTable(t)
	p := produced{}
	c.produce(p, "events", 0, ids("a", 0, 5)...)
	// A transaction: its commit marker takes an offset, a gap.
	tx, err := kgo.NewClient(kgo.SeedBrokers(c.brokers()...), kgo.TransactionalID("tx"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	ctx := context.Background()
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	tp := kafka.TopicPartition{Topic: "events", Partition: 0}
	for i := range 3 {
		r := &kgo.Record{Topic: "events", Partition: 0, Value: fmt.Appendf(nil, `{"id":"tx-%d"}`, i)}
		if err := tx.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		p[tp][r.Offset] = fmt.Sprintf("tx-%d", i)
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	c.produce(p, "events", 0, ids("b", 0, 3)...) // after the marker
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.FailOnDataLoss = true
	g, err := runErr(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, table, "ingest", p)
	if s := g.Stats(); s.OffsetsLost != 0 || s.DataLossRanges != 0 || s.Records != 11 {
		t.Errorf("stats %+v", s)
	}
	// Retention deletes what was written: the next run loses nothing.
	c.deleteRecords("events", 0, 7)
	c.produce(p, "events", 0, ids("c", 0, 2)...)
	g, err = runErr(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, table, "ingest", p)
	if s := g.Stats(); s.OffsetsLost != 0 || s.Records != 2 {
		t.Errorf("second run stats %+v", s)
	}
}

// oorSetup holds a fetch of events/0 at offset 3 or later until retention
// deleted the partition below 6, while the group runs: the fetch finds
// its offset out of range after offsets 0..2 were read.
func oorSetup(t *testing.T, cfg Config[event, row], c *cluster, p produced) (*Group[event, row], error) {
	t.Helper()
	c.produce(p, "events", 0, ids("a", 0, 3)...)
	fetching := make(chan struct{})
	deleted := make(chan struct{})
	var once sync.Once
	c.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		for _, tt := range req.(*kmsg.FetchRequest).Topics {
			for _, pp := range tt.Partitions {
				if pp.Partition == 0 && pp.FetchOffset >= 3 {
					c.c.DropControl()
					once.Do(func() { close(fetching) })
					c.c.SleepControl(func() { <-deleted })
					return nil, nil, false
				}
			}
		}
		return nil, nil, false
	})
	ctx := context.Background()
	g, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fetching:
	case <-time.After(20 * time.Second):
		t.Fatal("no fetch at offset 3")
	}
	c.produce(p, "events", 0, ids("a", 3, 7)...)
	c.deleteRecords("events", 0, 6)
	close(deleted)
	// Wait for the end: an error, or the partition written to offset 9.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-g.Done():
			return g, g.Err()
		default:
		}
		if g.Assigned()[kafka.TopicPartition{Topic: "events", Partition: 0}] == 9 {
			g.Stop()
			<-g.Done()
			return g, g.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.Stop()
	t.Fatal("the group neither failed nor wrote events/0 to its end")
	return nil, nil
}

// TestDataLossWhileReadingFails: a fetch out of range (the records were
// deleted while the group was behind) stops the group under
// FailOnDataLoss.
func TestDataLossWhileReadingFails(t *testing.T) {
	c := newCluster(t)
	c.createTopic("events", 1)
	table, _ := localTable(t)
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.FailOnDataLoss = true
	_, err := oorSetup(t, cfg, c, produced{})
	var dl *kafka.DataLossError
	if !errors.As(err, &dl) || dl.From != 3 || dl.To != 6 || dl.TP.Partition != 0 {
		t.Fatalf("err = %v, want a *kafka.DataLossError of offsets [3, 6)", err)
	}
	v, _ := TableVersions(context.Background(), table, "ingest", []kafka.TopicPartition{{Topic: "events", Partition: 0}})
	if got := v[kafka.TopicPartition{Topic: "events", Partition: 0}]; got > 2 {
		t.Errorf("txn of events/0 moved past the loss: %d", got)
	}
}

// TestDataLossWhileReadingContinues: without FailOnDataLoss the fetch out
// of range is recorded (stats, quarantine) and reading continues at the
// log start.
func TestDataLossWhileReadingContinues(t *testing.T) {
	c := newCluster(t)
	c.createTopic("events", 1)
	table, _ := localTable(t)
	q := quarantine.NewMemory()
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.Quarantine = q
	p := produced{}
	g, err := oorSetup(t, cfg, c, p)
	if err != nil {
		t.Fatal(err)
	}
	for off := int64(3); off < 6; off++ {
		delete(p[kafka.TopicPartition{Topic: "events", Partition: 0}], off)
	}
	checkExactlyOnce(t, table, "ingest", p)
	if s := g.Stats(); s.OffsetsLost != 3 || s.DataLossRanges != 1 || s.Records != 7 {
		t.Errorf("stats %+v", s)
	}
	bs := q.Batches()
	if len(bs) != 1 || len(bs[0].Records) != 1 || bs[0].QueryID != "ingest-events-0" || bs[0].Version != 3 {
		t.Fatalf("quarantine batches %+v", bs)
	}
	if r := bs[0].Records[0]; r.File != "kafka:events/0" || r.Offset != 3 ||
		!strings.HasPrefix(r.Err, `data loss: offsets [3, 6) of topic "events" partition 0 were skipped: the earliest available offset is 6`) {
		t.Errorf("quarantine record %+v", r)
	}
}
