package command

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// kafkaCmd is a toy pipeline's command with the Kafka flags of a
// pipeline with a Kafka source and sink.
type kafkaCmd struct {
	p                    *pipeline
	c                    *Command
	k                    *Kafka
	brokers, sinkBrokers []string
	topics               []string
	sinkTopic            string
}

func newKafkaCmd(t *testing.T, out io.Writer) *kafkaCmd {
	kc := &kafkaCmd{
		p:           &pipeline{checkpoint: t.TempDir(), trig: trigger.AvailableNow(), n: 3},
		brokers:     []string{"spec:9092"},
		sinkBrokers: []string{"spec-sink:9092"},
		topics:      []string{"in"},
		sinkTopic:   "out",
	}
	kc.c = kc.p.command(out)
	kc.k = kc.c.KafkaVar(&kc.brokers, &kc.sinkBrokers)
	kc.c.ListVar(&kc.topics, "kafka-topic", "topics")
	kc.c.StringVar(&kc.sinkTopic, "kafka-sink-topic", "topic")
	return kc
}

// newQuery is what a generated main does: start the embedded cluster
// when asked, register its closer, build the query.
func (kc *kafkaCmd) newQuery(check func(ctx context.Context)) NewQuery {
	return func(ctx context.Context, env Env) (*stream.Query, error) {
		stop, err := kc.k.Start(ctx, env.Logger, append([]string{kc.sinkTopic}, kc.topics...)...)
		if err != nil {
			return nil, err
		}
		env.Listeners = append(env.Listeners, stop)
		if check != nil {
			check(ctx)
		}
		return kc.p.newQuery(ctx, env)
	}
}

// Without Kafka flags the spec's settings stay and nothing is started.
func TestKafkaFlagsDefaults(t *testing.T) {
	kc := newKafkaCmd(t, io.Discard)
	if err := kc.c.Run(t.Context(), nil, kc.newQuery(nil)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kc.brokers, []string{"spec:9092"}) || !slices.Equal(kc.sinkBrokers, []string{"spec-sink:9092"}) ||
		!slices.Equal(kc.topics, []string{"in"}) || kc.sinkTopic != "out" || kc.k.Embedded() {
		t.Errorf("after no flags: brokers %q %q, topics %q %q, embedded %v", kc.brokers, kc.sinkBrokers, kc.topics, kc.sinkTopic, kc.k.Embedded())
	}
}

// -kafka-brokers sets the source's and the sink's brokers; -kafka-topic
// is a comma-separated list.
func TestKafkaFlagsOverride(t *testing.T) {
	kc := newKafkaCmd(t, io.Discard)
	args := []string{"-kafka-brokers", "b1:9092, b2:9093", "-kafka-topic", "x,,y", "-kafka-sink-topic", "z"}
	if err := kc.c.Run(t.Context(), args, kc.newQuery(nil)); err != nil {
		t.Fatal(err)
	}
	want := []string{"b1:9092", "b2:9093"}
	if !slices.Equal(kc.brokers, want) || !slices.Equal(kc.sinkBrokers, want) || !slices.Equal(kc.topics, []string{"x", "y"}) || kc.sinkTopic != "z" {
		t.Errorf("brokers %q %q, topics %q %q", kc.brokers, kc.sinkBrokers, kc.topics, kc.sinkTopic)
	}
	if kc.p.numbers() == nil {
		t.Error("the query did not run")
	}
}

// An empty list is a command-line error.
func TestKafkaFlagsEmptyList(t *testing.T) {
	for _, args := range [][]string{{"-kafka-brokers", ""}, {"-kafka-topic", " , "}} {
		var out syncBuffer
		kc := newKafkaCmd(t, &out)
		err := kc.c.Run(t.Context(), args, kc.newQuery(nil))
		if ExitCode(err) != 2 || !strings.Contains(out.String(), "empty list") {
			t.Errorf("%q: %v, exit code %d, output:\n%s", args, err, ExitCode(err), out.String())
		}
	}
}

// -kafka-embedded with -kafka-brokers 127.0.0.1:0 starts a cluster on a
// free port with the pipeline's topics, points both broker lists at it,
// logs its address, and stops it when the query ends.
func TestKafkaEmbedded(t *testing.T) {
	var out syncBuffer
	kc := newKafkaCmd(t, &out)
	var addr string
	check := func(ctx context.Context) {
		if len(kc.brokers) != 1 || !slices.Equal(kc.brokers, kc.sinkBrokers) || strings.HasSuffix(kc.brokers[0], ":0") {
			t.Errorf("brokers %q %q: want the embedded cluster's address", kc.brokers, kc.sinkBrokers)
			return
		}
		addr = kc.brokers[0]
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		td, err := kadm.NewClient(cl).ListTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := td.Names(); !slices.Equal(got, []string{"in", "out", "x"}) {
			t.Errorf("embedded topics %q, want [in out x]", got)
		}
	}
	args := []string{"-kafka-embedded", "-kafka-brokers", "127.0.0.1:0", "-kafka-topic", "in,x"}
	if err := kc.c.Run(t.Context(), args, kc.newQuery(check)); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if !kc.k.Embedded() || addr == "" {
		t.Fatalf("embedded %v, address %q", kc.k.Embedded(), addr)
	}
	if !strings.Contains(out.String(), "embedded Kafka cluster started") || !strings.Contains(out.String(), addr) {
		t.Errorf("the cluster's address is not logged:\n%s", out.String())
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("the embedded cluster still listens on %s after the query ended", addr)
	}
}

// -kafka-embedded on an address in use fails the run (exit code 1).
func TestKafkaEmbeddedAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	kc := newKafkaCmd(t, io.Discard)
	err = kc.c.Run(t.Context(), []string{"-kafka-embedded", "-kafka-brokers", ln.Addr().String()}, kc.newQuery(nil))
	if ExitCode(err) != 1 || !strings.Contains(err.Error(), "-kafka-embedded") {
		t.Errorf("Run = %v (exit code %d)", err, ExitCode(err))
	}
}

// With -log-level warn the embedded cluster's address is still said.
func TestKafkaEmbeddedQuietLogs(t *testing.T) {
	var out syncBuffer
	kc := newKafkaCmd(t, &out)
	args := []string{"-kafka-embedded", "-kafka-brokers", "127.0.0.1:0", "-log-level", "warn"}
	if err := kc.c.Run(t.Context(), args, kc.newQuery(nil)); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if want := "toy: embedded Kafka cluster on " + kc.brokers[0] + "\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}
