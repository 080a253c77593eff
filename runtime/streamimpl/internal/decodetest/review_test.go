package decodetest

import (
	"strings"
	"testing"
)

// reviewEventSeeds are corners of JSON the seeds above do not cover, all
// checked against the oracle.
var reviewEventSeeds = []string{
	// Member names are matched exactly (case-sensitively, as a JSON
	// Schema validator does), unlike encoding/json's struct decoding.
	`{"TIME":1,"action":"Open"}`,
	`{"Time":1,"time":2,"action":"Open"}`,
	`{"time":1,"Action":"Open"}`,
	// Escaped names equal to a field's name are that field.
	`{"ti\u006de":1,"\u0061ction":"Open"}`,
	`{"time":1,"action":"Open","ti\u006de":"x"}`,
	`{"time\u0000":1,"time":2,"action":"Open"}`,
	`{"time":1,"action":"Open","\u0000":1}`,
	// Enum values with escapes, and near misses.
	`{"time":1,"action":"\u004fpen"}`,
	`{"time":1,"action":"Open\u0000"}`,
	`{"time":1,"action":"OPEN"}`,
	// Whitespace variants, a byte order mark, other leading bytes.
	"\t\r\n {\r\"time\"\t:\n1\r,\t\"action\"\n:\r\"Open\"\t}\r\n",
	"\xef\xbb\xbf{\"time\":1,\"action\":\"Open\"}",
	"\v{\"time\":1,\"action\":\"Open\"}",
	"{\"time\":1,\"action\":\"Open\"}\x00",
	// Numbers.
	`{"time":1E2,"action":"Open"}`,
	`{"time":-01,"action":"Open"}`,
	`{"time":00,"action":"Open"}`,
	`{"time":-,"action":"Open"}`,
	`{"time":+1,"action":"Open"}`,
	`{"time":` + strings.Repeat("9", 400) + `,"action":"Open"}`,
	`{"time":1,"action":"Open","x":` + strings.Repeat("9", 400) + `.5e-999}`,
	`{"time":9223372036854775807,"action":"Open"}`,
	`{"time":-9223372036854775809,"action":"Open"}`,
	// Unknown members of every shape, including invalid ones.
	`{"time":1,"action":"Open","x":{"a":{"b":{"c":[{"d":"\ud83d\ude00"}]}}}}`,
	`{"time":1,"action":"Open","x":{"a" "b"}}`,
	`{"time":1,"action":"Open","x":[1,]}`,
	`{"time":1,"action":"Open","x":nul}`,
	`{"time":1,"action":"Open","x":"\x"}`,
	`{"time":1,"action":"Open","x":"\u12"}`,
	`{"time":1,"action":"Open","x":tru}`,
	"{\"time\":1,\"action\":\"Open\",\"x\xff\":1}",
	`{"time":1,"action":"Open","x":"\udc00"}`,
	`{"time":1,"action":"Open","x":"\ud800\u0041"}`,
}

var reviewSensorSeeds = []string{
	`{"device_id":"d","temperature":1E2,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":-0,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":-0.0e0,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":01,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":` + strings.Repeat("1", 800) + `,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":0.` + strings.Repeat("0", 800) + `1,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":9007199254740993,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":0.30000000000000004,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2016-12-31T23:59:60Z"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-01-15T10:30:00-23:59"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-01-15T10:30:00+00:60"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-01-15T10:30:00+0530"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-01-15T10:30:00"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-01-15T10:30:00.1234567891234Z"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-02-29T00:00:00Z"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2023-02-29T00:00:00Z"}`,
	`{"device_id":"d","temperature":1,"timestamp":"1900-02-29T00:00:00Z"}`,
	`{"device_id":"d","temperature":1,"timestamp":"0000-01-01T00:00:00+00:01"}`,
	`{"device_id":"d","temperature":1,"timestamp":"9999-12-31T23:59:59-00:01"}`,
	`{"device_id":"d","temperature":1,"timestamp":"2024-01-15T10:30:00\u005a"}`,
	`{"device_id":"\u0000","temperature":1,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"device_id":"\uD83D\uDE00","temperature":1,"timestamp":"2024-01-15T10:30:00Z"}`,
	`{"DEVICE_ID":"d","temperature":1,"timestamp":"2024-01-15T10:30:00Z"}`,
}

func TestReviewSeeds(t *testing.T) {
	dec := NewEventDecoder()
	for _, s := range reviewEventSeeds {
		differential(t, []byte(s), dec.Decode)
	}
	sdec := NewSensorReadingDecoder()
	for _, s := range reviewSensorSeeds {
		differential(t, []byte(s), sdec.Decode)
	}
	// One level deeper than encoding/json's (and the scanner's) limit.
	for _, n := range []int{9999, 10000, 10001} {
		deep := `{"time":1,"action":"Open","x":` + strings.Repeat(`{"a":`, n-1) + "1" + strings.Repeat("}", n-1) + `}`
		differential(t, []byte(deep), dec.Decode)
		deep = `{"time":1,"action":"Open","x":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
		differential(t, []byte(deep), dec.Decode)
	}
}

// TestReviewCaseSensitive pins the decision that member names match
// properties exactly: "TIME" is an unknown member, not "time".
func TestReviewCaseSensitive(t *testing.T) {
	var e Event
	err := NewEventDecoder().Decode([]byte(`{"TIME":1,"Action":"Open"}`), &e)
	if err == nil || err.Error() != `missing required field "time"` {
		t.Errorf("Decode = %v, want missing required field \"time\"", err)
	}
}

// TestReviewDecodeResetsDst decodes into a value holding an earlier
// record: nothing of it may survive, and the strings decoded must not
// change when the input buffer is reused.
func TestReviewDecodeResetsDst(t *testing.T) {
	dec := NewSensorReadingDecoder()
	buf := []byte(`{"device_id":"first","temperature":1,"timestamp":"2024-01-15T10:30:00Z"}`)
	var r SensorReading
	if err := dec.Decode(buf, &r); err != nil {
		t.Fatal(err)
	}
	id := r.DeviceID
	copy(buf, `{"device_id":"XXXXX"`)
	if id != "first" {
		t.Errorf("decoded string changed with its input: %q", id)
	}
	if err := dec.Decode([]byte(`{"temperature":2,"timestamp":"2024-01-15T10:30:00Z"}`), &r); err == nil {
		t.Fatal("missing device_id accepted")
	}
	if err := dec.Decode([]byte(`{"device_id":"second","temperature":2,"timestamp":"2024-01-15T10:30:00Z"}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.DeviceID != "second" || r.Temperature != 2 || id != "first" {
		t.Errorf("got %+v (first id %q)", r, id)
	}
}
