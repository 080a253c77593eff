package kafkaembed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Start on a random port creates the topics with the partitions asked
// for; records produced (transactionally too) are read back in order,
// and Close stops listening.
func TestStartProduceConsume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var logs bytes.Buffer
	c, err := Start(ctx, Options{Addr: "127.0.0.1:0", Topics: []string{"a", "b", "a", ""}, Partitions: 2,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addrs := c.Addrs()
	if len(addrs) != 1 || !strings.HasPrefix(addrs[0], "127.0.0.1:") || strings.HasSuffix(addrs[0], ":0") {
		t.Fatalf("Addrs() = %q", addrs)
	}
	if !strings.Contains(logs.String(), "addr="+addrs[0]) {
		t.Errorf("start log does not name the address:\n%s", logs.String())
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, d := range td {
		if !d.IsInternal {
			got[d.Topic] = len(d.Partitions)
		}
	}
	if want := map[string]int{"a": 2, "b": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("topics %v, want %v", got, want)
	}
	if err := c.CreateTopic("c", 5); err != nil {
		t.Fatal(err)
	}
	td, err = adm.ListTopics(ctx, "c")
	if err != nil || len(td["c"].Partitions) != 5 {
		t.Errorf("topic c: %v, %v; want 5 partitions", td["c"].Partitions, err)
	}

	for i := range 5 {
		r := &kgo.Record{Topic: "a", Partition: 1, Value: fmt.Appendf(nil, "v%d", i)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// A transaction, committed: visible to read_committed.
	tx, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.TransactionalID("t1"))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, &kgo.Record{Topic: "b", Partition: 0, Value: []byte("tx")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	cons, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("a", "b"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var vals []string
	for len(vals) < 6 {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %q: %v", vals, err)
		}
		fs.EachRecord(func(r *kgo.Record) { vals = append(vals, r.Topic+":"+string(r.Value)) })
	}
	slices.Sort(vals)
	if want := []string{"a:v0", "a:v1", "a:v2", "a:v3", "a:v4", "b:tx"}; !slices.Equal(vals, want) {
		t.Errorf("records %q, want %q", vals, want)
	}

	c.Close()
	c.Close() // idempotent
	if conn, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
		conn.Close()
		t.Errorf("still listening on %s after Close", addrs[0])
	}
}

// A taken address is an error naming it; so is a malformed one.
func TestStartAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(context.Background(), Options{Addr: ln.Addr().String(), Logger: quiet()})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Start on a taken address: %v", err)
	}
	if _, err := Start(context.Background(), Options{Addr: "nope", Logger: quiet()}); err == nil {
		t.Error("Start with a bad address: no error")
	}
}
