package generated_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// buildMain builds a golden's generated main as a static binary.
func buildMain(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(goEnvWithoutFlags(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// freeAddr returns a loopback address nothing listens on (now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startEmbedded starts bin with -kafka-embedded on a free address and
// waits for the embedded cluster's start to be logged; it returns the
// address and stops the process (SIGTERM, exit 0 wanted) on cleanup.
func startEmbedded(t *testing.T, bin string, args ...string) (addr string, stderr *syncBuffer, wait func()) {
	t.Helper()
	addr = freeAddr(t)
	stderr = &syncBuffer{}
	cmd := exec.Command(bin, append([]string{"-kafka-embedded", "-kafka-brokers", addr, "-trigger", "200ms"}, args...)...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	wait = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v\n%s", filepath.Base(bin), err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("%s did not stop after SIGTERM\n%s", filepath.Base(bin), stderr.String())
		}
	}
	t.Cleanup(wait)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "embedded Kafka cluster started") {
		select {
		case err := <-done:
			t.Fatalf("%s exited: %v\n%s", filepath.Base(bin), err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no embedded cluster after 30s:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "addr="+addr) {
		t.Errorf("the embedded cluster's address %s is not logged:\n%s", addr, stderr.String())
	}
	return addr, stderr, wait
}

// The generated binaries with -kafka-embedded (skipped with -short): the
// sensor-readings binary reads what is produced to its embedded cluster
// (topic from -kafka-topic) into the Delta table of -sink-path; the
// kafka-sink binary writes its hot readings to the embedded cluster's
// topic, read back read_committed. SIGTERM stops both with exit 0.
func TestKafkaEmbeddedProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generated binaries")
	}
	t.Run("source", func(t *testing.T) {
		t.Parallel()
		bin := buildMain(t, "./sensor_readings/want/cmd/sensor-readings")
		dir := t.TempDir()
		table := filepath.Join(dir, "table")
		addr, stderr, stop := startEmbedded(t, bin, "-kafka-topic", "readings-x", "-sink-path", table, "-checkpoint", filepath.Join(dir, "cp"))
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, v := range []string{
			`{"device_id":"a","temperature":1.5,"timestamp":"2024-05-01T12:00:00Z"}`,
			`oops`,
			`{"device_id":"b","temperature":-2,"timestamp":"2024-05-01T12:00:01Z"}`,
		} {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "readings-x", Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for ctx.Err() == nil {
			if _, err := os.Stat(filepath.Join(table, "_delta_log")); err == nil {
				got = nil
				for _, r := range readTable(t, table) {
					got = append(got, fmt.Sprintf("%v/%v", r[0], r[1]))
				}
				if len(got) >= 2 {
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		stop()
		sort.Strings(got)
		if want := []string{"a/1.5", "b/-2"}; !slices.Equal(got, want) {
			t.Errorf("table rows %q, want %q\n%s", got, want, stderr.String())
		}
		if q := readTable(t, filepath.Join(table, "_quarantine")); len(q) != 1 || q[0][4] != "oops" || !strings.HasPrefix(fmt.Sprint(q[0][1]), "kafka:readings-x/") {
			t.Errorf("quarantine %v", q)
		}
	})
	t.Run("sink", func(t *testing.T) {
		t.Parallel()
		bin := buildMain(t, "./kafka_sink/want/cmd/kafka-sink")
		dir := t.TempDir()
		in := filepath.Join(dir, "in")
		if err := os.MkdirAll(in, 0o755); err != nil {
			t.Fatal(err)
		}
		addr, stderr, stop := startEmbedded(t, bin, "-kafka-topic", "hot-x", "-source-path", in, "-checkpoint", filepath.Join(dir, "cp"))
		data := `{"device":"d1","status":"ok","temp":35,"at":"2026-01-02T03:04:05Z"}
{"device":"d2","status":"ok","temp":3,"at":"2026-01-02T03:04:05Z"}
`
		if err := os.WriteFile(filepath.Join(in, ".a.jsonl"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(in, ".a.jsonl"), filepath.Join(in, "a.jsonl")); err != nil {
			t.Fatal(err)
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("hot-x"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var got []string
		for len(got) == 0 && ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Key)+" "+string(r.Value)) })
		}
		cl.Close()
		stop()
		if len(got) != 1 || !strings.HasPrefix(got[0], `d1 {"device":"d1"`) {
			t.Errorf("records %q, want d1's\n%s", got, stderr.String())
		}
	})
}
