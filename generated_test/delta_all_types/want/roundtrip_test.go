package deltaalltypes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/generated_test/internal/deltatable"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// randOrders returns a generator of random orders over every field type
// (all_types' encode test's, with times at Delta's microsecond
// precision): nil, empty and filled lists, null list elements, absent
// optional fields, nested records, times across years 0000–9999,
// arbitrary finite floats, strings with control and non-ASCII
// characters, quantities across the schema's bounds 0–1000.
func randOrders(seed uint64) func() Order {
	rng := rand.New(rand.NewPCG(seed, 7))
	const minSec, maxSec = -62167219200, 253402300799
	pieces := []string{"a", "Z", " ", "\"", "\\", "/", "\x00", "\x1f", "\n", "\t", "\x7f", "<", "é", "\u2028", "😀", "\ufffd", "\u00a0"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	instant := func() time.Time {
		return time.Unix(minSec+rng.Int64N(maxSec-minSec+1), rng.Int64N(1e6)*1e3).UTC()
	}
	float := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return float64(rng.IntN(2001) - 1000)
		case 1:
			return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(50)-25))
		case 2:
			return []float64{0, math.Copysign(0, -1), 1e21, math.MaxFloat64, math.SmallestNonzeroFloat64}[rng.IntN(5)]
		}
		for {
			if f := math.Float64frombits(rng.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	}
	list := func(n int, elem func(int)) bool {
		switch rng.IntN(3) {
		case 0:
			return false
		case 1:
			return true
		}
		for i := range n {
			elem(i)
		}
		return true
	}
	maybe := func() bool { return rng.IntN(2) == 0 }
	hex := "0123456789abcdefABCDEF"
	return func() Order {
		var o Order
		id := []byte("00000000-0000-0000-0000-000000000000")
		for i := range id {
			if id[i] != '-' {
				id[i] = hex[rng.IntN(len(hex))]
			}
		}
		o.OrderID = string(id)
		o.Time = time.UnixMilli(minSec*1000 + rng.Int64N((maxSec-minSec)*1000+1000)).UTC()
		if maybe() {
			o.Updated = new(instant())
		}
		o.Status = []OrderStatus{OrderStatusOpen, OrderStatusInProgress, OrderStatusDone}[rng.IntN(3)]
		o.Quantity = []int32{0, 1000, rng.Int32N(1001)}[rng.IntN(3)]
		if maybe() {
			o.TotalCents = new(int64(rng.Uint64()))
		}
		if maybe() {
			o.Price = new(float())
		}
		if maybe() {
			o.Gift = new(maybe())
		}
		n := rng.IntN(4) + 1
		if list(n, func(int) { o.Tags = append(o.Tags, str()) }) && o.Tags == nil {
			o.Tags = []string{}
		}
		list(n, func(int) {
			if maybe() {
				o.Scores = append(o.Scores, nil)
			} else {
				o.Scores = append(o.Scores, new(rng.Int64()))
			}
		})
		if maybe() {
			o.ShipTo = &GeoLocation{Lat: float(), Lon: float()}
		}
		if list(n, func(int) { o.Stops = append(o.Stops, GeoLocation{Lat: float(), Lon: float()}) }) && o.Stops == nil {
			o.Stops = []GeoLocation{}
		}
		if list(n, func(int) { o.SeenAt = append(o.SeenAt, instant()) }) && o.SeenAt == nil {
			o.SeenAt = []time.Time{}
		}
		if list(n, func(int) {
			o.CustomerURLs = append(o.CustomerURLs, []OrderCustomerURLs{OrderCustomerURLsWeb, OrderCustomerURLsApp}[rng.IntN(2)])
		}) && o.CustomerURLs == nil {
			o.CustomerURLs = []OrderCustomerURLs{}
		}
		if maybe() {
			o.ShipDate = new(delta.DateValue(-719528 + rng.Int32N(2932896+719528+1)))
		}
		return o
	}
}

