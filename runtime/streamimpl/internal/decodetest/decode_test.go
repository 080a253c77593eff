package decodetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// differential decodes data with the generated decoder and the oracle
// and fails unless both accept with equal values or both reject.
func differential[T any](t *testing.T, data []byte, decode func([]byte, *T) error) {
	t.Helper()
	var got, want T
	gerr := decode(data, &got)
	werr := expect(data, &want)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("input %q:\ndecoder: %v\noracle:  %v", data, gerr, werr)
	}
	if gerr != nil {
		var de *streamimpl.DecodeError
		if !errors.As(gerr, &de) || de.Offset < 0 || de.Offset > len(data) || de.Msg == "" || de.Kind == 0 {
			t.Fatalf("input %q: bad error %#v", data, gerr)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("input %q: decoded value differs from the oracle's (-want +got):\n%s", data, diff)
	}
}

// eventSeeds are inputs for the events decoder: valid records, every
// kind of malformed record, and the awkward corners of JSON.
var eventSeeds = []string{
	`{"time":1469501675,"action":"Open"}`,
	` {"action" : "Close" , "time" : 0 } ` + "\n",
	`{"time":-62167219200,"action":"Open"}`,
	`{"time":253402300799,"action":"Open"}`,
	`{"time":253402300800,"action":"Open"}`,
	`{"time":-9223372036854775808,"action":"Open"}`,
	`{"time":9223372036854775808,"action":"Open"}`,
	`{"time":-0,"action":"Open"}`,
	`{"time":1469501675.0,"action":"Open"}`,
	`{"time":1e9,"action":"Open"}`,
	`{"time":"1469501675","action":"Open"}`,
	`{"time":null,"action":"Open"}`,
	`{"time":1469501675}`,
	`{"action":"Open"}`,
	`{}`,
	`{"time":1469501675,"action":"open"}`,
	`{"time":1469501675,"action":"Op\u0065n"}`,
	`{"t\u0069me":1469501675,"action":"Open"}`,
	`{"time":1,"action":"Open","time":2}`,
	`{"time":"x","action":"Open","time":2}`,
	`{"time":2,"action":"Open","time":"x"}`,
	`{"time":1,"action":"Open","extra":{"a":[1,2,{"b":null}],"c":"\ud83d\ude00"},"more":[true,false,null,-1.5e-3]}`,
	`{"time":1,"action":"Open","extra":"\ud800"}`,
	"{\"time\":1,\"action\":\"Open\",\"extra\":\"\xff\"}",
	`{"time":1,"action":"Open"} x`,
	`{"time":1,"action":"Open"}{}`,
	`{"time":1,"action":"Open",}`,
	`{"time":1,"action":"Open"`,
	`{"time":1,"act`,
	`{"time":`,
	`{"time":1 "action":"Open"}`,
	`[{"time":1,"action":"Open"}]`,
	`null`,
	``,
	`{"time":01,"action":"Open"}`,
	`{"time":1,"action":"Open","x":[[[[[[[[[[]]]]]]]]]]}`,
	`{"time":1,"action":"Open","x":1e400}`,
}

// sensorSeeds are inputs for the sensor reading decoder.
var sensorSeeds = []string{
	`{"device_id":"sensor-0042","temperature":21.5,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"","temperature":-0,"timestamp":"2024-01-15T10:30:00.123456789+05:30"}`,
	`{"device_id":"caf\u00e9 \"quoted\" \\ \/ \b\f\n\r\t","temperature":1e-400,"timestamp":"0000-01-01T00:00:00Z"}`,
	`{"device_id":"😀 ünïcödé","temperature":1.7976931348623157e308,"timestamp":"9999-12-31T23:59:59.9999999999Z"}`,
	`{"device_id":"d","temperature":1e400,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":-1e400,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":"21.5","timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":21,"timestamp":"2024-01-15 10:30:00Z"}`,
	`{"device_id":"d","temperature":21,"timestamp":"2024-02-30T10:30:00Z"}`,
	`{"device_id":"d","temperature":21,"timestamp":"2024-01-15T10:30:00+24:00"}`,
	`{"device_id":"d","temperature":21,"timestamp":"2024-01-15T10:30:00.Z"}`,
	`{"device_id":"d","temperature":21,"timestamp":"2024-01-15t10:30:00z"}`,
	`{"device_id":"d","temperature":21,"timestamp":1705314600}`,
	`{"device_id":null,"temperature":21,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":21}`,
	`{"device_id":"\ud83d\ude00\ud83d","temperature":21,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"a` + "\x01" + `","temperature":21,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":0.1e1,"timestamp":"2024-01-15T10:30:00Z","device_id":"e"}`,
	`{"device_id":"d","temperature":12345678901234567890.123,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":-.5,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":1.,"timestamp":"2024-01-15T10:30:00Z"}`,
}

