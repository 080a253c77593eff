package salesstats

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

func ptr[T any](v T) *T { return &v }

// sales returns n pseudo-random sales over half an hour, in few groups,
// with every nullable field null about a third of the time. Prices are
// multiples of 0.25, so float sums are exact in any order.
func sales(seed uint64, n int) []Sale {
	rng := rand.New(rand.NewPCG(seed, 99))
	base := time.Date(2024, 2, 29, 23, 50, 0, 0, time.UTC)
	regions := []SaleRegion{SaleRegionNorth, SaleRegionSouth}
	tiers := []SaleTier{SaleTierGold, SaleTierSilver, SaleTierBronze}
	maybe := func() bool { return rng.IntN(3) != 0 }
	out := make([]Sale, n)
	for i := range out {
		s := Sale{
			Ts:     base.Add(time.Duration(rng.IntN(30*60)) * time.Second),
			Region: regions[rng.IntN(len(regions))],
			Day:    delta.DateValue(19782 + rng.IntN(2)),
			Sku:    []string{"apple", "pear", "fig", "kiwi", ""}[rng.IntN(5)],
			Qty:    int32(rng.IntN(5)),
		}
		if maybe() {
			s.Channel = ptr([]string{"web", "shop"}[rng.IntN(2)])
		}
		if maybe() {
			s.Amount = ptr(int64(rng.IntN(2000) - 500))
		}
		if maybe() {
			s.Price = ptr(float64(rng.IntN(40)-10) / 4)
		}
		if maybe() {
			s.Gift = ptr(rng.IntN(2) == 0)
		}
		if maybe() {
			s.Tier = ptr(tiers[rng.IntN(len(tiers))])
		}
		if maybe() {
			s.Shipped = ptr(base.Add(time.Duration(rng.IntN(1e6)) * time.Millisecond))
		}
		if maybe() {
			s.Due = ptr(delta.DateValue(19780 + rng.IntN(10)))
		}
		out[i] = s
	}
	return out
}

// groupKey is a comparable form of a key (Channel by value).
type groupKey struct {
	region     SaleRegion
	day        delta.DateValue
	channel    string
	hasChannel bool
	start, end time.Time
}

func gk(k SalesStatsKey) groupKey {
	g := groupKey{region: k.Region, day: k.Day, start: k.WindowStart, end: k.WindowEnd()}
	if k.Channel != nil {
		g.channel, g.hasChannel = *k.Channel, true
	}
	return g
}

type groups struct {
	order  []groupKey
	keys   map[groupKey]SalesStatsKey
	states map[groupKey]*SalesStatsState
	rows   map[groupKey][]Sale
}

// group runs KeysOf and Add over rows: one state per key.
func group(rows []Sale) *groups {
	g := &groups{keys: map[groupKey]SalesStatsKey{}, states: map[groupKey]*SalesStatsState{}, rows: map[groupKey][]Sale{}}
	var ks []SalesStatsKey
	for i := range rows {
		ks = SalesStatsKeysOf(ks[:0], &rows[i])
		for _, k := range ks {
			id := gk(k)
			s := g.states[id]
			if s == nil {
				s = &SalesStatsState{}
				g.states[id] = s
				g.keys[id] = k
				g.order = append(g.order, id)
			}
			s.Add(&rows[i])
			g.rows[id] = append(g.rows[id], rows[i])
		}
	}
	return g
}

// windows computes by hand the 10-minute windows sliding every 5 minutes,
// offset by one minute, that hold ts.
func windows(ts time.Time) [][2]time.Time {
	var out [][2]time.Time
	sec := ts.Unix()
	last := (sec-60)/300*300 + 60 // ts is after 1970, so / floors
	for _, start := range []int64{last - 300, last} {
		if start <= sec && sec < start+600 {
			out = append(out, [2]time.Time{time.Unix(start, 0).UTC(), time.Unix(start+600, 0).UTC()})
		}
	}
	return out
}

