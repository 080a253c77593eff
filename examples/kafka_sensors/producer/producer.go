// Package producer is the kafka_sensors example's sample-data generator:
// sensors publishing JSON readings
//
//	{"device_id":"sensor-07","temperature":21.37,"timestamp":"2024-05-01T12:00:00.5Z"}
//
// to a Kafka topic, keyed by device_id (so a device's readings stay in one
// partition, in order), with a configurable share of malformed values to
// show the pipeline's quarantine: JSON cut short, a wrong type, a required
// field missing.
//
// Message n is a pure function of the Options and n: the same seed always
// gives the same messages, and a run starting at First continues an earlier
// one. Produce writes messages to a cluster, paced at a rate; Serve runs an
// in-process kfake cluster to write them to (the producer command's -serve).
package producer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kind says whether a message is a valid reading or how it is malformed.
type Kind int

// The kinds of messages.
const (
	// Valid is a reading the pipeline decodes.
	Valid Kind = iota
	// BadJSON is a reading cut short: not a complete JSON object.
	BadJSON
	// WrongType has the temperature as a JSON string.
	WrongType
	// MissingField lacks the required timestamp.
	MissingField
	numKinds
)

// String returns "valid", "bad-json", "wrong-type" or "missing-field".
func (k Kind) String() string {
	switch k {
	case Valid:
		return "valid"
	case BadJSON:
		return "bad-json"
	case WrongType:
		return "wrong-type"
	case MissingField:
		return "missing-field"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// DefaultStart is the timestamp of reading 0 unless Options.Start says
// otherwise.
var DefaultStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// Options say what the messages hold.
type Options struct {
	// Seed seeds the random readings; the same seed gives the same
	// messages.
	Seed uint64
	// Devices is the number of sensors, sensor-01 … (default 10).
	Devices int
	// Malformed is the share of malformed values, from 0 (none, the
	// default) to 1 (all); a malformed value is of each malformed kind
	// with equal chance.
	Malformed float64
	// Start is the timestamp of reading 0 (default DefaultStart); reading n
	// is taken Step after reading n-1.
	Start time.Time
	// Step is the time between readings (default 100ms).
	Step time.Duration
}

func (o Options) withDefaults() Options {
	if o.Devices <= 0 {
		o.Devices = 10
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Step <= 0 {
		o.Step = 100 * time.Millisecond
	}
	return o
}

// Reading is a valid message's reading.
type Reading struct {
	DeviceID    string
	Temperature float64
	Timestamp   time.Time
}

// Message is one Kafka record to produce.
type Message struct {
	// N is the message's number, from 0.
	N int64
	// Key is the device ID.
	Key []byte
	// Value is the JSON value.
	Value []byte
	// Kind is Valid or the way Value is malformed.
	Kind Kind
	// Reading is what Value holds when Kind is Valid.
	Reading Reading
}

// Message returns message n (n ≥ 0).
func (o Options) Message(n int64) Message {
	o = o.withDefaults()
	// The stream is the message number spread by a golden-ratio multiply,
	// so neighbouring messages' streams share no structure.
	rng := rand.New(rand.NewPCG(o.Seed, uint64(n)*0x9e3779b97f4a7c15))
	devN := 1 + rng.IntN(o.Devices)
	dev := fmt.Sprintf("sensor-%02d", devN)
	// Each sensor has its own base temperature; readings vary around it, to
	// a hundredth of a degree.
	base := 15 + float64(devN%7)*2
	temp := float64(int64((base+rng.Float64()*4-2)*100)) / 100
	ts := o.Start.Add(time.Duration(n) * o.Step).UTC()
	m := Message{N: n, Key: []byte(dev), Kind: Valid}
	if o.Malformed > 0 && rng.Float64() < o.Malformed {
		m.Kind = Kind(1 + rng.IntN(int(numKinds)-1))
	}
	tsJSON := strconv.Quote(ts.Format(time.RFC3339Nano))
	tempJSON := strconv.FormatFloat(temp, 'f', -1, 64)
	devJSON := strconv.Quote(dev)
	switch m.Kind {
	case Valid:
		m.Reading = Reading{DeviceID: dev, Temperature: temp, Timestamp: ts}
		m.Value = []byte(`{"device_id":` + devJSON + `,"temperature":` + tempJSON + `,"timestamp":` + tsJSON + `}`)
	case BadJSON:
		m.Value = []byte(`{"device_id":` + devJSON + `,"temperature":` + tempJSON + `,"timest`)
	case WrongType:
		m.Value = []byte(`{"device_id":` + devJSON + `,"temperature":"` + tempJSON + `","timestamp":` + tsJSON + `}`)
	case MissingField:
		m.Value = []byte(`{"device_id":` + devJSON + `,"temperature":` + tempJSON + `}`)
	}
	return m
}

// Config says what Produce writes, where and how fast.
type Config struct {
	Options
	// Topic is the topic written to.
	Topic string
	// First is the number of the first message (default 0).
	First int64
	// Count is the number of messages; 0 means until Duration has passed
	// or the context is done.
	Count int64
	// Duration, when positive, stops producing after that long.
	Duration time.Duration
	// Rate is the number of messages per second; 0 means as fast as the
	// cluster takes them.
	Rate float64
}

// Stats count what Produce wrote, acknowledged by the cluster.
type Stats struct {
	Sent  int64
	Kinds [numKinds]int64
	// Next is the number of the message after the last one sent: the
	// First of a run continuing this one.
	Next    int64
	Elapsed time.Duration
}

// Malformed returns the number of malformed messages sent.
func (s Stats) Malformed() int64 { return s.Sent - s.Kinds[Valid] }

// String summarizes the stats.
func (s Stats) String() string {
	return fmt.Sprintf("%d readings in %v (%d valid, %d malformed: %d bad-json, %d wrong-type, %d missing-field)",
		s.Sent, s.Elapsed.Round(time.Millisecond), s.Kinds[Valid], s.Malformed(), s.Kinds[BadJSON], s.Kinds[WrongType], s.Kinds[MissingField])
}

// Produce writes messages First, First+1, … to cfg.Topic with cl, at
// cfg.Rate, until Count are written, Duration has passed or ctx is done,
// then waits for every message handed to cl to be acknowledged. Records
// get the default partitioner of cl: with kgo's, a key's records share a
// partition. It returns what was acknowledged and the first produce
// error; a done ctx is the way to stop a run, not an error.
func Produce(ctx context.Context, cl *kgo.Client, cfg Config) (Stats, error) {
	if cfg.Topic == "" {
		return Stats{}, errors.New("producer: no topic")
	}
	if cfg.Count < 0 || cfg.Rate < 0 || cfg.Malformed < 0 || cfg.Malformed > 1 {
		return Stats{}, fmt.Errorf("producer: invalid config (count %d, rate %v, malformed %v)", cfg.Count, cfg.Rate, cfg.Malformed)
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var (
		st      Stats
		errc    = make(chan error, 1)
		kinds   [numKinds]int64
		pending = make(chan Kind, 1<<16)
	)
	// Acknowledgements arrive on the client's goroutines; count them on
	// one.
	acks := make(chan struct{})
	go func() {
		defer close(acks)
		for k := range pending {
			kinds[k]++
		}
	}()
	// Records handed over are delivered even when ctx ends the run (a
	// record's context being done would fail it).
	pctx := context.WithoutCancel(ctx)
	start := time.Now()
	n := cfg.First
	var prodErr error
	for cfg.Count == 0 || n < cfg.First+cfg.Count {
		if ctx.Err() != nil {
			break
		}
		if cfg.Rate > 0 {
			// Pace: message n (counted from First) is due at start +
			// (n-First)/Rate; sleep until it is (1ms at least, then send
			// every message that came due meanwhile).
			due := start.Add(time.Duration(float64(n-cfg.First) / cfg.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(max(d, time.Millisecond))
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				continue
			}
		}
		m := cfg.Message(n)
		kind := m.Kind
		r := &kgo.Record{Topic: cfg.Topic, Key: m.Key, Value: m.Value}
		cl.Produce(pctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- fmt.Errorf("producer: message %s: %w", r.Key, err):
				default:
				}
				return
			}
			pending <- kind
		})
		n++
		select {
		case prodErr = <-errc:
		default:
		}
		if prodErr != nil {
			break
		}
	}
	// Wait for every message given to the client: Flush with a fresh
	// context so a cancelled run still delivers what it handed over.
	if err := cl.Flush(pctx); err != nil && prodErr == nil {
		prodErr = err
	}
	close(pending)
	<-acks
	select {
	case err := <-errc:
		if prodErr == nil {
			prodErr = err
		}
	default:
	}
	st.Kinds = kinds
	for _, c := range kinds {
		st.Sent += c
	}
	st.Next = n
	st.Elapsed = time.Since(start)
	return st, prodErr
}

// Serve starts an in-process Kafka cluster (franz-go's kfake, one broker)
// listening on addr ("host:port"; port 0 picks a free one), with topic
// created with the given number of partitions. Close it when done; its
// ListenAddrs are what clients connect to.
func Serve(addr, topic string, partitions int32) (*kfake.Cluster, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("producer: -serve %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("producer: -serve %q: invalid port", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake listens on 127.0.0.1; listen on the host asked for.
		kfake.ListenFn(func(network, a string) (net.Listener, error) {
			_, p, err := net.SplitHostPort(a)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
		kfake.SeedTopics(partitions, topic),
	)
	if err != nil {
		return nil, fmt.Errorf("producer: kafka cluster on %s: %w", addr, err)
	}
	return c, nil
}
