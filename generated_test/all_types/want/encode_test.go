package alltypes

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
)

// sampleLines are orders as producers write them: any member order,
// whitespace, escapes, offsets and number spellings the decoder accepts.
var sampleLines = []string{
	`{"order_id":"5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b","time":1714564800123,"updated":"2024-05-01T12:00:00.5Z","status":"in-progress","quantity":3,"total_cents":1299,"price":12.99,"gift":true,"tags":["a","b"],"scores":[1,null,3],"ship_to":{"lat":52.5,"lon":13.4},"stops":[{"lat":1,"lon":2}],"seen_at":["2024-05-01T12:00:00Z"],"customer_urls":["web","app"],"ship_date":"2024-02-29"}`,
	`{"order_id":"00000000-0000-0000-0000-000000000000","time":0,"updated":null,"status":"DONE","quantity":0,"price":null,"scores":[]}`,
	` { "scores" : [ null ] , "price" : 1.0E2, "quantity":1000, "status":"open", "time":-62167219200000,
	   "order_id":"ABCDEF01-2345-6789-ABCD-EF0123456789", "updated":"2024-05-01T12:00:00.123456789+05:30",
	   "tags":["\u00e9\/\"\\\n\u2028<&>", ""], "stops":[], "extra":{"x":[1,2]},
	   "seen_at":["9999-12-31T23:59:59.999999999Z","0000-01-01T00:00:00-00:00"], "ship_date":"0000-01-01", "total_cents":-9223372036854775808 }`,
	`{"order_id":"5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b","time":1,"status":"open","quantity":1,"price":-0,"scores":[],"price":1e-7,"customer_urls":[]}`,
}

// sampleEncodings are the encodings of the decoded sampleLines: schema
// order, no whitespace, absent and null optional members left out, times
// in UTC with the fraction digits needed, floats as encoding/json writes
// them.
var sampleEncodings = []string{
	`{"order_id":"5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b","time":1714564800123,"updated":"2024-05-01T12:00:00.5Z","status":"in-progress","quantity":3,"total_cents":1299,"price":12.99,"gift":true,"tags":["a","b"],"scores":[1,null,3],"ship_to":{"lat":52.5,"lon":13.4},"stops":[{"lat":1,"lon":2}],"seen_at":["2024-05-01T12:00:00Z"],"customer_urls":["web","app"],"ship_date":"2024-02-29"}`,
	`{"order_id":"00000000-0000-0000-0000-000000000000","time":0,"status":"DONE","quantity":0,"price":null,"scores":[]}`,
	`{"order_id":"ABCDEF01-2345-6789-ABCD-EF0123456789","time":-62167219200000,"updated":"2024-05-01T06:30:00.123456789Z","status":"open","quantity":1000,"total_cents":-9223372036854775808,"price":100,"tags":["é/\"\\\n\u2028<&>",""],"scores":[null],"stops":[],"seen_at":["9999-12-31T23:59:59.999999999Z","0000-01-01T00:00:00Z"],"ship_date":"0000-01-01"}`,
	`{"order_id":"5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b","time":1,"status":"open","quantity":1,"price":1e-7,"scores":[],"customer_urls":[]}`,
}

// baseOrder returns a valid order with only the required members set.
func baseOrder() Order {
	return Order{OrderID: "5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b", Status: OrderStatusOpen, Scores: []*int64{}}
}

func decodeOrderLine(t testing.TB, data []byte) Order {
	t.Helper()
	var o Order
	if err := NewOrderDecoder().Decode(data, &o); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return o
}

func TestEncodeSampleLines(t *testing.T) {
	for i, line := range sampleLines {
		o := decodeOrderLine(t, []byte(line))
		got := o.AppendJSON(nil)
		if string(got) != sampleEncodings[i] {
			t.Errorf("line %d:\ngot  %s\nwant %s", i+1, got, sampleEncodings[i])
		}
		if diff := cmp.Diff(o, decodeOrderLine(t, got)); diff != "" {
			t.Errorf("line %d: decode(encode(x)) != x (-x +round trip):\n%s", i+1, diff)
		}
	}
}

