package decodetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchRecords is the number of distinct records a benchmark cycles
// through, and the batch size after which the decoder's arena is Reset.
const benchRecords = 1024

// eventLines returns benchRecords events records as JSON lines.
func eventLines() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	lines := make([][]byte, benchRecords)
	for i := range lines {
		action := "Open"
		if rng.IntN(2) == 0 {
			action = "Close"
		}
		lines[i] = fmt.Appendf(nil, `{"time":%d,"action":"%s"}`, 1469501675+rng.IntN(86400*30), action)
	}
	return lines
}

// sensorLines returns benchRecords sensor readings as JSON lines.
func sensorLines() [][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	lines := make([][]byte, benchRecords)
	for i := range lines {
		ts := base.Add(time.Duration(rng.IntN(86400*1000)) * time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
		lines[i] = fmt.Appendf(nil, `{"device_id":"sensor-%04d","temperature":%.2f,"timestamp":"%s"}`, rng.IntN(10000), 15+rng.Float64()*20, ts)
	}
	return lines
}

// runBench decodes lines round-robin, one record per iteration, calling
// reset after every batch of benchRecords, and reports records/s besides
// ns/op (= ns/record), MB/s and allocs/op (= allocs/record).
func runBench(b *testing.B, lines [][]byte, reset func(), decode func([]byte) error) {
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	b.SetBytes(int64(total / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(lines)
		if j == 0 && reset != nil {
			reset()
		}
		if err := decode(lines[j]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// eventJSON is Event as encoding/json can decode it: it cannot decode an
// epoch integer into a time.Time, so the benchmark decodes the integer
// and converts it, as a hand-written wrapper would.
type eventJSON struct {
	Time   int64       `json:"time"`
	Action EventAction `json:"action"`
}

// BenchmarkDecodeEvent compares the generated events decoder with
// encoding/json.
func BenchmarkDecodeEvent(b *testing.B) {
	lines := eventLines()
	b.Run("generated", func(b *testing.B) {
		dec := NewEventDecoder()
		var e Event
		runBench(b, lines, dec.Reset, func(l []byte) error { return dec.Decode(l, &e) })
	})
	b.Run("encoding_json", func(b *testing.B) {
		var e Event
		runBench(b, lines, nil, func(l []byte) error {
			var j eventJSON
			if err := json.Unmarshal(l, &j); err != nil {
				return err
			}
			e = Event{Time: time.Unix(j.Time, 0).UTC(), Action: j.Action}
			return nil
		})
		_ = e
	})
}

// BenchmarkDecodeSensorReading compares the generated sensor reading
// decoder with encoding/json (which decodes the record struct directly).
func BenchmarkDecodeSensorReading(b *testing.B) {
	lines := sensorLines()
	b.Run("generated", func(b *testing.B) {
		dec := NewSensorReadingDecoder()
		var r SensorReading
		runBench(b, lines, dec.Reset, func(l []byte) error { return dec.Decode(l, &r) })
	})
	b.Run("encoding_json", func(b *testing.B) {
		runBench(b, lines, nil, func(l []byte) error {
			var r SensorReading
			return json.Unmarshal(l, &r)
		})
	})
}
