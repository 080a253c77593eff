package kafka_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/streamgen/streamgen/runtime/kafkaconn"
	kafkasink "github.com/streamgen/streamgen/runtime/sink/kafka"
)

func TestMurmur2(t *testing.T) {
	// Kafka's UtilsTest.testMurmur2.
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := murmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestAtLeastOnce(t *testing.T) {
	e := newEnv(t, "sensor-out", 3)
	s := e.sink(e.config(false))
	if got := s.Metrics(); got != nil {
		t.Errorf("Metrics before the first batch = %v", got)
	}
	var all []reading
	for b := range int64(3) {
		rows := rowsFor(b)
		all = append(all, rows...)
		w := writeBatch(t, s, "q1", b, rows, 2)
		if w.Skipped() {
			t.Errorf("batch %d skipped", b)
		}
	}
	diffRecords(t, e.readAll(false), expected(3, all))

	// The metrics are the last batch's.
	var bytes int // keys, values, header keys and values
	for _, r := range expected(3, rowsFor(2)) {
		bytes += len(r.Key) + len(r.Value) + len(strings.NewReplacer("=", "", ",", "").Replace(r.Headers))
	}
	want := map[string]string{"numRecordsWritten": fmt.Sprint(len(rowsFor(2))), "numBytesWritten": fmt.Sprint(bytes), "batchSkipped": "false"}
	if got := s.Metrics(); !maps.Equal(got, want) {
		t.Errorf("Metrics = %v, want %v", got, want)
	}
	if got, want := s.Description(), "KafkaSink[sensor-out]"; got != want {
		t.Errorf("Description = %q, want %q", got, want)
	}

	// A re-run batch is written again: at-least-once.
	writeBatch(t, s, "q1", 2, rowsFor(2), 100)
	diffRecords(t, e.readAll(false), expected(3, append(all, rowsFor(2)...)))
}

func TestNoKeyNoHeaders(t *testing.T) {
	e := newEnv(t, "plain", 1)
	cfg := e.config(false)
	cfg.Key, cfg.Headers = nil, nil
	s := e.sink(cfg)
	writeBatch(t, s, "q", 0, rowsFor(1), 10)
	var want []record
	for _, r := range expected(1, rowsFor(1)) {
		want = append(want, record{Partition: 0, Key: "<nil>", Value: r.Value})
	}
	diffRecords(t, e.readAll(false), want)
}

func TestAbortAtLeastOnceEndsBatch(t *testing.T) {
	e := newEnv(t, "t", 1)
	s := e.sink(e.config(false))
	c := ctx(t)
	w, err := s.BeginBatch(c, "q", 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Abort(c)
	w.Abort(c) // twice is fine
	if err := w.Write(c, rowsFor(0)); err == nil || !strings.Contains(err.Error(), "already committed or aborted") {
		t.Errorf("Write after Abort: %v", err)
	}
	if err := w.Commit(c); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	// The sink takes the next batch.
	writeBatch(t, s, "q", 0, rowsFor(0), 10)
	diffRecords(t, e.readAll(false), expected(1, rowsFor(0)))
}

func TestExactlyOnceRerunCommittedBatch(t *testing.T) {
	e := newEnv(t, "sensor-out", 3)
	cfg := e.config(true)
	s := e.sink(cfg)
	for b := range int64(2) {
		writeBatch(t, s, "q1", b, rowsFor(b), 3)
	}
	if got, want := s.TransactionalID(), "streamgen-q1-sensor-out"; got != want {
		t.Errorf("TransactionalID = %q, want %q", got, want)
	}
	// The same sink re-runs batch 1: nothing is written.
	if w := writeBatch(t, s, "q1", 1, rowsFor(1), 3); !w.Skipped() {
		t.Error("re-run batch 1 not skipped by the same sink")
	}
	want := map[string]string{"numRecordsWritten": "0", "numBytesWritten": "0", "batchSkipped": "true", "committedBatchId": "1"}
	if got := s.Metrics(); !maps.Equal(got, want) {
		t.Errorf("Metrics after a skip = %v, want %v", got, want)
	}
	// A crash after Kafka's commit, before the checkpoint's: a new sink
	// re-runs batch 1, then runs batch 2.
	s.Close()
	s2 := e.sink(cfg)
	for b, skip := range map[int64]bool{0: true, 1: true} {
		if w := writeBatch(t, s2, "q1", b, rowsFor(b), 3); w.Skipped() != skip {
			t.Errorf("batch %d after restart: skipped = %v", b, w.Skipped())
		}
	}
	if w := writeBatch(t, s2, "q1", 2, rowsFor(2), 3); w.Skipped() {
		t.Error("batch 2 skipped")
	}
	if got := s2.Metrics(); got["batchSkipped"] != "false" || got["committedBatchId"] != "2" || got["numRecordsWritten"] != "3" {
		t.Errorf("Metrics = %v", got)
	}
	writeBatch(t, s2, "q1", 3, rowsFor(3), 3) // empty: records nothing
	want = map[string]string{"numRecordsWritten": "0", "numBytesWritten": "0", "batchSkipped": "false", "committedBatchId": "2"}
	if got := s2.Metrics(); !maps.Equal(got, want) {
		t.Errorf("Metrics after an empty batch = %v, want %v", got, want)
	}
	diffRecords(t, e.readAll(false), expected(3, append(append(rowsFor(0), rowsFor(1)...), rowsFor(2)...)))
	if got, want := s2.Description(), "KafkaSink[sensor-out, exactly-once]"; got != want {
		t.Errorf("Description = %q, want %q", got, want)
	}

	// Another query with the same explicit transactional ID is not
	// skipped: the recorded batch is of another query.
	cfg.TransactionalID = "streamgen-q1-sensor-out"
	s3 := e.sink(cfg)
	if w := writeBatch(t, s3, "q2", 0, rowsFor(4), 3); w.Skipped() {
		t.Error("batch 0 of another query skipped")
	}
}

func TestExactlyOnceAbort(t *testing.T) {
	e := newEnv(t, "sensor-out", 2)
	cfg := e.config(true)
	s := e.sink(cfg)
	c := ctx(t)
	writeBatch(t, s, "q", 0, rowsFor(0), 2)

	// Batch 1 aborted mid-way.
	w, err := s.BeginBatch(c, "q", 1)
	if err != nil {
		t.Fatal(err)
	}
	writeRows(t, w, rowsFor(1), 1)
	if err := w.FlushForTest(c); err != nil {
		t.Fatal(err)
	}
	w.Abort(c)
	if uncommitted := e.readAll(true); len(uncommitted) != len(rowsFor(0))+len(rowsFor(1)) {
		t.Errorf("read_uncommitted sees %d records, want the aborted ones too: %v", len(uncommitted), uncommitted)
	}
	diffRecords(t, e.readAll(false), expected(2, rowsFor(0)))

	// The re-run writes them once.
	writeBatch(t, s, "q", 1, rowsFor(1), 2)
	diffRecords(t, e.readAll(false), expected(2, append(rowsFor(0), rowsFor(1)...)))

	// Batch 2 abandoned with its records sent, as at a SIGKILL: a new
	// sink with the same transactional ID fences the old producer and
	// aborts its transaction.
	w, err = s.BeginBatch(c, "q", 2)
	if err != nil {
		t.Fatal(err)
	}
	writeRows(t, w, rowsFor(2), 2)
	if err := w.FlushForTest(c); err != nil {
		t.Fatal(err)
	}
	s2 := e.sink(cfg)
	writeBatch(t, s2, "q", 2, rowsFor(2), 2)
	all := append(append(rowsFor(0), rowsFor(1)...), rowsFor(2)...)
	diffRecords(t, e.readAll(false), expected(2, all))
	// The zombie cannot commit.
	if err := w.Commit(c); err == nil {
		t.Error("the fenced writer committed")
	} else if !strings.Contains(err.Error(), "kafka sink: batch 2:") {
		t.Errorf("fenced commit error = %v", err)
	}
	diffRecords(t, e.readAll(false), expected(2, all))
}

// TestExactlyOnceRandomCrashes runs batches 0..N of a query through
// sinks that crash at random points, with a simulated checkpoint, and
// compares the topic with each batch's rows exactly once (and, read
// uncommitted, with the aborted records too).
func TestExactlyOnceRandomCrashes(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { testRandomCrashes(t, seed) })
	}
}

