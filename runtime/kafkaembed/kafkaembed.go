// Package kafkaembed runs an in-process Kafka cluster (franz-go's kfake)
// for trying a generated pipeline without a broker, and for tests: the
// -kafka-embedded flag of a generated binary starts one and points the
// pipeline's Kafka source and sink at it.
//
//	c, err := kafkaembed.Start(ctx, kafkaembed.Options{Topics: []string{"events"}})
//	…
//	defer c.Close()
//	brokers := c.Addrs() // ["127.0.0.1:9092"]
//
// The cluster has one broker listening on Options.Addr and keeps its data
// in memory: everything is gone after Close. It speaks enough of the Kafka
// protocol for producers, consumers, admin clients and transactions
// (read_committed reads included). It is not a production broker: no
// replication, no persistence, no authentication.
package kafkaembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultAddr is the address an embedded cluster listens on by default:
// Kafka's usual port on the loopback interface.
const DefaultAddr = "127.0.0.1:9092"

// DefaultPartitions is the number of partitions of the topics Start
// creates when Options.Partitions is 0.
const DefaultPartitions = 3

// Options configure an embedded cluster.
type Options struct {
	// Addr is the host:port the broker listens on and advertises
	// (DefaultAddr when empty; port 0 picks a free port, see
	// Cluster.Addrs).
	Addr string
	// Topics are created when the cluster starts (duplicates and empty
	// names are ignored).
	Topics []string
	// Partitions is the number of partitions of each topic created
	// (DefaultPartitions when 0); it is also the partition count of
	// topics created automatically on first use.
	Partitions int32
	// Logger receives the cluster's start and stop (Info) and its
	// warnings and errors; nil means slog.Default().
	Logger *slog.Logger
}

// Cluster is a running embedded cluster. Close stops it.
type Cluster struct {
	c      *kfake.Cluster
	addrs  []string
	logger *slog.Logger
	close  sync.Once
}

// Start starts an embedded cluster listening on o.Addr with o.Topics
// created, and logs its address. ctx only bounds the start.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	addr := o.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("kafkaembed: address %q: %w", addr, err)
	}
	parts := o.Partitions
	switch {
	case parts == 0:
		parts = DefaultPartitions
	case parts < 0:
		return nil, fmt.Errorf("kafkaembed: %d partitions", parts)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var topics []string
	for _, t := range o.Topics {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ClusterID("streamgen-embedded"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(int(parts)),
		kfake.WithLogger(kfakeLogger{logger}),
		// kfake asks for 127.0.0.1:<port>: listen on Addr instead.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			var lc net.ListenConfig
			return lc.Listen(ctx, network, addr)
		}),
	}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(parts, topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkaembed: listen on %s: %w", addr, err)
	}
	cl := &Cluster{c: c, addrs: c.ListenAddrs(), logger: logger}
	logger.Info("embedded Kafka cluster started", "addr", strings.Join(cl.addrs, ","), "topics", strings.Join(topics, ","), "partitions", parts)
	return cl, nil
}

// Addrs returns the broker addresses to bootstrap from (host:port, the
// port chosen when Options.Addr's port was 0).
func (c *Cluster) Addrs() []string { return slices.Clone(c.addrs) }

// CreateTopic creates a topic with the given number of partitions
// (DefaultPartitions when 0).
func (c *Cluster) CreateTopic(topic string, partitions int32) error {
	if topic == "" {
		return errors.New("kafkaembed: empty topic name")
	}
	if partitions == 0 {
		partitions = DefaultPartitions
	}
	if err := c.c.CreateTopic(topic, partitions, nil); err != nil {
		return fmt.Errorf("kafkaembed: create topic %s: %w", topic, err)
	}
	return nil
}

// Kfake returns the underlying kfake cluster, for tests that inject
// faults or inspect partitions.
func (c *Cluster) Kfake() *kfake.Cluster { return c.c }

// Close stops the cluster and drops its data. It may be called more than
// once, and on a nil Cluster.
func (c *Cluster) Close() {
	if c == nil {
		return
	}
	c.close.Do(func() {
		c.c.Close()
		c.logger.Info("embedded Kafka cluster stopped", "addr", strings.Join(c.addrs, ","))
	})
}

// kfakeLogger hands kfake's warnings and errors to slog (its info and
// debug lines are per request).
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		k.l.Error("kafkaembed: " + fmt.Sprintf(format, args...))
	case kfake.LogLevelWarn:
		k.l.Warn("kafkaembed: " + fmt.Sprintf(format, args...))
	}
}
