package command

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/streamgen/streamgen/runtime/kafkaembed"
	"github.com/streamgen/streamgen/runtime/stream"
)

// listFlag is a comma-separated list flag over *p: "a:9092,b:9092".
type listFlag struct {
	p   *[]string
	set func() // called after each Set
}

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listFlag) Set(s string) error {
	var items []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return fmt.Errorf("empty list")
	}
	*l.p = items
	if l.set != nil {
		l.set()
	}
	return nil
}

// ListVar registers a flag over *p, a comma-separated list ("a,b,c")
// whose default is *p's current value. Giving the flag replaces the list.
func (c *Command) ListVar(p *[]string, name, usage string) {
	c.fs.Var(listFlag{p: p}, name, usage)
}

// Kafka is the Kafka part of a pipeline binary's command line, from
// KafkaVar: -kafka-brokers and -kafka-embedded.
type Kafka struct {
	c          *Command
	brokers    []*[]string
	brokersSet bool
	embedded   bool
}

// KafkaVar registers the flags of a pipeline reading from or writing to
// Kafka:
//
//   - -kafka-brokers host:port,…: the bootstrap servers, overriding the
//     spec's; it sets every list in brokers (a pipeline with a Kafka
//     source and a Kafka sink gives both, which then reach the same
//     cluster; -kafka-sink-brokers, when registered after, can set the
//     sink's apart). The default shown is the first list's value.
//   - -kafka-embedded: start an in-process Kafka cluster
//     (runtime/kafkaembed), for trying the pipeline out, and point the
//     pipeline at it: it listens on the first address of -kafka-brokers
//     when that flag is given, else on 127.0.0.1:9092 (see
//     Kafka.Start).
//
// The pipeline's topic flags (-kafka-topic, -kafka-sink-topic) are
// registered with ListVar and StringVar.
func (c *Command) KafkaVar(brokers ...*[]string) *Kafka {
	k := &Kafka{c: c, brokers: brokers}
	var def []string
	if len(brokers) > 0 {
		def = *brokers[0]
	}
	v := listFlag{p: &def, set: func() {
		k.brokersSet = true
		for _, b := range k.brokers {
			*b = append([]string(nil), def...)
		}
	}}
	c.fs.Var(v, "kafka-brokers", "Kafka bootstrap servers, comma-separated host:port (default: the spec's)")
	c.fs.BoolVar(&k.embedded, "kafka-embedded", false, "start an in-process Kafka cluster (on the first -kafka-brokers address, default "+kafkaembed.DefaultAddr+") with the pipeline's topics, and use it")
	return k
}

// Embedded reports whether -kafka-embedded was given.
func (k *Kafka) Embedded() bool { return k.embedded }

// Start starts the embedded cluster when -kafka-embedded was given,
// creating topics (empty names skipped), and points every brokers list
// of KafkaVar at it; without the flag it does nothing. The cluster's
// address is logged at Info, or written to the command's output when
// logger does not log Info (as under a progress bar). The returned listener, to be registered on the
// query, closes the cluster when the query ends; it is never nil (a
// no-op without -kafka-embedded).
//
// Call it from the NewQuery function, before building the query:
//
//	stop, err := k.Start(ctx, env.Logger, cfg.Topics...)
//	if err != nil {
//		return nil, err
//	}
//	cfg.Listeners = append(cfg.Listeners, stop)
func (k *Kafka) Start(ctx context.Context, logger *slog.Logger, topics ...string) (stream.Listener, error) {
	if !k.embedded {
		return closeOnTerminated(nil), nil
	}
	addr := kafkaembed.DefaultAddr
	if k.brokersSet && len(k.brokers) > 0 && len(*k.brokers[0]) > 0 {
		addr = (*k.brokers[0])[0]
	}
	cl, err := kafkaembed.Start(ctx, kafkaembed.Options{Addr: addr, Topics: topics, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("%s: -kafka-embedded: %w", k.c.name, err)
	}
	for _, b := range k.brokers {
		*b = cl.Addrs()
	}
	if logger == nil || !logger.Enabled(ctx, slog.LevelInfo) {
		// kafkaembed logged the address at Info: say it anyway (the
		// progress bar raises the level to Warn).
		fmt.Fprintf(k.c.stderr, "%s: embedded Kafka cluster on %s\n", k.c.name, strings.Join(cl.Addrs(), ","))
	}
	return closeOnTerminated(cl.Close), nil
}

// closeOnTerminated calls a function once the query has ended.
type closeOnTerminated func()

// OnTerminated implements stream.ListenerTerminated.
func (f closeOnTerminated) OnTerminated(stream.TerminatedEvent) {
	if f != nil {
		f()
	}
}

var _ flag.Value = listFlag{}
