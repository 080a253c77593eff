package kafkagroup

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/command"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	"github.com/streamgen/streamgen/runtime/storage/s3store"
)

// The multi-process test re-executes the test binary as group members:
// with KAFKAGROUP_WORKER=1 in its environment TestMain runs one member
// (runWorker) instead of the tests.
const (
	envWorker  = "KAFKAGROUP_WORKER"
	envBrokers = "KAFKAGROUP_BROKERS"
	envTable   = "KAFKAGROUP_TABLE"
	envGroup   = "KAFKAGROUP_GROUP"
	envID      = "KAFKAGROUP_ID"
	envStats   = "KAFKAGROUP_STATS"
	envLog     = "KAFKAGROUP_TEST_LOG"
)

func TestMain(m *testing.M) {
	if os.Getenv(envWorker) == "1" {
		os.Exit(runWorker())
	}
	code := m.Run()
	miniotest.StopShared()
	os.Exit(code)
}

// runWorker is one process of the group: the test pipeline on the table
// at $KAFKAGROUP_TABLE, run as a generated main runs it (command's
// RunRunner: SIGTERM stops it after its batch), continuously. At the end
// it writes its Stats as JSON to $KAFKAGROUP_STATS.
func runWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	id := os.Getenv(envID)
	st, err := storage.OpenURL(ctx, os.Getenv(envTable))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker", id, err)
		return 1
	}
	table := delta.Open(st)
	cfg := testConfig(strings.Split(os.Getenv(envBrokers), ","), table, "events", os.Getenv(envGroup))
	cfg.Client = append(cfg.Client,
		kgo.SessionTimeout(time.Second),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.RebalanceTimeout(2*time.Second),
		kgo.ClientID("worker-"+id))
	cfg.MaxRecords = 300
	cfg.MaxWait = 200 * time.Millisecond
	cfg.CommitToGroup = true
	level := "error"
	if os.Getenv(envLog) != "" {
		level = "info"
		cfg.Client = append(cfg.Client, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelInfo, func() string { return "kgo " + id + " " })))
	}
	var g *Group[event, row]
	c := command.New("ingest-" + id)
	err = c.RunRunner(ctx, []string{"-log-level", level}, func(ctx context.Context, env command.Env) (command.Runner, error) {
		cfg.Logger = env.Logger.With("worker", id)
		cfg.Listeners = env.Listeners
		var err error
		g, err = New(ctx, cfg)
		return g, err
	})
	if g != nil {
		data, _ := json.Marshal(g.Stats())
		_ = os.WriteFile(os.Getenv(envStats), data, 0o644)
	}
	return command.ExitCode(err)
}

// worker is a running worker process.
type worker struct {
	id    string
	cmd   *exec.Cmd
	stats string
	done  chan error
}

type groupTarget struct {
	table    *delta.Table
	location string
	env      []string
}

func startWorker(t *testing.T, target groupTarget, brokers []string, id string) *worker {
	t.Helper()
	w := &worker{id: id, stats: filepath.Join(t.TempDir(), "stats.json"), done: make(chan error, 1)}
	w.cmd = exec.Command(os.Args[0], "-test.run=^$")
	w.cmd.Env = append(os.Environ(), target.env...)
	w.cmd.Env = append(w.cmd.Env, envWorker+"=1", envBrokers+"="+strings.Join(brokers, ","),
		envTable+"="+target.location, envGroup+"=group", envID+"="+id, envStats+"="+w.stats)
	w.cmd.Stderr = os.Stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.done <- w.cmd.Wait() }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGCONT)
		_ = w.cmd.Process.Kill()
		<-w.done
	})
	return w
}

func (w *worker) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		t.Errorf("worker %s: %v: %v", w.id, sig, err)
	}
}

// wait waits for the worker's exit and returns its stats.
func (w *worker) wait(t *testing.T, wantOK bool) Stats {
	t.Helper()
	var err error
	select {
	case err = <-w.done:
		w.done <- err
	case <-time.After(20 * time.Second):
		t.Fatalf("worker %s did not exit", w.id)
	}
	if wantOK && err != nil {
		t.Errorf("worker %s: %v", w.id, err)
	}
	var st Stats
	if data, err := os.ReadFile(w.stats); err == nil {
		_ = json.Unmarshal(data, &st)
	}
	return st
}

// TestGroupProcesses is issue 7's test: a producer writes a known set of
// records to 6 partitions while worker processes of one group write one
// Delta table: three start, a fourth joins (rebalance), one is SIGKILLed
// mid-stream and restarted, one is paused past its session timeout (its
// partitions move while it may hold a batch, which must then be
// dropped), one leaves with SIGTERM. At the end the table holds every
// record exactly once and each partition's txn its last offset. On a
// local directory and on MinIO (skipped when MinIO cannot be had, as
// every miniotest test).
func TestGroupProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	t.Run("local", func(t *testing.T) {
		table, dir := localTable(t)
		groupProcesses(t, groupTarget{table: table, location: dir})
	})
	t.Run("s3", func(t *testing.T) {
		srv := miniotest.Shared(t)
		bucket := srv.NewBucket(t)
		b, err := srv.OpenBucket(context.Background(), bucket)
		if err != nil {
			t.Fatal(err)
		}
		st := s3store.New(b, "tables/ingest", "s3://"+bucket+"/tables/ingest", nil)
		t.Cleanup(func() { st.Close() })
		groupProcesses(t, groupTarget{table: delta.Open(st), location: srv.URL(bucket, "tables/ingest"), env: srv.Env()})
	})
}