func TestKeysOf(t *testing.T) {
	for _, r := range sales(1, 200) {
		got := SalesStatsKeysOf(nil, &r)
		want := windows(r.Ts)
		if len(got) != len(want) || len(got) != 2 {
			t.Fatalf("%v: %d windows, want %d", r.Ts, len(got), len(want))
		}
		for i, k := range got {
			if k.WindowStart != want[i][0] || k.WindowEnd() != want[i][1] || k.Region != r.Region || k.Day != r.Day || k.Channel != r.Channel {
				t.Errorf("%v: key %d = %+v, want window %v", r.Ts, i, k, want[i])
			}
		}
	}
	// Boundaries: with the one-minute offset, 00:06:00 starts a window and
	// ends the one before.
	r := Sale{Ts: time.Date(2024, 1, 1, 0, 6, 0, 0, time.UTC)}
	ks := SalesStatsKeysOf(nil, &r)
	if len(ks) != 2 || ks[0].WindowStart != time.Date(2024, 1, 1, 0, 1, 0, 0, time.UTC) || ks[1].WindowStart != r.Ts {
		t.Errorf("windows of 00:06: %+v", ks)
	}
	// dst is appended to.
	if ks := SalesStatsKeysOf(ks, &r); len(ks) != 4 {
		t.Errorf("KeysOf did not append: %d keys", len(ks))
	}
}

// expect computes the result of one group with plain loops. As in Spark,
// a sum, avg, min, max, first or last over a nullable field is null (nil)
// when no row of the group has a non-null value; the counts are 0 then.
func expect(k SalesStatsKey, rows []Sale) SalesStatsResult {
	res := SalesStatsResult{Region: k.Region, Day: k.Day, Channel: k.Channel, WindowStart: k.WindowStart, WindowEnd: k.WindowEnd()}
	skus, qtys, amounts, prices := map[string]bool{}, map[int32]bool{}, map[int64]bool{}, map[float64]bool{}
	gifts, tiers, shipped, dues := map[bool]bool{}, map[SaleTier]bool{}, map[time.Time]bool{}, map[delta.DateValue]bool{}
	var qtyAvgSum float64
	// The non-null values of each nullable field, in row order.
	var priceVals []float64
	var amountVals []int64
	var tierVals []SaleTier
	var shippedVals []time.Time
	var dueVals []delta.DateValue
	var giftVals []bool
	for i, r := range rows {
		res.Rows++
		res.QtySum += int64(r.Qty)
		qtyAvgSum += float64(r.Qty)
		if i == 0 || r.Sku < res.SkuMin {
			res.SkuMin = r.Sku
		}
		if i == 0 {
			res.FirstSku = r.Sku
		}
		skus[r.Sku], qtys[r.Qty] = true, true
		if r.Price != nil {
			priceVals = append(priceVals, *r.Price)
			prices[*r.Price] = true
		}
		if r.Amount != nil {
			amountVals = append(amountVals, *r.Amount)
			amounts[*r.Amount] = true
		}
		if r.Tier != nil {
			tierVals = append(tierVals, *r.Tier)
			tiers[*r.Tier] = true
		}
		if r.Shipped != nil {
			shippedVals = append(shippedVals, *r.Shipped)
			shipped[*r.Shipped] = true
		}
		if r.Due != nil {
			dueVals = append(dueVals, *r.Due)
			dues[*r.Due] = true
		}
		if r.Gift != nil {
			giftVals = append(giftVals, *r.Gift)
			gifts[*r.Gift] = true
		}
	}
	res.QtyAvg = qtyAvgSum / float64(len(rows))
	res.Prices = int64(len(priceVals))
	if len(priceVals) > 0 {
		var sum float64
		for _, p := range priceVals {
			sum += p
		}
		avg := sum / float64(len(priceVals))
		res.PriceSum, res.PriceAvg = &sum, &avg
		res.PriceMin, res.PriceMax = ptr(slices.Min(priceVals)), ptr(slices.Max(priceVals))
	}
	if len(amountVals) > 0 {
		var sum int64
		for _, a := range amountVals {
			sum += a
		}
		res.AmountSum, res.AmountMin = &sum, ptr(slices.Min(amountVals))
	}
	if len(tierVals) > 0 {
		// Enums order by their string values, as in Spark.
		res.TierMax = ptr(slices.MaxFunc(tierVals, func(a, b SaleTier) int { return strings.Compare(string(a), string(b)) }))
		res.LastTier = ptr(tierVals[len(tierVals)-1])
	}
	if len(shippedVals) > 0 {
		res.ShippedMax = ptr(slices.MaxFunc(shippedVals, time.Time.Compare))
		res.FirstShipped = ptr(shippedVals[0])
	}
	if len(dueVals) > 0 {
		res.DueMin = ptr(slices.Min(dueVals))
		res.LastDue = ptr(dueVals[len(dueVals)-1])
	}
	if len(giftVals) > 0 {
		res.LastGift = ptr(giftVals[len(giftVals)-1])
	}
	res.Skus, res.Qtys, res.Amounts, res.DistinctPrices = int64(len(skus)), int64(len(qtys)), int64(len(amounts)), int64(len(prices))
	res.Gifts, res.Tiers, res.ShippedTimes, res.DueDays = int64(len(gifts)), int64(len(tiers)), int64(len(shipped)), int64(len(dues))
	// Few distinct values: the sparse sketches are exact.
	res.SkusApprox, res.AmountsApprox, res.PricesApprox = res.Skus, res.Amounts, res.DistinctPrices
	res.GiftsApprox, res.TiersApprox, res.ShippedApprox, res.DueApprox = res.Gifts, res.Tiers, res.ShippedTimes, res.DueDays
	return res
}