// FuzzEventDecoder differentially fuzzes the generated events decoder.
func FuzzEventDecoder(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	dec := NewEventDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		differential(t, data, dec.Decode)
	})
}

// FuzzSensorReadingDecoder differentially fuzzes the generated sensor
// reading decoder.
func FuzzSensorReadingDecoder(f *testing.F) {
	for _, s := range sensorSeeds {
		f.Add([]byte(s))
	}
	dec := NewSensorReadingDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		differential(t, data, dec.Decode)
	})
}

func TestEventDecode(t *testing.T) {
	var e Event
	if err := NewEventDecoder().Decode([]byte(`{"time":1469501675,"action":"Close"}`), &e); err != nil {
		t.Fatal(err)
	}
	want := Event{Time: time.Date(2016, 7, 26, 2, 54, 35, 0, time.UTC), Action: EventActionClose}
	if !e.Time.Equal(want.Time) || e.Time.Location() != time.UTC || e.Action != want.Action {
		t.Errorf("got %+v, want %+v", e, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{`{"time":"x","action":"Open"}`, `field "time" at byte 8: expected integer, found string`},
		{`{"time":1}`, `missing required field "action"`},
		{`{"time":1,"action":"Opn"}`, `field "action" at byte 19: invalid value "Opn", want one of "Open", "Close"`},
		{`{"time":null,"action":"Open"}`, `field "time" at byte 8: null not allowed`},
		{`{"time":1.5,"action":"Open"}`, `field "time" at byte 8: expected integer, found number 1.5`},
		{`{"time":1,"action":"Open"`, `invalid JSON at byte 25: unexpected end of input`},
		{`{"time":1,"action":"Op`, `invalid JSON at byte 22 in field "action": unexpected end of input`},
		{`{"time":"x","action":"Open"`, `invalid JSON at byte 27: unexpected end of input`},
		{`{"time":1,"action":"Open"} {`, `invalid JSON at byte 27: invalid character '{' after top-level value`},
		{`[]`, `invalid record at byte 0: expected object, found array`},
	}
	dec := NewEventDecoder()
	for _, tt := range tests {
		var e Event
		err := dec.Decode([]byte(tt.in), &e)
		if err == nil || err.Error() != tt.err {
			t.Errorf("Decode(%s) = %v, want %s", tt.in, err, tt.err)
		}
	}
	var r SensorReading
	err := NewSensorReadingDecoder().Decode([]byte(`{"device_id":"d","temperature":21,"timestamp":"2024-01-15 10:30:00Z"}`), &r)
	if err == nil || err.Error() != `field "timestamp" at byte 46: invalid RFC 3339 timestamp "2024-01-15 10:30:00Z"` {
		t.Error(err)
	}
}

func TestDecodeSeeds(t *testing.T) {
	dec := NewEventDecoder()
	for _, s := range eventSeeds {
		differential(t, []byte(s), dec.Decode)
	}
	sdec := NewSensorReadingDecoder()
	for _, s := range sensorSeeds {
		differential(t, []byte(s), sdec.Decode)
	}
	deep := `{"time":1,"action":"Open","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	differential(t, []byte(deep), dec.Decode)
}

// TestArenaStringsSurviveReset checks that strings decoded before a Reset
// keep their contents while later batches are decoded.
func TestArenaStringsSurviveReset(t *testing.T) {
	dec := NewSensorReadingDecoder()
	var kept []string
	for batch := range 50 {
		dec.Reset()
		for i := range 500 {
			var r SensorReading
			in := `{"device_id":"dev-` + strings.Repeat("x", i%40) + `","temperature":1,"timestamp":"2024-01-15T10:30:00Z"}`
			if err := dec.Decode([]byte(in), &r); err != nil {
				t.Fatal(err)
			}
			if i == batch {
				kept = append(kept, r.DeviceID)
			}
		}
	}
	for i, s := range kept {
		if want := "dev-" + strings.Repeat("x", i%40); s != want {
			t.Fatalf("string %d = %q, want %q", i, s, want)
		}
	}
}
