//go:build unix

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	sensorreadings "github.com/streamgen/streamgen/generated_test/sensor_readings/want"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/pipeline"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/streamimpl"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// The Kafka benchmarks' topic and its partitions.
const (
	kafkaTopic      = "sensor-readings"
	kafkaPartitions = 3
	kafkaDevices    = 100
)

// kafkaPipeline is the sensor_readings pipeline (Kafka topic → bronze
// Delta table, append, malformed values quarantined), wired by hand from
// the runtime packages and the generated SensorReading record and decoder
// (generated_test/sensor_readings/want): the same source, sink and batch
// runner as the generated sensorreadings.NewSensorReadings, without its
// spec's maxOffsetsPerTrigger and trigger, and with the idle poll interval
// settable.
//
// poll, when positive, overrides the Default trigger's idle poll interval
// (stream.PollInterval; trigger.PollInterval, 100ms, otherwise).
func kafkaPipeline(ctx context.Context, brokers []string, dir string, trig trigger.Trigger, poll time.Duration, listeners ...stream.Listener) (*stream.Query, error) {
	sinkPath, cpPath := filepath.Join(dir, "table"), filepath.Join(dir, "checkpoint")
	env, err := pipeline.Open(ctx, pipeline.Options{
		CheckpointPath: cpPath,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Listeners:      listeners,
		Name:           "sensor_readings",
	})
	if err != nil {
		return nil, err
	}
	logger, cp := env.Logger, env.Checkpoint
	sinkStore, err := env.Store(ctx, "sink", sinkPath)
	if err != nil {
		return nil, err
	}
	quarantineTable, err := env.Quarantine(ctx, "", sinkPath, "_quarantine")
	if err != nil {
		return nil, err
	}
	src, err := kafka.New[sensorreadings.SensorReading](ctx, cp, 0,
		func() streamimpl.Decoder[sensorreadings.SensorReading] {
			return sensorreadings.NewSensorReadingDecoder()
		},
		kafka.BootstrapServers(brokers...),
		kafka.Subscribe(kafkaTopic),
		kafka.StartingOffsets("earliest"),
		kafka.Logger(logger),
		kafka.OnMalformed(kafka.QuarantineMalformed),
		kafka.QuarantineTo(quarantineTable),
	)
	if err != nil {
		return nil, fmt.Errorf("sensor_readings: source: %w", err)
	}
	sink, err := deltasink.New[sensorreadings.SensorReading](
		delta.Open(sinkStore),
		sensorreadings.SensorReadingDeltaSchema(),
		deltasink.OutputMode(deltasink.Append),
		deltasink.Logger(logger),
	)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("sensor_readings: sink %s: %w", sinkPath, err)
	}
	const chunk = 4096
	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		bw, err := sink.BeginBatch(ctx, b.QueryID, b.ID)
		if err != nil {
			return stream.BatchResult{}, err
		}
		defer bw.Abort(ctx) // a no-op after Commit
		rows := make([]sensorreadings.SensorReading, 0, chunk)
		var out int64
		flush := func() error {
			out += int64(len(rows))
			err := bw.Write(ctx, rows)
			rows = rows[:0]
			return err
		}
		stats, err := src.Read(ctx, b.Start[0], b.End[0], func(r *sensorreadings.SensorReading, _ *kafka.Record) error {
			rows = append(rows, *r)
			if len(rows) == chunk {
				return flush()
			}
			return nil
		})
		if err == nil && len(rows) > 0 {
			err = flush()
		}
		if err != nil {
			return stream.BatchResult{}, err
		}
		if err := bw.Commit(ctx); err != nil {
			return stream.BatchResult{}, err
		}
		return stream.BatchResult{
			NumInputRows:  stats.Rows,
			NumOutputRows: out,
			SinkMetrics:   sink.Metrics(),
			SourceMetrics: []map[string]string{stats.Metrics()},
		}, nil
	}
	qopts := []stream.Opt{stream.Name("sensor_readings"), stream.Trigger(trig), stream.Logger(logger),
		stream.SinkDescription(sink.Description()), stream.Listeners(env.Listeners...)}
	if poll > 0 {
		qopts = append(qopts, stream.PollInterval(poll))
	}
	q, err := stream.NewQuery(cp, []stream.Source{src}, run, qopts...)
	if err != nil {
		src.Close()
		return nil, err
	}
	go func() { <-q.Done(); src.Close() }()
	return q, nil
}

// kafkaCluster starts a kfake cluster of one broker with the topic in
// kafkaPartitions partitions and a producer client to it.
func kafkaCluster(b *testing.B) (*kfake.Cluster, *kgo.Client) {
	b.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(kafkaPartitions, kafkaTopic))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(1<<20), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	return c, cl
}

