package kafkagroup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// runAvailableNow runs a Group under AvailableNow to its end.
func runAvailableNow(t *testing.T, cfg Config[event, row]) *Group[event, row] {
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
	if err := g.AwaitTermination(wctx); err != nil {
		g.Stop()
		t.Fatalf("run: %v", err)
	}
	return g
}

// TestAvailableNowQuarantine: one process reads four partitions with
// malformed records to their end, twice; every valid record lands once,
// each malformed one is quarantined once with its origin, and each
// partition's txn holds its last offset.
func TestAvailableNowQuarantine(t *testing.T) {
	c := newCluster(t)
	c.createTopic("events", 4)
	table, dir := localTable(t)
	qst, err := storage.NewLocal(filepath.Join(dir, "..", filepath.Base(dir)+"-quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	qt := delta.Open(qst)
	p := produced{}
	for part := range int32(4) {
		c.produce(p, "events", part, ids(fmt.Sprintf("a%d", part), 0, 30)...)
	}
	c.produce(p, "events", 1, `{"id":`, `{"id":""}`, `{"id":"a1-x"}`)
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.OnMalformed = kafka.QuarantineMalformed
	cfg.Quarantine = quarantine.NewDelta(qt)
	cfg.MaxRecords = 17
	g := runAvailableNow(t, cfg)
	checkExactlyOnce(t, table, "ingest", p)
	st := g.Stats()
	if st.Records != 123 || st.Rows != 121 || st.Malformed != 2 || st.Quarantined != 2 {
		t.Errorf("stats %+v", st)
	}
	if lp := g.LastProgress(); lp == nil || lp.Sink.Metrics["committedVersion"] == "" {
		t.Errorf("last progress %+v", lp)
	}

	// A second run continues from the table.
	for part := range int32(4) {
		c.produce(p, "events", part, ids(fmt.Sprintf("b%d", part), 0, 5)...)
	}
	c.produce(p, "events", 1, `nope`)
	g = runAvailableNow(t, cfg)
	checkExactlyOnce(t, table, "ingest", p)
	if st := g.Stats(); st.Records != 21 || st.Quarantined != 1 {
		t.Errorf("second run stats %+v", st)
	}

	snap, err := qt.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v@%v", r[1], r[3]))
	}
	want := []string{"kafka:events/1@30", "kafka:events/1@31", "kafka:events/1@38"}
	if fmt.Sprint(sortedCopy(got)) != fmt.Sprint(want) {
		t.Errorf("quarantined %v, want %v", got, want)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// TestSeekFromTable: a partition whose txn the table holds is read from
// the offset after it; one without is read from the starting offset,
// which is recorded first.
func TestSeekFromTable(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	c.createTopic("events", 3)
	table, _ := localTable(t)
	p := produced{}
	for part := range int32(3) {
		c.produce(p, "events", part, ids(fmt.Sprintf("r%d", part), 0, 20)...)
	}
	cfg := testConfig(c.brokers(), table, "events", "g1")
	if _, err := New(ctx, cfg); err != nil { // creates the table
		t.Fatal(err)
	}
	tx, err := table.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetTxn(AppID("ingest", "events", 0), 9)
	tx.SetTxn(AppID("ingest", "events", 2), 19)
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	g := runAvailableNow(t, cfg)
	// Offsets 0..9 of partition 0 and all of partition 2 count as written.
	for off := range int64(10) {
		delete(p[kafka.TopicPartition{Topic: "events", Partition: 0}], off)
	}
	p[kafka.TopicPartition{Topic: "events", Partition: 2}] = map[int64]string{19: ""}
	checkExactlyOnce(t, table, "ingest", p)
	if st := g.Stats(); st.Records != 30 || st.Seeks != 3 {
		t.Errorf("stats %+v", st)
	}
}

// TestStartingLatestRecorded: under startingOffsets latest the first
// assignment records the partitions' end offsets in the table, so a later
// run (or another process) reads what came after them, and nothing
// before.
func TestStartingLatestRecorded(t *testing.T) {
	c := newCluster(t)
	c.createTopic("events", 2)
	table, _ := localTable(t)
	old := produced{}
	for part := range int32(2) {
		c.produce(old, "events", part, ids(fmt.Sprintf("old%d", part), 0, 5)...)
	}
	cfg := testConfig(c.brokers(), table, "events", "g1")
	cfg.StartingOffsets = StartLatest
	runAvailableNow(t, cfg)
	if rows := tableRows(t, table); len(rows) != 0 {
		t.Fatalf("rows %v, want none", rows)
	}
	versions, err := TableVersions(context.Background(), table, "ingest",
		[]kafka.TopicPartition{{Topic: "events", Partition: 0}, {Topic: "events", Partition: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[kafka.TopicPartition{Topic: "events", Partition: 0}] != 4 {
		t.Errorf("recorded %v, want version 4 for both", versions)
	}
	p := produced{}
	for part := range int32(2) {
		c.produce(p, "events", part, ids(fmt.Sprintf("new%d", part), 0, 3)...)
	}
	runAvailableNow(t, cfg)
	for tp := range p {
		for off := range int64(5) {
			p[tp][off] = ""
		}
	}
	checkExactlyOnce(t, table, "ingest", p)
}

// staleSetup returns a Group (not started) owning events/0 after offset
// 9, a client for its re-seeks, and a batch of offsets 10..19.
func staleSetup(t *testing.T, table *delta.Table) (*Group[event, row], *kgo.Client, *batch) {
	t.Helper()
	c := newCluster(t)
	c.createTopic("events", 2)
	g, err := New(context.Background(), testConfig(c.brokers(), table, "events", "g1"))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.brokers()...), kgo.ConsumeTopics("events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	tp := kafka.TopicPartition{Topic: "events", Partition: 0}
	g.owned[tp] = &partState{version: 9}
	b := &batch{}
	for off := int64(10); off < 20; off++ {
		b.recs = append(b.recs, &kgo.Record{Topic: "events", Partition: 0, Offset: off, Value: []byte(fmt.Sprintf(`{"id":"s%d"}`, off))})
	}
	return g, cl, b
}

func commitTxn(t *testing.T, table *delta.Table, partition int32, version int64) {
	t.Helper()
	tx, err := table.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx.SetTxn(AppID("ingest", "events", partition), version)
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func parquetFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestStaleBatchDropped: when the table's txn of a partition moved past
// the offset the batch was read after (another process took the
// partition over and committed), the batch is not committed, its files
// are deleted and the partition is sought again from the table.
func TestStaleBatchDropped(t *testing.T) {
	ctx := context.Background()
	table, dir := localTable(t)
	g, cl, b := staleSetup(t, table)
	commitTxn(t, table, 0, 9)
	commitTxn(t, table, 0, 14) // the other process's commit
	before, _ := table.LatestVersion(ctx)
	if err := g.commit(ctx, cl, newDecoder(), b); err != nil {
		t.Fatal(err)
	}
	after, _ := table.LatestVersion(ctx)
	if after != before {
		t.Errorf("the stale batch committed version %d", after)
	}
	if st := g.Stats(); st.Stale != 1 || st.Commits != 0 {
		t.Errorf("stats %+v", st)
	}
	if v := g.Assigned()[kafka.TopicPartition{Topic: "events", Partition: 0}]; v != 14 {
		t.Errorf("after the re-seek the partition is at %d, want 14", v)
	}
	if f := parquetFiles(t, dir); len(f) != 0 {
		t.Errorf("files of the dropped batch left: %v", f)
	}
	// The next batch, read after 14, commits.
	b.recs = b.recs[5:]
	if err := g.commit(ctx, cl, newDecoder(), b); err != nil {
		t.Fatal(err)
	}
	if v, _ := TableVersions(ctx, table, "ingest", []kafka.TopicPartition{{Topic: "events", Partition: 0}}); v[kafka.TopicPartition{Topic: "events", Partition: 0}] != 19 {
		t.Errorf("txn after the commit: %v, want 19", v)
	}
	if n := len(tableRows(t, table)); n != 5 {
		t.Errorf("%d rows, want 5", n)
	}
}

// raceStore runs before once, before the first commit file is put.
type raceStore struct {
	storage.Storage
	once   sync.Once
	before func()
}

func (s *raceStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, delta.LogDir+"/") && strings.HasSuffix(name, ".json") && s.before != nil {
		s.once.Do(s.before)
	}
	return s.Storage.PutIfAbsent(ctx, name, data)
}

// TestConcurrentCommitConflicts: a commit racing with another process's
// commit of the same partition fails without retry (the txn conflict of
// Delta's checker) and its rows are dropped; a racing commit of another
// partition commutes and the batch lands.
func TestConcurrentCommitConflicts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		partition int32
		version   int64
		landed    bool
	}{
		{"same partition behind", 0, 12, false},
		{"same partition ahead", 0, 25, false},
		{"other partition", 1, 7, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, dir := localTable(t)
			rs := &raceStore{Storage: plain.Storage()}
			table := delta.Open(rs)
			g, cl, b := staleSetup(t, table)
			commitTxn(t, plain, 0, 9)
			rs.before = func() { commitTxn(t, plain, tc.partition, tc.version) }
			if err := g.commit(ctx, cl, newDecoder(), b); err != nil {
				t.Fatal(err)
			}
			st := g.Stats()
			rows := len(tableRows(t, plain))
			if tc.landed {
				if st.Commits != 1 || rows != 10 {
					t.Errorf("stats %+v, %d rows; want the batch committed", st, rows)
				}
				return
			}
			if st.Stale != 1 || st.Commits != 0 || rows != 0 {
				t.Errorf("stats %+v, %d rows; want the batch dropped", st, rows)
			}
			if f := parquetFiles(t, dir); len(f) != 0 {
				t.Errorf("files of the dropped batch left: %v", f)
			}
			if v := g.Assigned()[kafka.TopicPartition{Topic: "events", Partition: 0}]; v != tc.version {
				t.Errorf("re-sought to %d, want %d", v, tc.version)
			}
		})
	}
}

// TestDeltaTxnConflict pins what the group relies on in runtime/delta: a
// transaction carrying appId A loses, without retry, to a concurrent
// commit carrying A.
func TestDeltaTxnConflict(t *testing.T) {
	ctx := context.Background()
	table, _ := localTable(t)
	tx, err := table.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(delta.Metadata{SchemaString: rowSchema.SchemaString()})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		winner int64
		reason string
	}{{15, delta.ConflictConcurrentTransaction}, {20, delta.ConflictTxnAlreadyCommitted}, {30, delta.ConflictTxnAlreadyCommitted}} {
		part := int32(i)
		commitTxn(t, table, part, 9)
		loser, err := table.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		loser.SetTxn(AppID("ingest", "events", part), 20)
		commitTxn(t, table, part, tc.winner)
		_, err = loser.Commit(ctx)
		var ce *delta.ConflictError
		if !errors.As(err, &ce) || ce.Reason != tc.reason {
			t.Errorf("winner at %d: %v, want a %s conflict", tc.winner, err, tc.reason)
		}
	}
}

// TestConfigErrors: the configuration is checked.
func TestConfigErrors(t *testing.T) {
	table, _ := localTable(t)
	cfg := testConfig([]string{"x:1"}, table, "events", "g")
	cfg.Group, cfg.Query = "", ""
	cfg.OnMalformed = kafka.QuarantineMalformed
	_, err := New(context.Background(), cfg)
	for _, want := range []string{"consumer group", "query name", "quarantine writer"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

// TestAvailableNowMembers: three members of one group started together
// under AvailableNow share six partitions; each stops once its
// assignment is read to the end offsets at start, and together they
// wrote every record once.
func TestAvailableNowMembers(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	c.createTopic("events", 6)
	table, _ := localTable(t)
	p := produced{}
	for part := range int32(6) {
		c.produce(p, "events", part, ids(fmt.Sprintf("m%d", part), 0, 200)...)
	}
	var groups []*Group[event, row]
	for range 3 {
		cfg := testConfig(c.brokers(), table, "events", "g1")
		cfg.AvailableNow = true
		cfg.MaxRecords = 50
		g, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(ctx); err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var commits int64
	for _, g := range groups {
		if err := g.AwaitTermination(wctx); err != nil {
			t.Fatal(err)
		}
		commits += g.Stats().Commits
	}
	checkExactlyOnce(t, table, "ingest", p)
	t.Logf("%d commits", commits)
}

// TestTopicPattern: a group with TopicPattern consumes every topic whose
// whole name matches, and available-now reads them to their end.
func TestTopicPattern(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	c.createTopic("events-a", 2)
	c.createTopic("events-b", 1)
	c.createTopic("other-events-c", 1)
	table, _ := localTable(t)
	p := produced{}
	c.produce(p, "events-a", 0, ids("a0", 0, 30)...)
	c.produce(p, "events-a", 1, ids("a1", 0, 20)...)
	c.produce(p, "events-b", 0, ids("b0", 0, 25)...)
	c.produce(produced{}, "other-events-c", 0, ids("c0", 0, 5)...) // not matched
	cfg := testConfig(c.brokers(), table, "", "gp")
	cfg.Topics, cfg.TopicPattern = nil, "events-.*"
	cfg.AvailableNow = true
	g, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := g.AwaitTermination(wctx); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, table, "ingest", p)
}

// TestApplyTrigger: the pipeline triggers a group takes.
func TestApplyTrigger(t *testing.T) {
	var cfg Config[event, row]
	if err := cfg.ApplyTrigger(trigger.AvailableNow()); err != nil || !cfg.AvailableNow {
		t.Errorf("available-now: %v, AvailableNow %v", err, cfg.AvailableNow)
	}
	cfg = Config[event, row]{}
	if err := cfg.ApplyTrigger(trigger.ProcessingTime(5 * time.Second)); err != nil || cfg.MaxWait != 5*time.Second || cfg.AvailableNow {
		t.Errorf("5s: %v, %+v", err, cfg)
	}
	if err := cfg.ApplyTrigger(trigger.Default()); err != nil {
		t.Errorf("default: %v", err)
	}
	if err := cfg.ApplyTrigger(trigger.Once()); err == nil {
		t.Error("once: no error")
	}
	if err := cfg.ApplyTrigger(trigger.ProcessingTime(time.Minute)); err == nil {
		t.Error("1m: no error")
	}
}
