package generated_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/kafkaembed"
)

// startKafka starts an in-test Kafka cluster (kfake through
// runtime/kafkaembed) on a free loopback port with topic's partitions,
// closed on cleanup, and returns its addresses and a client on it.
func startKafka(t *testing.T, topic string, partitions int32) (addrs []string, cl *kgo.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: "127.0.0.1:0", Topics: []string{topic}, Partitions: partitions,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err = kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c.Addrs(), cl
}

// endOffsets returns topic's partitions' end offsets (high watermarks),
// or with committed its last stable offsets (read_committed's end: below
// the high watermark while a transaction is open).
func endOffsets(t *testing.T, cl *kgo.Client, topic string, committed bool) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list := kadm.NewClient(cl).ListEndOffsets
	if committed {
		list = kadm.NewClient(cl).ListCommittedOffsets
	}
	res, err := list(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	res.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s/%d: %v", o.Topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out
}

// lastCommittedOffsets returns the source offsets (the last line of
// offsets/<n>) of the checkpoint's last batch, wanting it committed
// (commits/<n> present).
func lastCommittedOffsets(t *testing.T, cp string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cp, "offsets"))
	if err != nil {
		t.Fatal(err)
	}
	last := int64(-1)
	for _, e := range entries {
		if n, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && n > last {
			last = n
		}
	}
	if last < 0 {
		t.Fatal("no offsets file in the checkpoint")
	}
	if _, err := os.Stat(filepath.Join(cp, "commits", strconv.FormatInt(last, 10))); err != nil {
		t.Errorf("the checkpoint's last batch %d is not committed: %v", last, err)
	}
	b, err := os.ReadFile(filepath.Join(cp, "offsets", strconv.FormatInt(last, 10)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// typedRow prints a table row column by column with each value's type, so
// that a multiset comparison of rows compares whole rows, types included.
func typedRow(r delta.Row) string {
	var b strings.Builder
	for i, v := range r {
		if i > 0 {
			b.WriteString(" | ")
		}
		if tm, ok := v.(time.Time); ok {
			v = tm.Format(time.RFC3339Nano) + " " + tm.Location().String()
		}
		fmt.Fprintf(&b, "%T %q", r[i], fmt.Sprint(v))
	}
	return b.String()
}

// The sensor-readings binary (Kafka topic → Delta append, malformed values
// quarantined) reading an in-test 3-partition cluster while a producer
// writes 3,000 readings with unique devices, temperatures and times, about
// 1 in 25 of them malformed (bad JSON, a tombstone, a wrong type, a missing
// field, an unparsable time, an array): SIGKILLed 10 times at random
// moments (seed logged; STREAMGEN_E2E_SEED replays the kill moments,
// partitions and arrival delays), restarted after each kill, then run with
// available-now. The Delta table holds every valid reading exactly once,
// whole rows compared as a multiset with the produced list; the quarantine
// table every malformed record exactly once with its origin
// kafka:sensor-readings/<p> and offset; the checkpoint's last committed
// offsets are the partitions' end offsets.
func TestKafkaSourceKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	t.Parallel()
	const topic = "sensor-readings"
	bin := buildMain(t, "./sensor_readings/want/cmd/sensor-readings")
	addrs, cl := startKafka(t, topic, 3)
	seed := e2eSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))

	const (
		readings  = 3000
		chunk     = 30 // records per produce request
		kills     = 10
		malformed = 25 // every 25th record
	)
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	type produced struct {
		rec  *kgo.Record
		want string // typedRow of the valid reading; "" when malformed
	}
	var recs []produced
	bad := []string{
		`not json`,
		``, // a tombstone (nil value)
		`{"device_id":"x","temperature":"hot","timestamp":"2024-05-01T12:00:00Z"}`,
		`{"device_id":"x","temperature":1}`,
		`{"device_id":"x","temperature":1,"timestamp":"yesterday"}`,
		`[]`,
	}
	for i := range readings {
		p := int32(rng.IntN(3))
		if i%malformed == malformed-1 {
			v := []byte(bad[(i/malformed)%len(bad)])
			if len(v) == 0 {
				v = nil
			} else if v[0] == '{' { // unique too
				v = []byte(strings.Replace(string(v), `"x"`, fmt.Sprintf(`"bad-%04d"`, i), 1))
			}
			recs = append(recs, produced{rec: &kgo.Record{Topic: topic, Partition: p, Value: v}})
			continue
		}
		dev := fmt.Sprintf("dev-%04d", i)
		if i%10 == 3 {
			dev += ` "é\` // escapes in the key column
		}
		temp := float64(i)*0.37 - 300.5
		at := base.Add(time.Duration(i)*1234567*time.Microsecond + time.Duration(i%7)*time.Hour*24*31)
		v, err := json.Marshal(map[string]any{"device_id": dev, "temperature": temp, "timestamp": at.Format(time.RFC3339Nano)})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, produced{rec: &kgo.Record{Topic: topic, Partition: p, Value: v}, want: typedRow(delta.Row{dev, temp, at})})
	}
	delays := make([]time.Duration, readings/chunk)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(90)) * time.Millisecond // ~4.5 s of arrivals, as long as the kills
	}

	dir := t.TempDir()
	table, cp := filepath.Join(dir, "table"), filepath.Join(dir, "checkpoint")
	args := func(trigger string) []string {
		return []string{"-kafka-brokers", strings.Join(addrs, ","), "-kafka-topic", topic, "-sink-path", table, "-checkpoint", cp,
			"-trigger", trigger, "-log-level", "warn"}
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // readings keep arriving
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for c := range delays {
			batch := make([]*kgo.Record, 0, chunk)
			for _, r := range recs[c*chunk : (c+1)*chunk] {
				batch = append(batch, r.rec)
			}
			if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
				t.Errorf("produce: %v", err)
				return
			}
			time.Sleep(delays[c])
		}
	}()
	start := time.Now()
	killRunsOf(t, rng, kills, 200*time.Millisecond, 500, func() *exec.Cmd { return exec.Command(bin, args("default")...) })
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// The killed runs made progress (so the kills hit running queries).
	before := 0
	if _, err := os.Stat(filepath.Join(table, "_delta_log")); err == nil {
		before = len(readTable(t, table))
	}
	commits, _ := os.ReadDir(filepath.Join(cp, "commits"))
	t.Logf("%d kills in %v; %d of %d rows in the table, %d committed batches before the final run",
		kills, time.Since(start).Round(time.Millisecond), before, readings-readings/malformed, len(commits))
	if before == 0 {
		t.Errorf("the killed runs wrote nothing")
	}
	runToEnd(t, bin, args("available-now")...)

	var want, wantQ []string
	for _, r := range recs {
		if r.want != "" {
			want = append(want, r.want)
			continue
		}
		raw := string(r.rec.Value) // a tombstone's: ""
		wantQ = append(wantQ, fmt.Sprintf("kafka:%s/%d@%d raw=%s", topic, r.rec.Partition, r.rec.Offset, raw))
	}
	var got, gotQ []string
	for _, r := range readTable(t, table) {
		got = append(got, typedRow(r))
	}
	for _, r := range readTable(t, filepath.Join(table, "_quarantine")) {
		// source, file, line, offset, raw, raw_bytes, error, query_id, quarantined_at
		if r[2] != nil || r[6] == nil || r[6] == "" {
			t.Errorf("quarantined row %v: want no line and an error", r)
		}
		raw := "<nil>"
		if r[4] != nil {
			raw = fmt.Sprint(r[4])
		}
		gotQ = append(gotQ, fmt.Sprintf("%v@%v raw=%s", r[1], r[3], raw))
	}
	for _, s := range [][]string{want, wantQ, got, gotQ} {
		sort.Strings(s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after %d kills (seed %d), table (-want +got):\n%s", kills, seed, diff)
	}
	if diff := cmp.Diff(wantQ, gotQ); diff != "" {
		t.Errorf("after %d kills (seed %d), quarantine table (-want +got):\n%s", kills, seed, diff)
	}

	ends := endOffsets(t, cl, topic, false)
	wantOffsets := map[string]map[string]int64{topic: {}}
	for p, o := range ends {
		wantOffsets[topic][strconv.Itoa(int(p))] = o
	}
	var gotOffsets map[string]map[string]int64
	line := lastCommittedOffsets(t, cp)
	if err := json.Unmarshal([]byte(line), &gotOffsets); err != nil {
		t.Fatalf("checkpoint offsets %q: %v", line, err)
	}
	if diff := cmp.Diff(wantOffsets, gotOffsets); diff != "" {
		t.Errorf("after %d kills (seed %d), the checkpoint's last offsets %s (-end offsets +got):\n%s", kills, seed, line, diff)
	}
}

// sinkRecord is a record of the sink's topic: its key and value bytes.
type sinkRecord struct{ Key, Value string }

// readTopicTo reads topic's records from the start with the isolation
// level (read_committed or not) until every partition's position reaches
// its end offset in ends (control records are fetched to see it), and
// returns the data records, sorted, and the number of transaction markers
// of each kind ("commit", "abort").
func readTopicTo(t *testing.T, addrs []string, topic string, committed bool, ends map[int32]int64) ([]sinkRecord, map[string]int) {
	t.Helper()
	iso := kgo.ReadUncommitted()
	if committed {
		iso = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(iso), kgo.KeepControlRecords())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	next := map[int32]int64{}
	done := func() bool {
		for p, end := range ends {
			if next[p] < end {
				return false
			}
		}
		return true
	}
	var out []sinkRecord
	markers := map[string]int{}
	for !done() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s (read_committed %v): positions %v after 20s, want the end offsets %v", topic, committed, next, ends)
		}
		for _, e := range fs.Errors() {
			t.Fatalf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			switch {
			case !r.Attrs.IsControl():
				out = append(out, sinkRecord{string(r.Key), string(r.Value)})
			case len(r.Key) >= 4 && binary.BigEndian.Uint16(r.Key[2:4]) == 1: // key: version int16, type int16
				markers["commit"]++
			default:
				markers["abort"]++
			}
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Value < out[j].Value
	})
	return out, markers
}

// hotValue mirrors the kafka_sink record value for encoding/json: the
// sink's JSON encoder writes the bytes encoding/json writes for it (HTML
// escaping off).
type hotValue struct {
	Device     string    `json:"device"`
	Status     string    `json:"status"`
	Celsius    *float64  `json:"celsius"`
	Fahrenheit float64   `json:"fahrenheit"`
	At         time.Time `json:"at"`
}

// The kafka-sink binary (files → where temp >= 30 → select → Kafka topic
// keyed by device, exactlyOnce: one transaction per batch and file) writing
// to an in-test cluster while 32 files of 800 readings arrive (hot, cold,
// null and boundary temperatures, a malformed line in every 6th file):
// SIGKILLed 8 times at random moments (seed logged; STREAMGEN_E2E_SEED
// replays the kill moments and arrival delays), restarted after each kill,
// then run with available-now. Read back with read_committed to the end
// offsets, the topic holds every expected record exactly once: key and
// value bytes compared as a multiset with the records computed from the
// input with encoding/json. The quarantine table holds each malformed line
// once. A read_uncommitted read also sees the records of the transactions
// the kills aborted (logged, not asserted: a kill may miss every
// transaction).
func TestKafkaSinkKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	t.Parallel()
	const topic = "hot-readings"
	bin := buildMain(t, "./kafka_sink/want/cmd/kafka-sink")
	addrs, cl := startKafka(t, topic, 3)
	seed := e2eSeed(t)
	rng := rand.New(rand.NewPCG(seed, 8))

	const files, lines, kills = 32, 800, 8
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	statuses := []string{"ok", "warn", "fail"}
	type input struct {
		name string
		data []byte
	}
	var (
		inputs []input
		want   []sinkRecord
		wantQ  []string
	)
	for f := range files {
		var b bytes.Buffer
		for l := range lines {
			i := f*lines + l
			dev := fmt.Sprintf("d-%03d-%02d", f, l)
			if i%9 == 4 {
				dev += ` "é<&>\` // escapes; no HTML escaping
			}
			var temp *float64
			switch i % 5 {
			case 0: // null: dropped
			case 1:
				v := 29.99 - float64(i)/64 // cold: dropped
				temp = &v
			case 2:
				v := 30.0 // the boundary: kept
				temp = &v
			default:
				v := 30 + float64(i)*0.173
				temp = &v
			}
			at := base.Add(time.Duration(i) * 1001 * time.Millisecond)
			line, err := json.Marshal(map[string]any{"device": dev, "status": statuses[i%3], "temp": temp, "at": at})
			if err != nil {
				t.Fatal(err)
			}
			b.Write(append(line, '\n'))
			if temp != nil && *temp >= 30 {
				var v bytes.Buffer
				enc := json.NewEncoder(&v)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(hotValue{dev, statuses[i%3], temp, *temp*9/5 + 32, at}); err != nil {
					t.Fatal(err)
				}
				want = append(want, sinkRecord{dev, strings.TrimSuffix(v.String(), "\n")})
			}
		}
		name := fmt.Sprintf("f-%03d.jsonl", f)
		if f%6 == 5 {
			fmt.Fprintf(&b, "{\"device\":%d}\n", f)
			wantQ = append(wantQ, fmt.Sprintf("%s:%d: {\"device\":%d}", name, lines+1, f))
		}
		inputs = append(inputs, input{name, b.Bytes()})
	}
	delays := make([]time.Duration, files)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(220)) * time.Millisecond // ~3.5 s of arrivals, as long as the kills
	}

	dir := t.TempDir()
	in, cp, quarantine := filepath.Join(dir, "in"), filepath.Join(dir, "checkpoint"), filepath.Join(dir, "quarantine")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	args := func(trigger string) []string {
		return []string{"-kafka-brokers", strings.Join(addrs, ","), "-kafka-topic", topic, "-source-path", in, "-checkpoint", cp,
			"-quarantine-path", quarantine, "-trigger", trigger, "-log-level", "warn"}
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // files keep arriving, each written under a hidden name and renamed into place
		defer wg.Done()
		for i, f := range inputs {
			tmp := filepath.Join(in, "."+f.name)
			if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(tmp, filepath.Join(in, f.name)); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(delays[i])
		}
	}()
	start := time.Now()
	killRunsOf(t, rng, kills, 200*time.Millisecond, 500, func() *exec.Cmd { return exec.Command(bin, args("default")...) })
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	commits, _ := os.ReadDir(filepath.Join(cp, "commits"))
	t.Logf("%d kills in %v; %d committed batches of %d files before the final run", kills, time.Since(start).Round(time.Millisecond), len(commits), files)
	if len(commits) == 0 {
		t.Errorf("the killed runs committed nothing")
	}
	runToEnd(t, bin, args("available-now")...)

	// Every transaction is over: read_committed reaches the end offsets.
	ends := endOffsets(t, cl, topic, false)
	if stable := endOffsets(t, cl, topic, true); !cmp.Equal(ends, stable) {
		t.Errorf("after the final run, last stable offsets %v, end offsets %v: a transaction is still open", stable, ends)
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].Key != want[j].Key {
			return want[i].Key < want[j].Key
		}
		return want[i].Value < want[j].Value
	})
	got, markers := readTopicTo(t, addrs, topic, true, ends)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after %d kills (seed %d), read_committed records (-want +got):\n%s", kills, seed, diff)
	}
	all, _ := readTopicTo(t, addrs, topic, false, ends)
	t.Logf("%d records expected, %d read_committed, %d read_uncommitted (%d in aborted transactions); %d commit and %d abort markers; end offsets %v",
		len(want), len(got), len(all), len(all)-len(got), markers["commit"], markers["abort"], ends)
	if len(all) < len(got) {
		t.Errorf("read_uncommitted saw %d records, fewer than read_committed's %d", len(all), len(got))
	}
	if diff := cmp.Diff(wantQ, quarantineLines(t, readTable(t, quarantine))); diff != "" {
		t.Errorf("after %d kills (seed %d), quarantine table (-want +got):\n%s", kills, seed, diff)
	}
}