func testConfig(dir string) DeltaAllTypesConfig {
	cfg := DefaultDeltaAllTypesConfig()
	cfg.SourcePath = filepath.Join(dir, "orders")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Sink = memory.New[Order]()
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

func run(t *testing.T, cfg DeltaAllTypesConfig) error {
	t.Helper()
	ctx := context.Background()
	q, err := NewDeltaAllTypes(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return q.AwaitTermination(ctx)
}

// The round trip generated record → delta.WriteTyped → table → the
// generated pipeline (deltasource + orderFromDeltaRow) → memory sink,
// over random orders of every field type in 12 appends: the sink holds
// exactly the orders written, in commit order (startingVersion 0 reads
// the commits in order, maxFilesPerTrigger 2 two commits per batch),
// nil and empty lists included (an empty list reads back empty, a nil
// one nil).
func TestRoundTrip(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			src := deltatable.New(t, cfg.SourcePath, OrderDeltaSchema())
			gen := randOrders(seed)
			var want []Order
			for range 12 {
				var rs []Order
				for range 1 + int(seed)*20 {
					rs = append(rs, gen())
				}
				deltatable.Append(src, rs...)
				want = append(want, rs...)
			}
			if err := run(t, cfg); err != nil {
				t.Fatal(err)
			}
			got := cfg.Sink.Rows()
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if diff := cmp.Diff(want[i], got[i]); diff != "" {
					t.Fatalf("row %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// A row out of the schema's bounds in the table (another writer's
// quantity 5000) stops the query with an error naming the column, the
// data file and its version; the batches before it reached the sink.
func TestRowOutOfBounds(t *testing.T) {
	cfg := testConfig(t.TempDir())
	src := deltatable.New(t, cfg.SourcePath, OrderDeltaSchema())
	gen := randOrders(9)
	good := []Order{gen(), gen(), gen()}
	deltatable.Append(src, good[:2]...)
	deltatable.Append(src, good[2])
	bad := gen()
	bad.Quantity = 5000
	v, adds := deltatable.Append(src, gen(), bad)
	err := run(t, cfg)
	if err == nil {
		t.Fatal("no error for quantity 5000")
	}
	file, _ := adds[0].DecodedPath()
	for _, want := range []string{"column quantity: 5000 is above the maximum 1000", file, fmt.Sprintf("version %d", v), "row 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if diff := cmp.Diff(good, cfg.Sink.Rows()); diff != "" {
		t.Errorf("sink (-want +got):\n%s", diff)
	}
}

// orderFromDeltaRow on hand-made rows: every kind of value it refuses,
// each error naming the column (and element, and nested column).
func TestFromDeltaRowErrors(t *testing.T) {
	o := randOrders(5)()
	o.Tags, o.Stops, o.CustomerURLs = []string{"a"}, []GeoLocation{{1, 2}}, []OrderCustomerURLs{OrderCustomerURLsWeb}
	o.ShipTo = &GeoLocation{3, 4}
	base := func() delta.Row {
		// The row as the Delta reader gives it for o.
		var scores []any
		for _, s := range o.Scores {
			if s == nil {
				scores = append(scores, nil)
			} else {
				scores = append(scores, *s)
			}
		}
		return delta.Row{o.OrderID, o.Time, nil, string(o.Status), o.Quantity, nil, nil, nil,
			[]any{"a"}, scores, delta.Row{3.0, 4.0}, []any{delta.Row{1.0, 2.0}}, nil, []any{"web"}, nil}
	}
	var r Order
	if err := orderFromDeltaRow(base(), &r); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		col  int
		v    any
		want string
	}{
		{0, "not-a-uuid", `column order_id: "not-a-uuid" is not a UUID`},
		{0, nil, "column order_id: null, which the record does not allow"},
		{1, int64(5), "column time: got int64, want time.Time"},
		{3, "closed", `column status: "closed" is not one of "open", "in-progress", "DONE"`},
		{4, int32(-1), "column quantity: -1 is below the minimum 0"},
		{4, int32(1001), "column quantity: 1001 is above the maximum 1000"},
		{4, int64(5), "column quantity: got int64, want int32"},
		{6, float32(1), "column price: got float32, want float64"},
		{8, []any{"a", nil}, "column tags: element 1: null, which the record does not allow"},
		{8, "a", "column tags: got string, want []any (an array)"},
		{9, []any{int32(1)}, "column scores: element 0: got int32, want int64"},
		{10, delta.Row{1.0, nil}, "column ship_to: column lon: null, which the record does not allow"},
		{10, delta.Row{1.0}, "column ship_to: GeoLocation: got 1 columns, want 2"},
		{11, []any{delta.Row{1.0, 2.0}, delta.Row{"x", 2.0}}, "column stops: element 1: column lat: got string, want float64"},
		{11, []any{nil}, "column stops: element 0: null, which the record does not allow"},
		{13, []any{"web", "tv"}, `column customer_urls: element 1: "tv" is not one of "web", "app"`},
		{14, "2024-01-01", "column ship_date: got string, want delta.DateValue"},
	} {
		row := base()
		row[tc.col] = tc.v
		err := orderFromDeltaRow(row, &r)
		if err == nil || err.Error() != tc.want {
			t.Errorf("column %d = %#v: error %v, want %q", tc.col, tc.v, err, tc.want)
		}
	}
	if err := orderFromDeltaRow(base()[:14], &r); err == nil || err.Error() != "Order: got 14 columns, want 15" {
		t.Errorf("14 columns: %v", err)
	}
}