// randOrders returns a seeded generator of orders the decoder can
// produce: valid enum values, quantities within 0–1000, times in years
// 0000–9999 (whole milliseconds for the epoch-millis "time"), valid UTF-8
// strings, finite floats, and for every optional member and list: nil,
// empty or filled.
func randOrders(seed uint64) func() Order {
	rng := rand.New(rand.NewPCG(seed, 7))
	const minSec, maxSec = -62167219200, 253402300799
	pieces := []string{"a", "Z", " ", "\"", "\\", "/", "\x00", "\x1f", "\n", "\t", "\x7f", "<", ">", "&", "é", "\u2028", "\u2029", "😀", "\ufffd", "\u00a0"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	instant := func() time.Time {
		return time.Unix(minSec+rng.Int64N(maxSec-minSec+1), rng.Int64N(1e9)).UTC()
	}
	float := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return float64(rng.IntN(2001) - 1000)
		case 1:
			return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(50)-25))
		case 2:
			return []float64{0, math.Copysign(0, -1), 1e21, 1e-6, 1e-7, math.MaxFloat64, math.SmallestNonzeroFloat64}[rng.IntN(7)]
		}
		for {
			if f := math.Float64frombits(rng.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	}
	// list returns nil, an empty list or n elements made by elem.
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
		o.Quantity = rng.Int32N(1001)
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
		// Scores is required and not nullable: never nil after decoding.
		o.Scores = []*int64{}
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

func TestEncodeRoundTripRandom(t *testing.T) {
	next := randOrders(1)
	var buf []byte
	for i := range 20000 {
		o := next()
		buf = o.AppendJSON(buf[:0])
		if !json.Valid(buf) {
			t.Fatalf("order %d: invalid JSON %s", i, buf)
		}
		var back Order
		if err := NewOrderDecoder().Decode(buf, &back); err != nil {
			t.Fatalf("order %d: %s does not decode: %v", i, buf, err)
		}
		if diff := cmp.Diff(o, back); diff != "" {
			t.Fatalf("order %d: %s (-sent +decoded):\n%s", i, buf, diff)
		}
	}
}

// orderMirror is Order with the types encoding/json writes as the
// generated encoder writes Order (the documented mapping): the
// epoch-millis "time" as int64, the date as its "YYYY-MM-DD" string, and
// optional lists as pointers to slices (omitempty would also leave out an
// empty list, which the encoder writes as [] because the decoder tells []
// from absent). Every other field has Order's type and json tag.
type orderMirror struct {
	OrderID      string               `json:"order_id"`
	Time         int64                `json:"time"`
	Updated      *time.Time           `json:"updated,omitempty"`
	Status       OrderStatus          `json:"status"`
	Quantity     int32                `json:"quantity"`
	TotalCents   *int64               `json:"total_cents,omitempty"`
	Price        *float64             `json:"price"`
	Gift         *bool                `json:"gift,omitempty"`
	Tags         *[]string            `json:"tags,omitempty"`
	Scores       []*int64             `json:"scores"`
	ShipTo       *GeoLocation         `json:"ship_to,omitempty"`
	Stops        *[]GeoLocation       `json:"stops,omitempty"`
	SeenAt       *[]time.Time         `json:"seen_at,omitempty"`
	CustomerURLs *[]OrderCustomerURLs `json:"customer_urls,omitempty"`
	ShipDate     *string              `json:"ship_date,omitempty"`
}

func mirror(o *Order) orderMirror {
	m := orderMirror{
		OrderID: o.OrderID, Time: o.Time.UnixMilli(), Updated: o.Updated, Status: o.Status, Quantity: o.Quantity,
		TotalCents: o.TotalCents, Price: o.Price, Gift: o.Gift, Scores: o.Scores, ShipTo: o.ShipTo,
	}
	if o.Tags != nil {
		m.Tags = &o.Tags
	}
	if o.Stops != nil {
		m.Stops = &o.Stops
	}
	if o.SeenAt != nil {
		m.SeenAt = &o.SeenAt
	}
	if o.CustomerURLs != nil {
		m.CustomerURLs = &o.CustomerURLs
	}
	if o.ShipDate != nil {
		m.ShipDate = new(o.ShipDate.String())
	}
	return m
}

// stdJSON returns v as encoding/json writes it without HTML escaping
// (json.Encoder with SetEscapeHTML(false), the trailing newline cut).
func stdJSON(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	next := randOrders(2)
	for i := range 5000 {
		o := next()
		if got, want := o.AppendJSON(nil), stdJSON(t, mirror(&o)); !bytes.Equal(got, want) {
			t.Fatalf("order %d:\ngot  %s\nwant %s", i, got, want)
		}
		// GeoLocation needs no mapping: encoding/json of the struct itself.
		if o.ShipTo != nil {
			if got, want := o.ShipTo.AppendJSON(nil), stdJSON(t, o.ShipTo); !bytes.Equal(got, want) {
				t.Fatalf("order %d: ship_to:\ngot  %s\nwant %s", i, got, want)
			}
		}
	}
}

func TestEncodeStrings(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{`"`, `"\""`},
		{`\`, `"\\"`},
		{"/", `"/"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"\x7f", "\"\x7f\""},
		{"<a href=\"x\">&amp;</a>", `"<a href=\"x\">&amp;</a>"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"é😀\ufffd", "\"é😀\ufffd\""},
		{"a\xffb", `"a\ufffdb"`},
		{"\xc3", `"\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // an encoded surrogate is three invalid bytes
		{"\xf0\x9f\x98", `"\ufffd\ufffd\ufffd"`}, // a truncated 4-byte sequence
	} {
		o := baseOrder()
		o.Tags = []string{c.in}
		got := string(o.AppendJSON(nil))
		want := `"tags":[` + c.want + `]`
		if !strings.Contains(got, want) {
			t.Errorf("%q: got %s, want it to contain %s", c.in, got, want)
			continue
		}
		if std := string(stdJSON(t, c.in)); std != c.want {
			t.Errorf("%q: encoding/json writes %s, the encoder %s", c.in, std, c.want)
		}
		// It decodes as the string with each byte of invalid UTF-8
		// replaced by U+FFFD.
		var wantBack []rune
		for _, r := range c.in {
			wantBack = append(wantBack, r)
		}
		if back := decodeOrderLine(t, []byte(got)); back.Tags[0] != string(wantBack) || !utf8.ValidString(back.Tags[0]) {
			t.Errorf("%q: decodes as %q, want %q", c.in, back.Tags[0], string(wantBack))
		}
	}
}

// TestEncodeNonFinite: JSON has no NaN or infinities. The encoder writes
// them as null: the nullable "price" then decodes as nil, the required
// "lat" of a GeoLocation is rejected.
func TestEncodeNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		o := baseOrder()
		o.Price, o.ShipTo = &f, &GeoLocation{Lat: f}
		got := string(o.AppendJSON(nil))
		if !strings.Contains(got, `"price":null`) || !strings.Contains(got, `"ship_to":{"lat":null,"lon":0}`) {
			t.Errorf("%v: %s", f, got)
		}
		var back Order
		if err := NewOrderDecoder().Decode([]byte(got), &back); err == nil {
			t.Errorf("%v: %s decodes", f, got)
		}
		o.ShipTo = nil
		if back := decodeOrderLine(t, o.AppendJSON(nil)); back.Price != nil {
			t.Errorf("%v: price decodes as %v", f, *back.Price)
		}
	}
}

