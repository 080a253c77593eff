package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"time"
)

// typedGoldenPath holds the add actions (partition values, stats) the
// pre-streaming WriteTyped produced for typedGoldenEvents: the typed
// writer must reproduce them exactly. Regenerate with
// STREAMGEN_UPDATE_GOLDEN=1 only when a change of the stats is intended.
const typedGoldenPath = "testdata/typed_writer_golden.json"

// typedGoldenEvents are n rows over three partitions (one of them null),
// interleaved, with nulls, empty lists, negative and NaN-free doubles.
func typedGoldenEvents(n int) []typedEvent {
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	days := []string{"2024-03-01", "2024-03-02", ""}
	actions := []string{"click", "view", "buy", "scroll"}
	out := make([]typedEvent, n)
	for i := range out {
		var dev *string
		if i%7 != 0 {
			d := fmt.Sprintf("device-%03d", (i*31)%250)
			dev = &d
		}
		var tags []string
		if i%5 != 0 {
			tags = []string{actions[i%4], fmt.Sprint(i % 13)}
		}
		out[i] = typedEvent{
			ID:     int64(i*7919%100003) - 5000,
			Time:   base.Add(time.Duration(i) * 1337 * time.Millisecond),
			Action: actions[(i/3)%4],
			Device: dev,
			Value:  math.Round(math.Sin(float64(i))*1e4) / 100,
			Amount: int32(i%2001 - 1000),
			Tags:   tags,
			Day:    days[(i/11)%3],
		}
	}
	return out
}

func typedGoldenPartition(e *typedEvent) map[string]*string {
	if e.Day == "" {
		return map[string]*string{"day": nil}
	}
	d := e.Day
	return map[string]*string{"day": &d}
}

// typedGoldenCases are the writer options of the golden files.
var typedGoldenCases = []struct {
	name string
	rows int
	opts WriterOptions
}{
	{"one-file", 3000, WriterOptions{}},
	{"rolling", 9000, WriterOptions{TargetFileSize: 8 << 10, RowGroupRows: 700}},
}

type typedGoldenAdd struct {
	PartitionValues map[string]*string `json:"partitionValues"`
	Stats           string             `json:"stats"`
}

func goldenAdds(adds []*Add) []typedGoldenAdd {
	out := make([]typedGoldenAdd, len(adds))
	for i, a := range adds {
		out[i] = typedGoldenAdd{a.PartitionValues, a.Stats}
	}
	return out
}

func TestTypedWriterGoldenUpdate(t *testing.T) {
	if os.Getenv("STREAMGEN_UPDATE_GOLDEN") == "" {
		t.Skip("set STREAMGEN_UPDATE_GOLDEN=1 to rewrite " + typedGoldenPath)
	}
	schema := mustSchema(t, typedEventSchema)
	golden := map[string][]typedGoldenAdd{}
	for _, c := range typedGoldenCases {
		adds, err := WriteTyped(context.Background(), newLocal(t), schema, []string{"day"}, typedGoldenEvents(c.rows), typedGoldenPartition, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		golden[c.name] = goldenAdds(adds)
	}
	b, err := json.MarshalIndent(golden, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(typedGoldenPath, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