func testRandomCrashes(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	e := newEnv(t, "sensor-out", 3)
	cfg := e.config(true)
	cfg.Logger = slog.New(slog.DiscardHandler)
	const n = 24
	committed := int64(-1) // the checkpoint's commits log
	s := e.sink(cfg)
	crashes := map[string]int{}
	var killed, aborted []reading // records of the killed (all sent) and of the aborted (maybe sent) transactions
	for committed < n {
		b := committed + 1
		c := ctx(t)
		w, err := s.BeginBatch(c, "q", b)
		if err != nil {
			t.Fatal(err)
		}
		rows := rowsFor(b)
		if w.Skipped() {
			t.Fatalf("batch %d skipped: the checkpoint says it was not committed", b)
		}
		switch crash := rng.IntN(5); crash {
		case 0: // killed mid-batch, some records sent
			crashes["mid-batch"]++
			part := rows[:(len(rows)+1)/2]
			writeRows(t, w, part, 1)
			if err := w.FlushForTest(c); err != nil {
				t.Fatal(err)
			}
			killed = append(killed, part...)
			s = e.sink(cfg) // the old one is a zombie
			continue
		case 1: // killed after Kafka's commit, before the checkpoint's
			crashes["after-commit"]++
			writeRows(t, w, rows, 2)
			if err := w.Commit(c); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = e.sink(cfg)
			// The re-run is skipped.
			w, err := s.BeginBatch(c, "q", b)
			if err != nil {
				t.Fatal(err)
			}
			if w.Skipped() != (len(rows) > 0) { // an empty batch records nothing
				t.Fatalf("re-run of committed batch %d (%d rows): skipped = %v", b, len(rows), w.Skipped())
			}
			writeRows(t, w, rows, 2)
			if err := w.Commit(c); err != nil {
				t.Fatal(err)
			}
			committed = b
			continue
		case 2: // the batch failed: Abort
			crashes["abort"]++
			writeRows(t, w, rows, 3)
			w.Abort(c)
			aborted = append(aborted, rows...)
			continue
		}
		writeRows(t, w, rows, 2)
		if err := w.Commit(c); err != nil {
			t.Fatal(err)
		}
		committed = b
	}
	t.Logf("crashes: %v", crashes)
	var all []reading
	for b := range int64(n + 1) {
		all = append(all, rowsFor(b)...)
	}
	diffRecords(t, e.readAll(false), expected(3, all))
	// The aborted records are in the log, for read_uncommitted consumers.
	lo, hi := len(all)+len(killed), len(all)+len(killed)+len(aborted)
	if got := len(e.readAll(true)); got < lo || got > hi {
		t.Errorf("read_uncommitted sees %d records, want %d to %d (%d committed, %d killed, %d aborted)",
			got, lo, hi, len(all), len(killed), len(aborted))
	}
}