func groupProcesses(t *testing.T, target groupTarget) {
	const partitions, rounds, perRound = 6, 60, 8
	start := time.Now()
	c := newCluster(t)
	c.createTopic("events", partitions)
	brokers := c.brokers()

	var mu sync.Mutex
	p := produced{}
	prodDone := make(chan error, 1)
	produce := func() {
		ctx := context.Background()
		for r := range rounds {
			var rs []*kgo.Record
			for part := range int32(partitions) {
				for i := range perRound {
					id := fmt.Sprintf("p%d-%d", part, r*perRound+i)
					rs = append(rs, &kgo.Record{Topic: "events", Partition: part, Value: fmt.Appendf(nil, `{"id":%q}`, id)})
				}
			}
			res := c.prod.ProduceSync(ctx, rs...)
			if err := res.FirstErr(); err != nil {
				prodDone <- err
				return
			}
			mu.Lock()
			for _, pr := range res {
				tp := kafka.TopicPartition{Topic: pr.Record.Topic, Partition: pr.Record.Partition}
				if p[tp] == nil {
					p[tp] = map[int64]string{}
				}
				var e event
				_ = json.Unmarshal(pr.Record.Value, &e)
				p[tp][pr.Record.Offset] = e.ID
			}
			mu.Unlock()
			time.Sleep(75 * time.Millisecond)
		}
		prodDone <- nil
	}

	workers := map[string]*worker{}
	for _, id := range []string{"w1", "w2", "w3"} {
		workers[id] = startWorker(t, target, brokers, id)
	}
	go produce()
	step := func(at time.Duration, what string, fn func()) {
		time.Sleep(time.Until(start.Add(at)))
		t.Logf("%5.1fs: %s", time.Since(start).Seconds(), what)
		fn()
	}
	var stats []Stats
	step(1500*time.Millisecond, "w4 joins", func() { workers["w4"] = startWorker(t, target, brokers, "w4") })
	step(2500*time.Millisecond, "w2 SIGKILLed", func() { workers["w2"].signal(t, syscall.SIGKILL) })
	step(3000*time.Millisecond, "w2 restarted as w2b", func() {
		stats = append(stats, workers["w2"].wait(t, false))
		workers["w2b"] = startWorker(t, target, brokers, "w2b")
	})
	step(3500*time.Millisecond, "w3 leaves (SIGTERM)", func() { workers["w3"].signal(t, syscall.SIGTERM) })
	step(4000*time.Millisecond, "w1 paused (SIGSTOP) past its session timeout", func() { workers["w1"].signal(t, syscall.SIGSTOP) })
	step(6000*time.Millisecond, "w1 resumed (SIGCONT)", func() { workers["w1"].signal(t, syscall.SIGCONT) })
	stats = append(stats, workers["w3"].wait(t, true))
	if err := <-prodDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("%5.1fs: produced %d records", time.Since(start).Seconds(), partitions*rounds*perRound)

	// Wait for the table to catch up with the last offsets.
	var tps []kafka.TopicPartition
	last := map[kafka.TopicPartition]int64{}
	for tp, offs := range p {
		tps = append(tps, tp)
		for off := range offs {
			last[tp] = max(last[tp], off)
		}
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		v, err := TableVersions(context.Background(), target.table, "ingest", tps)
		if err != nil {
			t.Fatal(err)
		}
		caught := true
		for _, tp := range tps {
			if v[tp] != last[tp] {
				caught = false
			}
		}
		if caught {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table did not catch up: txns %v, last offsets %v", v, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%5.1fs: the table caught up", time.Since(start).Seconds())
	for _, id := range []string{"w1", "w2b", "w4"} {
		workers[id].signal(t, syscall.SIGTERM)
	}
	for _, id := range []string{"w1", "w2b", "w4"} {
		stats = append(stats, workers[id].wait(t, true))
	}
	var total Stats
	for _, s := range stats {
		total.Commits += s.Commits
		total.Records += s.Records
		total.Stale += s.Stale
		total.Seeks += s.Seeks
	}
	ver, _ := target.table.LatestVersion(context.Background())
	t.Logf("%5.1fs: stopped; table at version %d; surviving workers' totals (w2 killed): %+v",
		time.Since(start).Seconds(), ver, total)
	checkExactlyOnce(t, target.table, "ingest", p)
	if t.Failed() {
		return
	}
	t.Logf("%d records exactly once", partitions*rounds*perRound)
}