// sensorKey returns reading i's key, its device ID.
func sensorKey(i int64) []byte { return strconv.AppendInt([]byte("sensor-"), i%kafkaDevices, 10) }

// sensorValue appends reading i's JSON value, taken at ts.
func sensorValue(dst []byte, i int64, ts time.Time) []byte {
	dst = append(dst, `{"device_id":"sensor-`...)
	dst = strconv.AppendInt(dst, i%kafkaDevices, 10)
	dst = append(dst, `","temperature":`...)
	dst = strconv.AppendFloat(dst, 15+float64(i%1000)/100, 'f', -1, 64)
	dst = append(dst, `,"timestamp":"`...)
	dst = ts.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, `"}`...)
}

// produceTimes records when each record was handed to the producer, by
// partition and offset.
type produceTimes struct {
	mu    sync.Mutex
	parts [kafkaPartitions][]time.Time
	err   error
}

// add records the produce time of partition part's next record and
// returns its offset.
func (p *produceTimes) add(part int32, t time.Time) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parts[part] = append(p.parts[part], t)
	return int64(len(p.parts[part]) - 1)
}

// BenchmarkKafkaToDelta measures the latency from Produce to visible in
// the Delta table: a producer writes readings to a kfake topic of 3
// partitions (in the benchmark's process) at STREAMGEN_BENCH_KAFKA_RATE
// records/s (default 10,000; keyed by device, the produce time in the
// value's timestamp and the record's; a device's partition is device mod
// 3), for STREAMGEN_BENCH_KAFKA_SECONDS
// (default 10) after a 2 s warm-up; the pipeline (see kafkaPipeline) runs
// with the default trigger (the next batch as soon as the last one ends)
// into a Delta table on local disk. A watcher polls for the table's next
// log file (_delta_log/<version>.json) every millisecond; when version v
// appears, every record of the batch it commits (its txn action names the
// batch; the batch's offsets in the checkpoint say which records) became
// visible then. Reports p50-ms, p99-ms and max-ms of produce → visible
// over the records produced after the warm-up, the produced rate, rows per
// batch, the number of times the query went idle, and the process's CPU
// (producer, broker, pipeline and watcher together) in cores.
//
// poll=default is the default trigger as generated: an idle query asks the
// Kafka source for new offsets again after 10ms (Spark's pollingDelay; the
// source is a stream.PollingSource); poll=100ms sets stream.PollInterval
// to the engine's default for other sources, for comparison: when a batch
// is done before new records arrive, the next waits the poll interval,
// which then dominates the tail. STREAMGEN_BENCH_KAFKA_RATE and _SECONDS override the
// rate and the measured time; TMPDIR=/dev/shm takes the disk's fsyncs out.
func BenchmarkKafkaToDelta(b *testing.B) {
	for _, poll := range []time.Duration{0, 100 * time.Millisecond} {
		name := "poll=default"
		if poll > 0 {
			name = "poll=" + poll.String()
		}
		b.Run(name, func(b *testing.B) { benchKafkaLatency(b, poll) })
	}
}