func TestLargeBatch(t *testing.T) {
	e := newEnv(t, "big", 4)
	s := e.sink(e.config(true))
	var rows []reading
	for i := range 20000 {
		rows = append(rows, reading{Device: fmt.Sprintf("d%d", i%97), Temp: i, Raw: fmt.Appendf(nil, "r%d", i)})
	}
	writeBatch(t, s, "q", 0, rows, 512)
	diffRecords(t, e.readAll(false), expected(4, rows))
	if got := s.Metrics()["numRecordsWritten"]; got != "20000" {
		t.Errorf("numRecordsWritten = %s", got)
	}
}

func TestSASL(t *testing.T) {
	e := newEnv(t, "secure", 2, kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", "admin", "admin-pw"),
		kfake.Superuser("PLAIN", "plain-user", "plain-pw"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "pw-256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pw-512"))
	e.clientOpts = []kgo.Opt{kgo.SASL(scram.Auth{User: "admin", Pass: "admin-pw"}.AsSha256Mechanism())}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw-512\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STREAMGEN_TEST_KAFKA_SINK_PW", "pw-256")
	var all []reading
	for i, c := range []struct {
		sasl        kafkaconn.SASL
		exactlyOnce bool
	}{
		{kafkaconn.SASL{Mechanism: kafkaconn.SASLPlain, User: "plain-user", Password: kafkaconn.SecretValue("plain-pw")}, false},
		{kafkaconn.SASL{Mechanism: "scram-sha-256", User: "scram256", Password: kafkaconn.SecretFromEnv("STREAMGEN_TEST_KAFKA_SINK_PW")}, true},
		{kafkaconn.SASL{Mechanism: kafkaconn.SASLScramSHA512, User: "scram512", Password: kafkaconn.SecretFromFile(pwFile)}, true},
	} {
		t.Run(c.sasl.Mechanism, func(t *testing.T) {
			cfg := e.config(c.exactlyOnce)
			cfg.Conn.SASL = &c.sasl
			s := e.sink(cfg)
			rows := rowsFor(int64(i))
			writeBatch(t, s, fmt.Sprintf("q%d", i), 0, rows, 2)
			all = append(all, rows...)
		})
	}
	diffRecords(t, e.readAll(false), expected(2, all))

	t.Run("wrong password", func(t *testing.T) {
		cfg := e.config(false)
		cfg.Conn.SASL = &kafkaconn.SASL{Mechanism: kafkaconn.SASLScramSHA256, User: "scram256", Password: kafkaconn.SecretValue("hunter2")}
		cfg.ClientOpts = append(cfg.ClientOpts, kgo.RequestRetries(1))
		start := time.Now()
		_, err := kafkasink.New(ctx(t), cfg)
		if err == nil {
			t.Fatal("authenticated with a wrong password")
		}
		t.Logf("error after %v: %v", time.Since(start), err)
		if msg := err.Error(); strings.Contains(msg, "hunter2") || !strings.Contains(msg, "kafka sink: topic secure") ||
			!strings.Contains(msg, "SASL SCRAM-SHA-256 authentication of user scram256 failed? check the mechanism, the user and the password secret(value redacted)") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestUnknownTopic(t *testing.T) {
	e := newEnv(t, "exists", 1)
	cfg := e.config(false)
	cfg.Topic = "sensor-out"
	_, err := kafkasink.New(ctx(t), cfg)
	if err == nil || err.Error() != "kafka sink: topic sensor-out does not exist (the sink does not create topics: create it first)" {
		t.Errorf("New with an unknown topic: %v", err)
	}
}

func TestTopicDeletedMidQuery(t *testing.T) {
	e := newEnv(t, "sensor-out", 1)
	cfg := e.config(false)
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.UnknownTopicRetries(1), kgo.RecordDeliveryTimeout(3*time.Second))
	s := e.sink(cfg)
	adm, err := kadm.NewOptClient(kgo.SeedBrokers(e.c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.DeleteTopics(ctx(t), "sensor-out"); err != nil {
		t.Fatal(err)
	}
	c := ctx(t)
	w, err := s.BeginBatch(c, "q", 7)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort(c)
	werr := w.Write(c, rowsFor(0))
	err = w.Commit(c)
	if err == nil {
		t.Fatal("Commit succeeded on a deleted topic")
	}
	if !strings.HasPrefix(err.Error(), "kafka sink: batch 7: produce to sensor-out: ") || !strings.Contains(err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("Commit error = %v (Write: %v)", err, werr)
	}
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t, "t", 1)
	base := e.config(false)
	cases := []struct {
		name string
		edit func(*kafkasink.Config[reading])
		want string
	}{
		{"no topic", func(c *kafkasink.Config[reading]) { c.Topic = "" }, "kafka sink: no topic"},
		{"no value", func(c *kafkasink.Config[reading]) { c.Value = nil }, "kafka sink: topic t: no value encoder"},
		{"no brokers", func(c *kafkasink.Config[reading]) { c.Conn.Brokers = nil }, "kafka sink: topic t: kafka: no bootstrap brokers"},
		{"txn id without exactly-once", func(c *kafkasink.Config[reading]) { c.TransactionalID = "x" }, "ExactlyOnce is not"},
		{"bad mechanism", func(c *kafkasink.Config[reading]) {
			c.Conn.SASL = &kafkaconn.SASL{Mechanism: "GSSAPI", User: "u", Password: kafkaconn.SecretValue("p")}
		}, `SASL mechanism "GSSAPI"`},
		{"unset secret", func(c *kafkasink.Config[reading]) {
			c.Conn.SASL = &kafkaconn.SASL{Mechanism: "PLAIN", User: "u", Password: kafkaconn.SecretFromEnv("STREAMGEN_TEST_UNSET")}
		}, "environment variable STREAMGEN_TEST_UNSET is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			c.edit(&cfg)
			if _, err := kafkasink.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want %q", err, c.want)
			}
		})
	}
	s := e.sink(base)
	if _, err := s.BeginBatch(context.Background(), "q", -1); err == nil {
		t.Error("BeginBatch accepted batch -1")
	}
}

func TestExactlyOnceOneQueryPerSink(t *testing.T) {
	e := newEnv(t, "t", 1)
	s := e.sink(e.config(true))
	writeBatch(t, s, "q1", 0, rowsFor(0), 2)
	_, err := s.BeginBatch(ctx(t), "q2", 1)
	if err == nil || !strings.Contains(err.Error(), "is that of query q1") {
		t.Errorf("BeginBatch of another query: %v", err)
	}
	// The sink still works for its query.
	writeBatch(t, s, "q1", 1, rowsFor(1), 2)
	diffRecords(t, e.readAll(false), expected(1, append(rowsFor(0), rowsFor(1)...)))
}

// syncBuffer is a bytes.Buffer for concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestNoSecretInLogs(t *testing.T) {
	var buf syncBuffer
	e := newEnv(t, "t", 1, kfake.EnableSASL(), kfake.Superuser("PLAIN", "u", "hunter2"))
	e.clientOpts = nil
	cfg := e.config(true)
	cfg.Conn.SASL = &kafkaconn.SASL{Mechanism: "PLAIN", User: "u", Password: kafkaconn.SecretValue("hunter2")}
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.WithLogger(kgo.BasicLogger(&buf, kgo.LogLevelDebug, nil)))
	s := e.sink(cfg)
	writeBatch(t, s, "q", 0, rowsFor(0), 2)
	writeBatch(t, s, "q", 0, rowsFor(0), 2)
	if strings.Contains(buf.String(), "hunter2") || strings.Contains(fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), "hunter2") {
		t.Error("the password is shown")
	}
	if !strings.Contains(buf.String(), "skipping") {
		t.Errorf("no skip logged:\n%s", buf.String())
	}
}