// TestEncodeTimes: RFC 3339 members are written in UTC with up to nine
// fraction digits; the epoch-millis "time" is rounded down to the
// millisecond (also before 1970).
func TestEncodeTimes(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	o := baseOrder()
	o.Time = time.Unix(-1, 999999999) // 1969-12-31T23:59:59.999999999Z
	o.Updated = new(time.Date(2024, 5, 1, 14, 0, 0, 1, paris))
	o.SeenAt = []time.Time{time.Date(2024, 5, 1, 12, 0, 0, 100000000, time.UTC), time.Unix(0, 0)}
	got := string(o.AppendJSON(nil))
	for _, want := range []string{`"time":-1,`, `"updated":"2024-05-01T12:00:00.000000001Z"`, `"seen_at":["2024-05-01T12:00:00.1Z","1970-01-01T00:00:00Z"]`} {
		if !strings.Contains(got, want) {
			t.Errorf("got %s, want it to contain %s", got, want)
		}
	}
}

func TestEncodeAllocs(t *testing.T) {
	o := decodeOrderLine(t, []byte(sampleLines[0]))
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(1000, func() { buf = o.AppendJSON(buf[:0]) }); n != 0 {
		t.Errorf("AppendJSON: %v allocations per record, want 0", n)
	}
}

// FuzzEncodeRoundTrip decodes arbitrary input; when it decodes, encoding
// the order and decoding that gives the same order, and encoding that
// gives the same bytes.
func FuzzEncodeRoundTrip(f *testing.F) {
	for _, l := range sampleLines {
		f.Add([]byte(l))
	}
	next := randOrders(3)
	for range 20 {
		o := next()
		f.Add(o.AppendJSON(nil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var o, back Order
		if NewOrderDecoder().Decode(data, &o) != nil {
			return
		}
		enc := o.AppendJSON(nil)
		if err := NewOrderDecoder().Decode(enc, &back); err != nil {
			t.Fatalf("input %q: encoding %s does not decode: %v", data, enc, err)
		}
		if diff := cmp.Diff(o, back); diff != "" {
			t.Fatalf("input %q: encoding %s (-decoded +round trip):\n%s", data, enc, diff)
		}
		if again := back.AppendJSON(nil); !bytes.Equal(again, enc) {
			t.Fatalf("input %q: encodings differ:\n%s\n%s", data, enc, again)
		}
	})
}

// BenchmarkAppendJSON encodes a batch of random orders into one reused
// buffer; compare BenchmarkEncodingJSON.
func BenchmarkAppendJSON(b *testing.B) {
	orders := benchOrders()
	buf := make([]byte, 0, 4096)
	var n int
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = orders[i%len(orders)].AppendJSON(buf[:0])
		n += len(buf)
	}
	b.ReportMetric(float64(n)/float64(b.N), "bytes/record")
}

// BenchmarkEncodingJSON encodes the same orders with json.Marshal, for
// reference (its output differs in the epoch time and date members).
func BenchmarkEncodingJSON(b *testing.B) {
	orders := benchOrders()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := json.Marshal(&orders[i%len(orders)]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOrders() []Order {
	next := randOrders(4)
	orders := make([]Order, 256)
	for i := range orders {
		orders[i] = next()
	}
	return orders
}