func TestStateResult(t *testing.T) {
	g := group(sales(2, 600))
	if len(g.order) < 20 {
		t.Fatalf("only %d groups", len(g.order))
	}
	for _, id := range g.order {
		k := g.keys[id]
		if diff := cmp.Diff(expect(k, g.rows[id]), g.states[id].Result(&k)); diff != "" {
			t.Fatalf("group %+v (-want +got):\n%s", id, diff)
		}
	}
}

// nullableAggs are the result columns that can be null: sum, avg, min,
// max, first and last over the nullable fields.
var nullableAggs = []string{"amount_sum", "price_sum", "price_avg", "price_min", "price_max", "tier_max", "shipped_max",
	"due_min", "amount_min", "first_shipped", "last_gift", "last_due", "last_tier"}

// TestStateResultAllNull checks every aggregate function over a group whose
// nullable fields are all null, as Spark computes them: count() counts the
// rows, count(f), count_distinct and approx_count_distinct are 0, and sum,
// avg, min, max, first and last are null; the aggregates over the required
// fields (qty, sku) have values. Nulls survive Merge and the binary
// encoding, and a value merged in later replaces them.
func TestStateResultAllNull(t *testing.T) {
	rows := []Sale{
		{Ts: time.Unix(0, 0), Sku: "x", Qty: 2},
		{Ts: time.Unix(1, 0), Sku: "b", Qty: 3},
		{Ts: time.Unix(2, 0), Sku: "x", Qty: 2},
	}
	k := SalesStatsKeysOf(nil, &rows[0])[0]
	want := SalesStatsResult{WindowStart: k.WindowStart, WindowEnd: k.WindowEnd(),
		Rows: 3, QtySum: 7, QtyAvg: 7.0 / 3, SkuMin: "b", FirstSku: "x", Skus: 2, Qtys: 2, SkusApprox: 2}
	var s SalesStatsState
	for i := range rows {
		s.Add(&rows[i])
	}
	check := func(what string, got SalesStatsResult) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	check("all-null group", s.Result(&k))
	check("all-null group by expect", expect(k, rows))

	// Merging all-null states (and the empty state) keeps the nulls.
	var a, b, m SalesStatsState
	a.Add(&rows[0])
	b.Add(&rows[1])
	b.Add(&rows[2])
	m.Merge(&a)
	m.Merge(&SalesStatsState{})
	m.Merge(&b)
	check("merged all-null states", m.Result(&k))

	var dec SalesStatsState
	if err := dec.UnmarshalBinary(s.AppendBinary(nil)); err != nil {
		t.Fatal(err)
	}
	check("decoded all-null state", dec.Result(&k))

	// The JSON of the result has explicit nulls.
	js, err := json.Marshal(s.Result(&k))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(js, &obj); err != nil {
		t.Fatal(err)
	}
	for _, col := range nullableAggs {
		if v, ok := obj[col]; !ok || v != nil {
			t.Errorf("JSON %s = %v (present %v), want null", col, v, ok)
		}
	}
	for _, col := range []string{"rows", "prices", "skus", "amounts", "distinct_prices", "gifts", "tiers", "shipped_times", "due_days",
		"amounts_approx", "prices_approx", "gifts_approx", "tiers_approx", "shipped_approx", "due_approx"} {
		if v := obj[col]; v == nil {
			t.Errorf("JSON %s is null, want a count", col)
		}
	}

	// A non-null value merged into the all-null state becomes the result
	// of every null aggregate.
	ship := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	full := Sale{Ts: time.Unix(3, 0), Sku: "x", Qty: 1, Amount: ptr(int64(-5)), Price: ptr(1.5), Gift: ptr(false),
		Tier: ptr(SaleTierSilver), Shipped: &ship, Due: ptr(delta.DateValue(19800))}
	var o SalesStatsState
	o.Add(&full)
	m.Merge(&o)
	got := m.Result(&k)
	want = expect(k, append(slices.Clone(rows), full))
	check("all-null then a value", got)
	if got.PriceMin == nil || *got.PriceMin != 1.5 || got.LastGift == nil || *got.LastGift || got.AmountSum == nil || *got.AmountSum != -5 {
		t.Errorf("all-null then a value: %+v", got)
	}

	// The empty state (no rows) has every nullable aggregate null too.
	var empty SalesStatsState
	wantEmpty := SalesStatsResult{WindowStart: k.WindowStart, WindowEnd: k.WindowEnd()}
	if diff := cmp.Diff(wantEmpty, empty.Result(&k)); diff != "" {
		t.Errorf("empty result (-want +got):\n%s", diff)
	}
}

