package naming

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	tests := []struct {
		in                        string
		pascal, camel, snake, pkg string
	}{
		{"device_id", "DeviceID", "deviceID", "device_id", "deviceid"},
		{"time", "Time", "time", "time", "time"},
		{"SensorReading", "SensorReading", "sensorReading", "sensor_reading", "sensorreading"},
		{"sensor-reading", "SensorReading", "sensorReading", "sensor_reading", "sensorreading"},
		{"deviceId", "DeviceID", "deviceID", "device_id", "deviceid"},
		{"DeviceIDs", "DeviceIDs", "deviceIDs", "device_ids", "deviceids"},
		{"user_urls", "UserURLs", "userURLs", "user_urls", "userurls"},
		{"HTTPServer", "HTTPServer", "httpServer", "http_server", "httpserver"},
		{"api_key", "APIKey", "apiKey", "api_key", "apikey"},
		{"ACTION", "Action", "action", "action", "action"},
		{"in progress", "InProgress", "inProgress", "in_progress", "inprogress"},
		{"sensor2Value", "Sensor2Value", "sensor2Value", "sensor2_value", "sensor2value"},
		{"utf8_text", "UTF8Text", "utf8Text", "utf8_text", "utf8text"},
		{"1st", "X1st", "x1st", "1st", "pkg1st"},
		{"type", "Type", "type_", "type", "pkgtype"},
		{"action_counts", "ActionCounts", "actionCounts", "action_counts", "actioncounts"},
		{"température", "Température", "température", "température", "temprature"},
		{"$", "", "", "", "pkg"},
	}
	for _, tt := range tests {
		got := [4]string{Pascal(tt.in), Camel(tt.in), Snake(tt.in), PackageName(tt.in)}
		want := [4]string{tt.pascal, tt.camel, tt.snake, tt.pkg}
		if got != want {
			t.Errorf("%q: Pascal, Camel, Snake, PackageName = %q, want %q", tt.in, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	got := Words("myURLParser_v2-IDs")
	want := []string{"my", "URL", "Parser", "v2", "IDs"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Words (-want +got):\n%s", diff)
	}
}

func TestSuffix(t *testing.T) {
	for in, want := range map[string]string{"1st": "1st", "in-progress": "InProgress", "DONE": "Done", "": ""} {
		if got := Suffix(in); got != want {
			t.Errorf("Suffix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReceiver(t *testing.T) {
	for in, want := range map[string]string{
		"Event":           "e",
		"SensorReading":   "sr",
		"DeviceIDStatus":  "di",
		"OrderStatus":     "o", // not os
		"GroupOrder":      "g", // not go
		"InOut":           "i", // not io
		"ActionCountsRow": "ac",
	} {
		if got := Receiver(in); got != want {
			t.Errorf("Receiver(%q) = %q, want %q", in, got, want)
		}
	}
}
