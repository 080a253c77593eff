package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/console"
)

type status string

type deviceStatus struct {
	Device string `json:"device"`
	Status status `json:"status"`
}

func addBatch[T any](t *testing.T, s *console.Sink[T], id int64, rows []T) {
	t.Helper()
	if err := s.AddBatch(context.Background(), id, rows); err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, got *bytes.Buffer, want string) {
	t.Helper()
	want = strings.TrimPrefix(want, "\n")
	if diff := cmp.Diff(want, got.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestBatchesLikeSpark(t *testing.T) {
	var out bytes.Buffer
	s := console.New[deviceStatus](&out, console.NumRows(2))
	addBatch(t, s, 0, []deviceStatus{{"Dev1", "ok"}})
	addBatch(t, s, 1, []deviceStatus{{"Dev1", "ok"}, {"Device-42", "failing"}, {"Dev3", "ok"}})
	addBatch(t, s, 2, nil)
	check(t, &out, `
-------------------------------------------
Batch: 0
-------------------------------------------
+------+------+
|device|status|
+------+------+
|  Dev1|    ok|
+------+------+

-------------------------------------------
Batch: 1
-------------------------------------------
+---------+-------+
|   device| status|
+---------+-------+
|     Dev1|     ok|
|Device-42|failing|
+---------+-------+
only showing top 2 rows

-------------------------------------------
Batch: 2
-------------------------------------------
+------+------+
|device|status|
+------+------+
+------+------+

`)
	if got, want := s.Description(), "ConsoleSink[numRows=2, truncate=true]"; got != want {
		t.Errorf("Description() = %q, want %q", got, want)
	}
}

func TestNumRowsOneAndDefault(t *testing.T) {
	var out bytes.Buffer
	s := console.New[deviceStatus](&out, console.NumRows(1), console.Description("console"))
	addBatch(t, s, 7, []deviceStatus{{"a", "x"}, {"b", "y"}})
	check(t, &out, `
-------------------------------------------
Batch: 7
-------------------------------------------
+------+------+
|device|status|
+------+------+
|     a|     x|
+------+------+
only showing top 1 row

`)
	if s.Description() != "console" {
		t.Errorf("Description() = %q", s.Description())
	}

	out.Reset()
	rows := make([]deviceStatus, 21)
	for i := range rows {
		rows[i] = deviceStatus{fmt.Sprint(i), "ok"}
	}
	addBatch(t, console.New[deviceStatus](&out), 0, rows)
	lines := strings.Split(out.String(), "\n")
	// 3 header lines, sep, column names, sep, 20 rows, sep, footer, "", "".
	if len(lines) != 30 || lines[25] != "|    19|    ok|" || lines[27] != "only showing top 20 rows" {
		t.Errorf("default numRows output:\n%s", out.String())
	}
}

func TestTruncate(t *testing.T) {
	type row struct {
		ID   int    `json:"id"`
		Text string `json:"text"`
	}
	rows := []row{
		{1, "exactly twenty chars"},
		{22, "twenty-one characters"},
		{333, "tab\there\nnewline"},
	}
	var out bytes.Buffer
	addBatch(t, console.New[row](&out), 5, rows)
	check(t, &out, `
-------------------------------------------
Batch: 5
-------------------------------------------
+---+--------------------+
| id|                text|
+---+--------------------+
|  1|exactly twenty chars|
| 22|twenty-one charac...|
|333|  tab\there\nnewline|
+---+--------------------+

`)
	out.Reset()
	addBatch(t, console.New[row](&out, console.Truncate(false)), 5, rows)
	check(t, &out, `
-------------------------------------------
Batch: 5
-------------------------------------------
+---+---------------------+
|id |text                 |
+---+---------------------+
|1  |exactly twenty chars |
|22 |twenty-one characters|
|333|tab\there\nnewline   |
+---+---------------------+

`)
}

func TestFullWidthCharacters(t *testing.T) {
	type row struct {
		City string `json:"city"`
	}
	var out bytes.Buffer
	addBatch(t, console.New[row](&out), 0, []row{{"東京"}, {"Zürich"}})
	check(t, &out, `
-------------------------------------------
Batch: 0
-------------------------------------------
+------+
|  city|
+------+
|  東京|
|Zürich|
+------+

`)
}

type geo struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type base struct {
	Key string `json:"key"`
}

type order struct {
	base
	Time     time.Time        `json:"time"`
	Updated  *time.Time       `json:"updated,omitempty"`
	Status   status           `json:"status"`
	Quantity int32            `json:"quantity"`
	Price    *float64         `json:"price"`
	Gift     *bool            `json:"gift,omitempty"`
	Tags     []string         `json:"tags,omitempty"`
	Scores   []*int64         `json:"scores"`
	ShipTo   *geo             `json:"ship_to,omitempty"`
	Stops    []geo            `json:"stops,omitempty"`
	ShipDate *delta.DateValue `json:"ship_date,omitempty"`
	Attrs    map[string]int   `json:"attrs"`
	Raw      []byte           `json:"raw"`
	Hidden   string           `json:"-"`
	NoTag    uint8
	secret   string
}

func TestValueRendering(t *testing.T) {
	ts := time.Date(2016, 7, 26, 2, 14, 35, 0, time.UTC)
	upd := time.Date(2016, 7, 26, 4, 14, 35, 123400000, time.FixedZone("CEST", 2*3600))
	price, gift, score := 1e7, true, int64(9)
	date := delta.DateOf(ts)
	rows := []order{
		{
			base: base{"k1"}, Time: ts, Updated: &upd, Status: "in-progress", Quantity: 3,
			Price: &price, Gift: &gift, Tags: []string{"a", "b"}, Scores: []*int64{&score, nil},
			ShipTo: &geo{52.5, 13.25}, Stops: []geo{{1, 2}, {0.0001, -3}}, ShipDate: &date,
			Attrs: map[string]int{"z": 1, "a": 2}, Raw: []byte{0x0a, 0xff}, Hidden: "h", NoTag: 7, secret: "s",
		},
		{base: base{"k2"}, Time: ts.Add(time.Microsecond), Tags: []string{}},
	}
	var out bytes.Buffer
	addBatch(t, console.New[order](&out, console.Truncate(false)), 0, rows)
	check(t, &out, `
-------------------------------------------
Batch: 0
-------------------------------------------
+---+--------------------------+------------------------+-----------+--------+-----+----+------+---------+-------------+----------------------------+----------+----------------+-------+-----+
|key|time                      |updated                 |status     |quantity|price|gift|tags  |scores   |ship_to      |stops                       |ship_date |attrs           |raw    |NoTag|
+---+--------------------------+------------------------+-----------+--------+-----+----+------+---------+-------------+----------------------------+----------+----------------+-------+-----+
|k1 |2016-07-26 02:14:35       |2016-07-26 02:14:35.1234|in-progress|3       |1.0E7|true|[a, b]|[9, null]|{52.5, 13.25}|[{1.0, 2.0}, {1.0E-4, -3.0}]|2016-07-26|{a -> 2, z -> 1}|[0A FF]|7    |
|k2 |2016-07-26 02:14:35.000001|null                    |           |0       |null |null|[]    |null     |null         |null                        |null      |null            |null   |0    |
+---+--------------------------+------------------------+-----------+--------+-----+----+------+---------+-------------+----------------------------+----------+----------------+-------+-----+

`)
}

func TestNonStructRows(t *testing.T) {
	var out bytes.Buffer
	addBatch(t, console.New[string](&out), 1, []string{"a", "bb"})
	addBatch(t, console.New[*deviceStatus](&out), 2, []*deviceStatus{{"d", "ok"}, nil})
	check(t, &out, `
-------------------------------------------
Batch: 1
-------------------------------------------
+-----+
|value|
+-----+
|    a|
|   bb|
+-----+

-------------------------------------------
Batch: 2
-------------------------------------------
+------+------+
|device|status|
+------+------+
|     d|    ok|
|  null|  null|
+------+------+

`)
}

func TestFloats(t *testing.T) {
	type row struct {
		D float64 `json:"d"`
		F float32 `json:"f"`
	}
	rows := []row{
		{1, 1}, {0.1, 0.1}, {-2.5, 1e7}, {1e-3, 1e-4}, {123456789, 3.4e38},
		{math.NaN(), float32(math.Inf(1))}, {math.Inf(-1), 0}, {math.Copysign(0, -1), 9999999},
	}
	var out bytes.Buffer
	addBatch(t, console.New[row](&out), 0, rows)
	check(t, &out, `
-------------------------------------------
Batch: 0
-------------------------------------------
+------------+---------+
|           d|        f|
+------------+---------+
|         1.0|      1.0|
|         0.1|      0.1|
|        -2.5|    1.0E7|
|       0.001|   1.0E-4|
|1.23456789E8|   3.4E38|
|         NaN| Infinity|
|   -Infinity|      0.0|
|        -0.0|9999999.0|
+------------+---------+

`)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	s := console.New[deviceStatus](failingWriter{})
	err := s.AddBatch(context.Background(), 4, nil)
	if err == nil || err.Error() != "console: add batch 4: disk full" {
		t.Errorf("write error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err = console.New[deviceStatus](&out).AddBatch(ctx, 1, nil)
	if !errors.Is(err, context.Canceled) || out.Len() != 0 {
		t.Errorf("cancelled: %v, printed %q", err, out.String())
	}
}

// TestConcurrentBatchesDoNotInterleave prints from many goroutines (run
// with -race) and checks every batch came out whole.
func TestConcurrentBatchesDoNotInterleave(t *testing.T) {
	var out bytes.Buffer
	s := console.New[deviceStatus](&out)
	var wg sync.WaitGroup
	const n = 50
	for i := range n {
		wg.Go(func() {
			rows := []deviceStatus{{fmt.Sprintf("dev%02d", i), "ok"}}
			if err := s.AddBatch(context.Background(), int64(i), rows); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	blocks := strings.Split(strings.TrimSuffix(out.String(), "\n\n"), "\n\n")
	if len(blocks) != n {
		t.Fatalf("%d blocks, want %d", len(blocks), n)
	}
	for _, b := range blocks {
		var id int
		if _, err := fmt.Sscanf(strings.Split(b, "\n")[1], "Batch: %d", &id); err != nil {
			t.Fatalf("block %q: %v", b, err)
		}
		want := fmt.Sprintf("|device|status|\n+------+------+\n| dev%02d|    ok|\n+------+------+", id)
		if !strings.Contains(b, want) {
			t.Errorf("batch %d printed as:\n%s", id, b)
		}
	}
}