// TestResultSchemaNullable checks that exactly the nullable aggregates and
// the nullable key are nullable columns of the Delta schema.
func TestResultSchemaNullable(t *testing.T) {
	want := map[string]bool{"channel": true}
	for _, c := range nullableAggs {
		want[c] = true
	}
	for _, f := range SalesStatsResultDeltaSchema().Fields {
		if f.Nullable != want[f.Name] {
			t.Errorf("column %s: nullable %v, want %v", f.Name, f.Nullable, want[f.Name])
		}
	}
}

// TestSparkFloatSemantics: -0.0 equals 0.0 and NaNs are one value in
// distinct counts; NaN is the largest value for min and max; int sums wrap.
func TestSparkFloatSemantics(t *testing.T) {
	var s SalesStatsState
	for _, p := range []float64{math.Copysign(0, -1), 0, math.NaN(), 1, math.NaN(), -2} {
		s.Add(&Sale{Price: ptr(p), Amount: ptr(int64(math.MaxInt64))})
	}
	var k SalesStatsKey
	res := s.Result(&k)
	if res.DistinctPrices != 4 || res.PricesApprox != 4 {
		t.Errorf("distinct prices %d, approx %d; want 4 (-0 = 0, one NaN)", res.DistinctPrices, res.PricesApprox)
	}
	if res.PriceMin == nil || res.PriceMax == nil || *res.PriceMin != -2 || !math.IsNaN(*res.PriceMax) {
		t.Errorf("min %v max %v; want -2 and NaN", res.PriceMin, res.PriceMax)
	}
	big := int64(math.MaxInt64)
	if want := big * 6; res.AmountSum == nil || *res.AmountSum != want { // wraps, as Spark's non-ANSI sum
		t.Errorf("sum %v, want the wrapped %d", res.AmountSum, want)
	}
}

