package clickscompletememory

import (
	"testing"
	"time"

	"github.com/streamgen/streamgen/generated_test/internal/aggmodel"
)

// Property: random clicks with times scattered over ±42 minutes around
// the Unix epoch (negative times, times on and one millisecond either
// side of window boundaries, out of order across files), random users,
// pages and signed amounts, through the generated pipeline in complete
// mode: after every batch the memory sink holds exactly the brute-force
// count, sum, min, max, avg, count_distinct and max(time) of every group
// over all the rows read so far. Complete mode drops no row as late,
// whatever the watermark.
func TestPropertyCompleteMatchesBruteForce(t *testing.T) {
	seeds := uint64(8)
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		files := aggmodel.Files(1000+seed, aggmodel.Options{Files: 6, PerFile: 60,
			Base: time.Unix(0, 0), Step: 7 * time.Minute, Wild: true})
		var neg, boundary int
		for _, f := range files {
			for _, c := range f {
				if c.Time.Before(time.Unix(0, 0)) {
					neg++
				}
				if ms := c.Time.UnixMilli() % aggmodel.Size.Milliseconds(); ms == 0 || ms == 1 || ms == -1 || ms == aggmodel.Size.Milliseconds()-1 {
					boundary++
				}
			}
		}
		if neg == 0 || boundary == 0 {
			t.Fatalf("seed %d: %d negative and %d boundary times: the input misses the edge cases", seed, neg, boundary)
		}
		want := aggmodel.Run(files, aggmodel.Complete)
		aggmodel.Check(t, want, run(t, files))
		if t.Failed() {
			t.Fatalf("seed %d failed", seed)
		}
	}
}
