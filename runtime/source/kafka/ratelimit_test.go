package kafka

import (
	"math/rand/v2"
	"testing"
)

// TestRateLimitAgainstExactArithmetic compares rateLimit with Spark's rule
// computed independently in integers: each partition with a backlog gets
// floor(limit*backlog/total) offsets, or 1 when that share is below 1.
func TestRateLimitAgainstExactArithmetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		from, until := Offsets{}, Offsets{}
		fromNew := map[TopicPartition]int64{}
		n := 1 + rng.IntN(6)
		for p := range n {
			tp := TopicPartition{"t", int32(p)}
			b := rng.Int64N(1000)
			if rng.IntN(4) == 0 {
				fromNew[tp] = b // a new partition: sized from its earliest offset
			} else {
				from.Set(tp, b)
			}
			until.Set(tp, b+rng.Int64N(500))
		}
		limit := 1 + rng.Int64N(800)
		got := rateLimit(limit, from, until, fromNew)

		var total int64
		for _, tp := range until.Partitions() {
			e, _ := until.Get(tp)
			b, ok := from.Get(tp)
			if !ok {
				b = fromNew[tp]
			}
			total += e - b
		}
		for _, tp := range until.Partitions() {
			e, _ := until.Get(tp)
			b, ok := from.Get(tp)
			if !ok {
				b = fromNew[tp]
			}
			want := e
			if size := e - b; total > 0 && size > 0 {
				share := limit * size / total
				if limit*size < total {
					share = 1
				}
				want = min(e, b+share)
			}
			if g, _ := got.Get(tp); g != want {
				t.Fatalf("case %d: limit %d, from %v (new %v), until %v: %s ends at %d, want %d", i, limit, from, fromNew, until, tp, g, want)
			}
		}
	}
}
