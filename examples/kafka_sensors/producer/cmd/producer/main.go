// Command producer publishes the kafka_sensors example's sensor readings
// {"device_id","temperature","timestamp"} as JSON to a Kafka topic, keyed
// by device_id, some of them malformed.
//
// Usage:
//
//	go run ./examples/kafka_sensors/producer/cmd/producer [-brokers localhost:9092]
//	    [-topic sensor-readings] [-count 1000 | -duration 30s] [-rate 100]
//	    [-seed 1] [-malformed 0.05] [-devices 10] [-first 0]
//	    [-tls] [-sasl-user USER -sasl-password-env VAR]
//	    [-serve 127.0.0.1:9092 [-partitions 3] [-ready FILE]]
//
// It writes messages -first, -first+1, … at -rate records/s (0: as fast as
// the cluster takes them) until -count are written or -duration has
// passed (neither: until SIGINT/SIGTERM). The same -seed gives the same
// messages; -malformed is the share of values the pipeline rejects (cut
// short, a wrong type, a missing field).
//
// With -serve ADDR it first starts an in-process Kafka cluster (franz-go's
// kfake) on ADDR (port 0: a free one) with the topic (-partitions), writes
// to it, prints the broker address (and writes it to -ready FILE), then
// keeps serving until SIGINT/SIGTERM so a pipeline can read the topic.
//
// Azure Event Hubs' Kafka endpoint:
//
//	EVENTHUBS_CONNECTION_STRING='Endpoint=sb://…' producer \
//	    -brokers my-namespace.servicebus.windows.net:9093 -tls \
//	    -sasl-user '$ConnectionString' -sasl-password-env EVENTHUBS_CONNECTION_STRING
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/streamgen/streamgen/examples/kafka_sensors/producer"
)

func main() {
	brokers := flag.String("brokers", "localhost:9092", "bootstrap brokers, host:port,...")
	var cfg producer.Config
	flag.StringVar(&cfg.Topic, "topic", "sensor-readings", "topic to write to")
	flag.Int64Var(&cfg.Count, "count", 0, "number of readings (0: until -duration or a signal)")
	flag.DurationVar(&cfg.Duration, "duration", 0, "stop producing after this long, such as 30s")
	flag.Float64Var(&cfg.Rate, "rate", 100, "readings per second (0: as fast as possible)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the random readings")
	flag.Float64Var(&cfg.Malformed, "malformed", 0.05, "share of malformed values, 0 to 1")
	flag.IntVar(&cfg.Devices, "devices", 10, "number of sensors, sensor-01 …")
	flag.Int64Var(&cfg.First, "first", 0, "number of the first reading (continue an earlier run)")
	useTLS := flag.Bool("tls", false, "connect with TLS (Event Hubs needs it)")
	saslUser := flag.String("sasl-user", "", "SASL/PLAIN user (Event Hubs: $ConnectionString)")
	saslEnv := flag.String("sasl-password-env", "", "environment variable holding the SASL/PLAIN password")
	serve := flag.String("serve", "", "run an in-process Kafka cluster on this address (port 0: a free one), write to it, keep serving until a signal")
	partitions := flag.Int("partitions", 3, "with -serve: partitions of the topic")
	ready := flag.String("ready", "", "with -serve: write the broker address to this file once the readings are written")
	flag.Parse()
	if flag.NArg() > 0 || cfg.Count < 0 || cfg.Rate < 0 || cfg.Malformed < 0 || cfg.Malformed > 1 || cfg.Devices < 1 || *partitions < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, *brokers, *useTLS, *saslUser, *saslEnv, *serve, int32(*partitions), *ready); err != nil {
		fmt.Fprintf(os.Stderr, "producer: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg producer.Config, brokers string, useTLS bool, saslUser, saslEnv, serve string, partitions int32, ready string) error {
	seeds := strings.Split(brokers, ",")
	if serve != "" {
		c, err := producer.Serve(serve, cfg.Topic, partitions)
		if err != nil {
			return err
		}
		defer c.Close()
		seeds = c.ListenAddrs()
		fmt.Printf("serving Kafka on %s, topic %s (%d partitions)\n", strings.Join(seeds, ","), cfg.Topic, partitions)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.ClientID("kafka-sensors-producer")}
	if useTLS {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	if saslUser != "" {
		if saslEnv == "" {
			return fmt.Errorf("-sasl-user needs -sasl-password-env")
		}
		pass, ok := os.LookupEnv(saslEnv)
		if !ok {
			return fmt.Errorf("-sasl-password-env: %s is not set", saslEnv)
		}
		opts = append(opts, kgo.SASL(plain.Auth{User: saslUser, Pass: pass}.AsMechanism()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	st, err := producer.Produce(ctx, cl, cfg)
	fmt.Printf("produced %v to %s; next -first %d\n", st, cfg.Topic, st.Next)
	if err != nil {
		return err
	}
	if serve == "" {
		return nil
	}
	if ready != "" {
		// Written under another name and renamed, so a reader waiting for
		// the file never reads it half-written.
		if err := os.WriteFile(ready+".tmp", []byte(strings.Join(seeds, ",")+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(ready+".tmp", ready); err != nil {
			return err
		}
	}
	if ctx.Err() == nil {
		fmt.Printf("serving until SIGINT/SIGTERM\n")
		<-ctx.Done()
	}
	return nil
}