func enc(s *SalesStatsState) []byte { return s.AppendBinary(nil) }

// withoutOrder clears first and last, the aggregates that depend on the
// order of rows.
func withoutOrder(r SalesStatsResult) SalesStatsResult {
	r.FirstSku, r.FirstShipped, r.LastGift, r.LastDue, r.LastTier = "", nil, nil, nil, nil
	return r
}

// TestStateMerge checks Merge against the single-pass state: every split
// of a group's rows into a prefix and the rest (the prefix's state is the
// receiver), and, for the smaller groups, every split into two subsets in
// both orders (first and last left out, as they depend on order).
func TestStateMerge(t *testing.T) {
	g := group(sales(3, 300))
	subsets := 0
	for _, id := range g.order {
		k, rows := g.keys[id], g.rows[id]
		want := enc(g.states[id])
		wantRes := g.states[id].Result(&k)
		for i := 0; i <= len(rows); i++ {
			var a, b SalesStatsState
			for j := range rows[:i] {
				a.Add(&rows[j])
			}
			for j := i; j < len(rows); j++ {
				b.Add(&rows[j])
			}
			bBefore := enc(&b)
			a.Merge(&b)
			if got := enc(&a); !bytes.Equal(got, want) {
				t.Fatalf("group %+v split at %d/%d: merged state differs from single pass\n%s", id, i, len(rows), cmp.Diff(wantRes, a.Result(&k)))
			}
			if !bytes.Equal(enc(&b), bBefore) {
				t.Fatalf("Merge changed its argument")
			}
		}
		if len(rows) > 10 {
			continue
		}
		for mask := 0; mask < 1<<len(rows); mask++ {
			var a, b SalesStatsState
			for j := range rows {
				if mask&(1<<j) != 0 {
					a.Add(&rows[j])
				} else {
					b.Add(&rows[j])
				}
			}
			var ab, ba SalesStatsState
			ab.Merge(&a)
			ab.Merge(&b)
			ba.Merge(&b)
			ba.Merge(&a)
			for _, m := range []*SalesStatsState{&ab, &ba} {
				if diff := cmp.Diff(withoutOrder(wantRes), withoutOrder(m.Result(&k))); diff != "" {
					t.Fatalf("group %+v subset split %b (-single +merged):\n%s", id, mask, diff)
				}
			}
			subsets++
		}
	}
	if subsets < 100 {
		t.Errorf("only %d subset splits checked", subsets)
	}
}

func TestStateBinaryRoundTrip(t *testing.T) {
	g := group(sales(4, 300))
	seen := map[string]groupKey{}
	for _, id := range g.order {
		k := g.keys[id]
		kb := k.AppendBinary(nil)
		var k2 SalesStatsKey
		if err := k2.UnmarshalBinary(kb); err != nil || gk(k2) != id {
			t.Fatalf("key %+v: round trip %+v, %v", id, k2, err)
		}
		if prev, dup := seen[string(kb)]; dup {
			t.Fatalf("keys %+v and %+v encode equally", prev, id)
		}
		seen[string(kb)] = id
		// A key with an equal channel in another string encodes equally.
		if k.Channel != nil {
			k3 := k
			k3.Channel = ptr(strings.Clone(*k.Channel))
			if !bytes.Equal(k3.AppendBinary(nil), kb) {
				t.Fatalf("equal keys encode differently")
			}
		}
		sb := enc(g.states[id])
		var s2 SalesStatsState
		if err := s2.UnmarshalBinary(sb); err != nil {
			t.Fatalf("state of %+v: %v", id, err)
		}
		if !bytes.Equal(enc(&s2), sb) {
			t.Fatalf("state of %+v: re-encoding differs", id)
		}
		if diff := cmp.Diff(g.states[id].Result(&k), s2.Result(&k)); diff != "" {
			t.Fatalf("state of %+v: decoded result (-want +got):\n%s", id, diff)
		}
		if g.states[id].SizeBytes() <= 0 {
			t.Fatal("SizeBytes")
		}
	}
}

