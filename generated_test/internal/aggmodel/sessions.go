package aggmodel

import (
	"slices"
	"time"
)

// Gap is the session gap of the agg_sessions_* specs.
const Gap = 3 * time.Minute

// RunSessions models an available-now run over files, one file per batch,
// of the agg_sessions_* specs: the clicks' aggregates per user and session
// window (Spark's session_window(time, Gap)), with the watermark of Run,
// in mode (append or complete: Spark refuses update mode with session
// windows).
//
// A user's sessions are recomputed from every click accepted so far,
// sorted by time: a click starts a new session when it is at or after the
// current session's end (touching sessions stay apart), else extends the
// end to its time plus the gap. In append mode a click at or before its
// batch's watermark is late (dropped and counted), and a session is output
// once, in the first batch whose watermark is at or after its end, then
// leaves the state; complete mode outputs every session every batch and
// drops nothing.
func RunSessions(files [][]Click, mode Mode) []Batch {
	var (
		out     []Batch
		wmMs    int64
		lastWm  int64 = -1
		rows          = map[string][]Click{} // accepted clicks per user
		emitted       = map[string]bool{}
		sink    []string
	)
	run := func(id int64, batch []Click) {
		b := Batch{ID: id, Watermark: time.UnixMilli(wmMs).UTC()}
		wm := b.Watermark
		var maxT time.Time
		for _, c := range batch {
			if maxT.IsZero() || c.Time.After(maxT) {
				maxT = c.Time
			}
			if mode != Complete && !c.Time.After(wm) {
				b.Late++
				continue
			}
			rows[c.User] = append(rows[c.User], c)
		}
		for user, cs := range rows {
			sorted := slices.Clone(cs)
			slices.SortStableFunc(sorted, func(a, b Click) int { return a.Time.Compare(b.Time) })
			for i := 0; i < len(sorted); {
				start, end := sorted[i].Time, sorted[i].Time.Add(Gap)
				j := i
				for ; j < len(sorted) && sorted[j].Time.Before(end); j++ {
					if e := sorted[j].Time.Add(Gap); e.After(end) {
						end = e
					}
				}
				r := result(groupKey{user, start.UTC()}, sorted[i:j])
				r.WindowEnd = end.UTC()
				i = j
				s := r.String()
				switch {
				case mode == Complete:
					b.Output = append(b.Output, s)
					b.StateRows++
				case !end.After(wm):
					if !emitted[s] {
						emitted[s] = true
						b.Output = append(b.Output, s)
					}
				default:
					b.StateRows++
				}
			}
		}
		slices.Sort(b.Output)
		if mode == Complete {
			b.Sink = b.Output
		} else {
			sink = append(sink, b.Output...)
			b.Sink = slices.Sorted(slices.Values(sink))
		}
		lastWm = wmMs
		if !maxT.IsZero() {
			wmMs = max(wmMs, maxT.UnixMilli()-Delay.Milliseconds())
		}
		out = append(out, b)
	}
	for i, f := range files {
		run(int64(i), f)
	}
	if wmMs > lastWm {
		run(int64(len(files)), nil) // the no-data batch
	}
	return out
}
