package salesstats

import (
	"bytes"
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
	g := groupKey{region: k.Region, day: k.Day, start: k.WindowStart, end: k.WindowEnd}
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
			if k.WindowStart != want[i][0] || k.WindowEnd != want[i][1] || k.Region != r.Region || k.Day != r.Day || k.Channel != r.Channel {
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

// expect computes the result of one group with plain loops.
func expect(k SalesStatsKey, rows []Sale) SalesStatsResult {
	res := SalesStatsResult{Region: k.Region, Day: k.Day, Channel: k.Channel, WindowStart: k.WindowStart, WindowEnd: k.WindowEnd}
	skus, qtys, amounts, prices := map[string]bool{}, map[int32]bool{}, map[int64]bool{}, map[float64]bool{}
	gifts, tiers, shipped, dues := map[bool]bool{}, map[SaleTier]bool{}, map[time.Time]bool{}, map[delta.DateValue]bool{}
	var qtyAvgSum, priceAvgSum float64
	var priceN int64
	var hasPriceMin, hasShipped, hasDue, hasAmount, hasTier, hasFirstShipped bool
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
			p := *r.Price
			res.Prices++
			res.PriceSum += p
			priceAvgSum += p
			priceN++
			if !hasPriceMin || p < res.PriceMin {
				res.PriceMin = p
			}
			if !hasPriceMin || p > res.PriceMax {
				res.PriceMax = p
			}
			hasPriceMin = true
			prices[p] = true
		}
		if r.Amount != nil {
			res.AmountSum += *r.Amount
			if !hasAmount || *r.Amount < res.AmountMin {
				res.AmountMin = *r.Amount
			}
			hasAmount = true
			amounts[*r.Amount] = true
		}
		if r.Tier != nil {
			if !hasTier || string(*r.Tier) > string(res.TierMax) {
				res.TierMax = *r.Tier
			}
			hasTier = true
			res.LastTier = *r.Tier
			tiers[*r.Tier] = true
		}
		if r.Shipped != nil {
			if !hasShipped || r.Shipped.After(res.ShippedMax) {
				res.ShippedMax = *r.Shipped
			}
			hasShipped = true
			if !hasFirstShipped {
				res.FirstShipped, hasFirstShipped = *r.Shipped, true
			}
			shipped[*r.Shipped] = true
		}
		if r.Due != nil {
			if !hasDue || *r.Due < res.DueMin {
				res.DueMin = *r.Due
			}
			hasDue = true
			res.LastDue = *r.Due
			dues[*r.Due] = true
		}
		if r.Gift != nil {
			res.LastGift = *r.Gift
			gifts[*r.Gift] = true
		}
	}
	res.QtyAvg = qtyAvgSum / float64(len(rows))
	if priceN > 0 {
		res.PriceAvg = priceAvgSum / float64(priceN)
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

// TestStateResultEmpty checks the zero values of aggregates whose values
// were all null, and of the empty state.
func TestStateResultEmpty(t *testing.T) {
	var s SalesStatsState
	r := Sale{Ts: time.Unix(0, 0), Sku: "x", Qty: 2}
	s.Add(&r)
	k := SalesStatsKeysOf(nil, &r)[0]
	want := SalesStatsResult{WindowStart: k.WindowStart, WindowEnd: k.WindowEnd, Rows: 1, QtySum: 2, QtyAvg: 2, SkuMin: "x", FirstSku: "x",
		Skus: 1, Qtys: 1, SkusApprox: 1}
	if diff := cmp.Diff(want, s.Result(&k)); diff != "" {
		t.Errorf("all-null result (-want +got):\n%s", diff)
	}
	var empty SalesStatsState
	if diff := cmp.Diff(SalesStatsResult{WindowStart: k.WindowStart, WindowEnd: k.WindowEnd}, empty.Result(&k)); diff != "" {
		t.Errorf("empty result (-want +got):\n%s", diff)
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
	if res.PriceMin != -2 || !math.IsNaN(res.PriceMax) {
		t.Errorf("min %v max %v; want -2 and NaN", res.PriceMin, res.PriceMax)
	}
	big := int64(math.MaxInt64)
	if want := big * 6; res.AmountSum != want { // wraps, as Spark's non-ANSI sum
		t.Errorf("sum %d, want the wrapped %d", res.AmountSum, want)
	}
}

func enc(s *SalesStatsState) []byte { return s.AppendBinary(nil) }

// withoutOrder clears first and last, the aggregates that depend on the
// order of rows.
func withoutOrder(r SalesStatsResult) SalesStatsResult {
	r.FirstSku, r.FirstShipped, r.LastGift, r.LastDue, r.LastTier = "", time.Time{}, false, 0, ""
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