// full returns a state in which every aggregate has a value, its key,
// and their encodings.
func full() (SalesStatsKey, *SalesStatsState, []byte, []byte) {
	var s SalesStatsState
	rows := sales(5, 40)
	k := SalesStatsKeysOf(nil, &rows[0])[0]
	k.Channel = ptr("web")
	for i := range rows {
		s.Add(&rows[i])
	}
	return k, &s, k.AppendBinary(nil), s.AppendBinary(nil)
}

func TestStateCorrupt(t *testing.T) {
	k, s, kb, sb := full()
	for n := range len(sb) {
		s2 := *s
		err := s2.UnmarshalBinary(sb[:n])
		var be *streamimpl.BinaryError
		if !errors.As(err, &be) {
			t.Fatalf("state truncated to %d/%d bytes: %v", n, len(sb), err)
		}
		if !bytes.Equal(enc(&s2), sb) {
			t.Fatal("a failed decode changed the state")
		}
	}
	for n := range len(kb) {
		var k2 SalesStatsKey
		if err := k2.UnmarshalBinary(kb[:n]); err == nil {
			t.Fatalf("key truncated to %d bytes decoded", n)
		}
	}
	var s2 SalesStatsState
	if err := s2.UnmarshalBinary(append(slices.Clone(sb), 1)); err == nil {
		t.Error("trailing byte accepted")
	}
	bad := slices.Clone(sb)
	bad[0] = 9
	if err := s2.UnmarshalBinary(bad); err == nil || !strings.Contains(err.Error(), "decode SalesStatsState: at byte 0: unknown encoding version 9") {
		t.Errorf("unknown version: %v", err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		c := slices.Clone(sb)
		for range 1 + rng.IntN(3) {
			c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
		}
		if s2.UnmarshalBinary(c) == nil {
			var s3 SalesStatsState
			if err := s3.UnmarshalBinary(enc(&s2)); err != nil {
				t.Fatalf("a decoded state does not re-decode: %v", err)
			}
		}
		c = slices.Clone(kb)
		c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
		var k2 SalesStatsKey
		_ = k2.UnmarshalBinary(c)
	}
	_ = k
}

func FuzzStateDecode(f *testing.F) {
	_, _, kb, sb := full()
	f.Add(sb, kb)
	f.Add([]byte{SalesStatsStateVersion}, []byte{})
	f.Fuzz(func(t *testing.T, sb, kb []byte) {
		var s SalesStatsState
		if s.UnmarshalBinary(sb) == nil {
			b := enc(&s)
			var s2 SalesStatsState
			if err := s2.UnmarshalBinary(b); err != nil {
				t.Fatalf("state re-decoding: %v", err)
			}
			if !bytes.Equal(enc(&s2), b) {
				t.Fatal("unstable state encoding")
			}
			_ = s2.SizeBytes()
			var k SalesStatsKey
			_ = s2.Result(&k)
		}
		var k SalesStatsKey
		if k.UnmarshalBinary(kb) == nil {
			var k2 SalesStatsKey
			if err := k2.UnmarshalBinary(k.AppendBinary(nil)); err != nil || gk(k2) != gk(k) {
				t.Fatalf("key re-decoding: %+v, %v", k2, err)
			}
		}
	})
}
