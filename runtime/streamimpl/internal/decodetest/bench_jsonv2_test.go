//go:build goexperiment.jsonv2

package decodetest

import (
	jsonv2 "encoding/json/v2"
	"testing"
	"time"
)

// BenchmarkDecodeEventJSONv2 runs the events benchmark with
// encoding/json/v2 (only under GOEXPERIMENT=jsonv2).
func BenchmarkDecodeEventJSONv2(b *testing.B) {
	lines := eventLines()
	var e Event
	runBench(b, lines, nil, func(l []byte) error {
		var j eventJSON
		if err := jsonv2.Unmarshal(l, &j); err != nil {
			return err
		}
		e = Event{Time: time.Unix(j.Time, 0).UTC(), Action: j.Action}
		return nil
	})
	_ = e
}

// BenchmarkDecodeSensorReadingJSONv2 runs the sensor reading benchmark
// with encoding/json/v2 (only under GOEXPERIMENT=jsonv2).
func BenchmarkDecodeSensorReadingJSONv2(b *testing.B) {
	lines := sensorLines()
	runBench(b, lines, nil, func(l []byte) error {
		var r SensorReading
		return jsonv2.Unmarshal(l, &r)
	})
}