func benchKafkaLatency(b *testing.B, poll time.Duration) {
	rate := envInt(b, "STREAMGEN_BENCH_KAFKA_RATE", 10_000)
	secs := envInt(b, "STREAMGEN_BENCH_KAFKA_SECONDS", 10)
	const warmup = 2 * time.Second
	for range b.N {
		b.StopTimer()
		c, cl := kafkaCluster(b)
		dir := tempDir(b, "kafka-latency-*")
		ctx, cancel := context.WithCancel(context.Background())
		bl := &batchLog{}
		q, err := kafkaPipeline(ctx, c.ListenAddrs(), dir, trigger.Default(), poll, bl)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			b.Fatal(err)
		}
		times := &produceTimes{}
		w := &watcher{dir: dir, times: times}
		watchDone := make(chan error, 1)
		wctx, wcancel := context.WithCancel(ctx)
		go func() { watchDone <- w.run(wctx) }()

		b.StartTimer()
		start := time.Now()
		measureFrom, measureTo := start.Add(warmup), start.Add(warmup+time.Duration(secs)*time.Second)
		var cpu0, cpu1 time.Duration
		var produced int64
		var buf []byte
		for {
			now := time.Now()
			if cpu0 == 0 && !now.Before(measureFrom) {
				cpu0 = CPUTime()
			}
			if !now.Before(measureTo) {
				cpu1 = CPUTime()
				break
			}
			due := int64(now.Sub(start).Seconds() * float64(rate))
			for ; produced < due; produced++ {
				t := time.Now()
				buf = sensorValue(buf[:0], produced, t)
				// The partition is the device's (manual partitioning), so the
				// record's offset is known before the broker acknowledges it:
				// the pipeline may read it before the acknowledgement arrives.
				part := int32(produced % kafkaDevices % kafkaPartitions)
				want := times.add(part, t)
				r := &kgo.Record{Topic: kafkaTopic, Partition: part, Key: sensorKey(produced), Value: bytes.Clone(buf), Timestamp: t}
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					if err == nil && r.Offset != want {
						err = fmt.Errorf("record produced at offset %d of partition %d, want %d", r.Offset, r.Partition, want)
					}
					if err != nil {
						times.mu.Lock()
						times.err = cmpErr(times.err, err)
						times.mu.Unlock()
					}
				})
			}
			time.Sleep(time.Millisecond)
		}
		if err := cl.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		prodWall := time.Since(start)
		// Wait until every record is visible.
		deadline := time.Now().Add(60 * time.Second)
		for w.visibleRows() < produced {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d records visible after 60s", w.visibleRows(), produced)
			}
			if err := q.Err(); err != nil {
				b.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.StopTimer()
		wcancel()
		if err := <-watchDone; err != nil && !errors.Is(err, context.Canceled) {
			b.Fatal(err)
		}
		q.Stop()
		if err := q.AwaitTermination(context.Background()); err != nil {
			b.Fatal(err)
		}
		cancel()
		if times.err != nil {
			b.Fatal(times.err)
		}
		checkTable(b, filepath.Join(dir, "table"), produced)

		lat := w.latencies(measureFrom, measureTo)
		if len(lat) == 0 {
			b.Fatal("no latencies measured")
		}
		slices.Sort(lat)
		pct := func(p float64) float64 {
			i := min(int(p*float64(len(lat))), len(lat)-1)
			return float64(lat[i]) / float64(time.Millisecond)
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
		b.ReportMetric(float64(produced)/prodWall.Seconds(), "produced-rows/s")
		b.ReportMetric(float64(produced)/float64(max(w.batches(), 1)), "rows/batch")
		window := measureTo.Sub(measureFrom)
		b.ReportMetric((cpu1-cpu0).Seconds()/window.Seconds(), "cores")
		b.Logf("%d records at %d/s, %d measured, %d batches; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms; CPU %.2f cores (GOMAXPROCS %d)",
			produced, rate, len(lat), w.batches(), pct(0.5), pct(0.9), pct(0.99), pct(0.999), float64(lat[len(lat)-1])/1e6,
			(cpu1-cpu0).Seconds()/window.Seconds(), runtime.GOMAXPROCS(0))
		b.ReportMetric(float64(bl.idle.Load()), "idle-polls")
		b.Logf("batches: %s", bl.summary())
	}
}

// batchLog is a query listener keeping the durations of every batch's
// phases and counting the times the query went idle (found no new data
// and waited trigger.PollInterval).
type batchLog struct {
	idle atomic.Int64
	mu   sync.Mutex
	durs map[string][]int64
}

func (l *batchLog) OnIdle(stream.IdleEvent) { l.idle.Add(1) }

func (l *batchLog) OnProgress(p stream.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.durs == nil {
		l.durs = map[string][]int64{}
	}
	for k, v := range p.DurationMs {
		l.durs[k] = append(l.durs[k], v)
	}
	// The sink's commit of batch N is table version N here; versions that
	// are multiples of delta.DefaultCheckpointInterval also write a Delta
	// checkpoint (the next batch's Begin builds on what it holds without
	// reading it back).
	k := "triggerExecution(other)"
	if p.BatchID%delta.DefaultCheckpointInterval == 0 || p.BatchID%delta.DefaultCheckpointInterval == 1 {
		k = "triggerExecution(checkpoint+next)"
	}
	l.durs[k] = append(l.durs[k], p.DurationMs["triggerExecution"])
}

// summary gives each phase's p50/p99/max in ms.
func (l *batchLog) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, k := range slices.Sorted(maps.Keys(l.durs)) {
		d := slices.Sorted(slices.Values(l.durs[k]))
		out = append(out, fmt.Sprintf("%s p50 %d p99 %d max %d", k, d[len(d)/2], d[min(len(d)*99/100, len(d)-1)], d[len(d)-1]))
	}
	return fmt.Sprintf("%d idle; ms: %s", l.idle.Load(), strings.Join(out, "; "))
}

func cmpErr(old, err error) error {
	if old != nil {
		return old
	}
	return err
}

// watcher follows a Delta table's log as a reader polling it would: it
// looks for the next version's log file every millisecond and, when it
// appears, relates the batch it commits to the records of that batch.
type watcher struct {
	dir   string
	times *produceTimes

	mu       sync.Mutex
	visible  int64
	nBatches int64
	// seen are (produce time, visible time) pairs.
	seen [][2]time.Time
}

