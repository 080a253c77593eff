package producer_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/examples/kafka_sensors/kafkasensors"
	"github.com/streamgen/streamgen/examples/kafka_sensors/producer"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// TestMessagesDecode checks each message's kind against the pipeline's
// generated decoder: a valid value decodes to its Reading, a malformed one
// is rejected for the reason its kind says.
func TestMessagesDecode(t *testing.T) {
	o := producer.Options{Seed: 3, Malformed: 0.3}
	dec := kafkasensors.NewSensorReadingDecoder()
	var kinds [4]int
	for n := range int64(2000) {
		m := o.Message(n)
		if m2 := o.Message(n); string(m2.Value) != string(m.Value) || string(m2.Key) != string(m.Key) {
			t.Fatalf("message %d is not deterministic: %s then %s", n, m.Value, m2.Value)
		}
		kinds[m.Kind]++
		var r kafkasensors.SensorReading
		err := dec.Decode(m.Value, &r)
		if m.Kind == producer.Valid {
			if err != nil {
				t.Fatalf("message %d %s: %v", n, m.Value, err)
			}
			want := kafkasensors.SensorReading{DeviceID: m.Reading.DeviceID, Temperature: m.Reading.Temperature, Timestamp: m.Reading.Timestamp}
			if r.DeviceID != want.DeviceID || r.Temperature != want.Temperature || !r.Timestamp.Equal(want.Timestamp) {
				t.Fatalf("message %d %s: decoded %+v, want %+v", n, m.Value, r, want)
			}
			if string(m.Key) != r.DeviceID {
				t.Fatalf("message %d: key %q, device %q", n, m.Key, r.DeviceID)
			}
			continue
		}
		if err == nil {
			t.Fatalf("message %d (%v) %s: decoded", n, m.Kind, m.Value)
		}
		var de *streamimpl.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("message %d (%v): %T %v, want a *streamimpl.DecodeError", n, m.Kind, err, err)
		}
		switch m.Kind {
		case producer.WrongType:
			if de.Field != "temperature" {
				t.Errorf("message %d (wrong-type): error on field %q: %v", n, de.Field, err)
			}
		case producer.MissingField:
			if de.Field != "timestamp" || de.Kind != streamimpl.ErrMissing {
				t.Errorf("message %d (missing-field): %v (field %q)", n, err, de.Field)
			}
		}
	}
	// About 30% malformed, split over the three kinds.
	if v := kinds[producer.Valid]; v < 1300 || v > 1500 {
		t.Errorf("%d valid of 2000 at Malformed 0.3", v)
	}
	for k := producer.BadJSON; k <= producer.MissingField; k++ {
		if kinds[k] < 120 {
			t.Errorf("%d %v of 2000", kinds[k], k)
		}
	}
	v := producer.Options{Seed: 3}
	if d := v.Message(7).Reading.Timestamp.Sub(v.Message(6).Reading.Timestamp); d != 100*time.Millisecond {
		t.Errorf("readings are not 100ms apart")
	}
}

// TestProduceServe produces to the in-process cluster of Serve and reads
// the topic back: the multiset of (key, value, kind) equals what the seed
// predicts, a device's readings are in one partition, in order.
func TestProduceServe(t *testing.T) {
	c, err := producer.Serve("127.0.0.1:0", "sensor-readings", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := producer.Config{Options: producer.Options{Seed: 42, Malformed: 0.1}, Topic: "sensor-readings", First: 100, Count: 600, Rate: 3000}
	start := time.Now()
	st, err := producer.Produce(ctx, cl, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("600 readings at 3000/s took %v", el)
	}
	want := map[string]int{}
	var wantKinds [4]int64
	for n := cfg.First; n < cfg.First+cfg.Count; n++ {
		m := cfg.Message(n)
		want[fmt.Sprintf("%s|%s|%v", m.Key, m.Value, m.Kind)]++
		wantKinds[m.Kind]++
	}
	if st.Sent != cfg.Count || st.Next != cfg.First+cfg.Count || st.Kinds != wantKinds {
		t.Errorf("stats %+v, want %d sent, next %d, kinds %v", st, cfg.Count, cfg.First+cfg.Count, wantKinds)
	}
	if st.Malformed() == 0 || st.Kinds[producer.Valid] == 0 {
		t.Fatalf("stats %v: want both valid and malformed readings", st)
	}

	// Read the topic back.
	cons, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("sensor-readings"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	got := map[string]int{}
	partOf := map[string]int32{}
	kindOf := map[string]producer.Kind{}
	for n := cfg.First; n < cfg.First+cfg.Count; n++ {
		m := cfg.Message(n)
		kindOf[string(m.Value)] = m.Kind
	}
	lastTS := map[string]time.Time{}
	dec := kafkasensors.NewSensorReadingDecoder()
	var read int64
	for read < cfg.Count {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("after %d records: %v", read, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			read++
			k, ok := kindOf[string(r.Value)]
			if !ok {
				t.Errorf("unexpected value %s", r.Value)
			}
			got[fmt.Sprintf("%s|%s|%v", r.Key, r.Value, k)]++
			if p, ok := partOf[string(r.Key)]; ok && p != r.Partition {
				t.Errorf("key %s in partitions %d and %d", r.Key, p, r.Partition)
			}
			partOf[string(r.Key)] = r.Partition
			var sr kafkasensors.SensorReading
			if k == producer.Valid && dec.Decode(r.Value, &sr) == nil {
				if sr.Timestamp.Before(lastTS[sr.DeviceID]) {
					t.Errorf("device %s: reading at %v after one at %v", sr.DeviceID, sr.Timestamp, lastTS[sr.DeviceID])
				}
				lastTS[sr.DeviceID] = sr.Timestamp
			}
		})
	}
	if !maps.Equal(got, want) {
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if got[k] != want[k] {
				t.Errorf("%s: produced %d times, want %d", k, got[k], want[k])
			}
		}
		t.Fatalf("the topic differs from the seed's readings")
	}
	parts := map[int32]bool{}
	for _, p := range partOf {
		parts[p] = true
	}
	if len(parts) < 2 {
		t.Errorf("10 devices in %d partitions: keys are not spread", len(parts))
	}
}

// TestProduceDuration stops a run without Count by Duration.
func TestProduceDuration(t *testing.T) {
	c, err := producer.Serve("127.0.0.1:0", "t", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	st, err := producer.Produce(context.Background(), cl, producer.Config{Topic: "t", Duration: 200 * time.Millisecond, Rate: 500})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent < 50 || st.Sent > 110 || st.Malformed() != 0 {
		t.Errorf("200ms at 500/s: %v", st)
	}
}