func (w *watcher) visibleRows() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.visible
}

func (w *watcher) batches() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nBatches
}

// latencies returns visible − produced of the records produced in
// [from, to).
func (w *watcher) latencies(from, to time.Time) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for _, s := range w.seen {
		if !s[0].Before(from) && s[0].Before(to) {
			out = append(out, s[1].Sub(s[0]))
		}
	}
	return out
}

func (w *watcher) run(ctx context.Context) error {
	logDir := filepath.Join(w.dir, "table", "_delta_log")
	prev := kafka.Offsets{} // the end offsets of the last batch seen
	for version := int64(0); ; {
		name := filepath.Join(logDir, fmt.Sprintf("%020d.json", version))
		data, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
			continue
		}
		if err != nil {
			return err
		}
		at := time.Now()
		version++
		batch, ok := txnVersion(data)
		if !ok {
			continue // not a streaming commit
		}
		end, err := w.batchEnd(ctx, batch)
		if err != nil {
			return err
		}
		var pairs [][2]time.Time
		for _, tp := range end.Partitions() {
			e, _ := end.Get(tp)
			s, _ := prev.Get(tp)
			w.times.mu.Lock()
			ts := w.times.parts[tp.Partition]
			for off := s; off < e; off++ {
				if off < int64(len(ts)) {
					pairs = append(pairs, [2]time.Time{ts[off], at})
				}
			}
			w.times.mu.Unlock()
		}
		prev = end
		w.mu.Lock()
		w.seen = append(w.seen, pairs...)
		w.visible += int64(len(pairs))
		w.nBatches++
		w.mu.Unlock()
	}
}

// txnVersion returns the version of the commit's txn action: the
// streaming batch it commits.
func txnVersion(commit []byte) (int64, bool) {
	for line := range bytes.SplitSeq(commit, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte(`{"txn"`)) {
			continue
		}
		var a struct {
			Txn struct {
				Version int64 `json:"version"`
			} `json:"txn"`
		}
		if json.Unmarshal(line, &a) == nil {
			return a.Txn.Version, true
		}
	}
	return 0, false
}

// batchEnd reads the end offsets of batch from the checkpoint's offsets
// log (offsets/<batch>: "v1", the metadata, then the source's offsets).
func (w *watcher) batchEnd(ctx context.Context, batch int64) (kafka.Offsets, error) {
	data, err := os.ReadFile(filepath.Join(w.dir, "checkpoint", "offsets", strconv.FormatInt(batch, 10)))
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) < 3 {
		return nil, fmt.Errorf("offsets/%d: %d lines", batch, len(lines))
	}
	return kafka.ParseOffsets(lines[2])
}

// BenchmarkKafkaThroughput measures the most records/s the pipeline
// sustains: STREAMGEN_BENCH_KAFKA_RECORDS readings (default 1,000,000, ~110
// bytes each) are produced to the kfake topic first (not timed), then the
// pipeline (see kafkaPipeline) reads them all with -trigger available-now
// into a fresh Delta table. Reports rows/s, MB/s (of values), and from the
// process's CPU time (pipeline and the in-process broker serving its
// fetches) rows/s/core and cores.
func BenchmarkKafkaThroughput(b *testing.B) {
	n := int64(envInt(b, "STREAMGEN_BENCH_KAFKA_RECORDS", 1_000_000))
	b.StopTimer()
	c, cl := kafkaCluster(b)
	ctx := context.Background()
	var bytesN int64
	t0 := time.Now()
	var buf []byte
	errc := make(chan error, 1)
	for i := range n {
		buf = sensorValue(buf[:0], i, t0.Add(time.Duration(i)*time.Millisecond))
		bytesN += int64(len(buf))
		cl.Produce(ctx, &kgo.Record{Topic: kafkaTopic, Partition: int32(i % kafkaDevices % kafkaPartitions), Key: sensorKey(i), Value: bytes.Clone(buf)},
			func(_ *kgo.Record, err error) {
				if err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	b.Logf("produced %d records (%.1f MB of values) in %v", n, float64(bytesN)/1e6, time.Since(t0).Round(time.Millisecond))
	var runs []measure
	for range b.N {
		dir := tempDir(b, "kafka-throughput-*")
		runtime.GC()
		m := timed(b, func() {
			q, err := kafkaPipeline(ctx, c.ListenAddrs(), dir, trigger.AvailableNow(), 0)
			if err == nil {
				err = q.Start(ctx)
			}
			if err == nil {
				err = q.AwaitTermination(ctx)
			}
			if err != nil {
				b.Fatal(err)
			}
		})
		checkTable(b, filepath.Join(dir, "table"), n)
		runs = append(runs, m)
		os.RemoveAll(dir)
	}
	report(b, runs, n, bytesN)
}
