package trigger_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/trigger"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

// at returns 2026-01-01 10:MM:SS.mmm UTC, a time whose second is a
// multiple of 10s since the Unix epoch when SS is.
func at(min, sec int, ms ...int) time.Time {
	t := time.Date(2026, 1, 1, 10, min, sec, 0, time.UTC)
	if len(ms) > 0 {
		t = t.Add(time.Duration(ms[0]) * time.Millisecond)
	}
	return t
}

func TestNextStart(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+30*60)
	tests := []struct {
		name      string
		trigger   trigger.Trigger
		now, last time.Time
		want      time.Time
	}{
		{"first batch starts now, unaligned", trigger.ProcessingTime(10 * time.Second), at(0, 3), time.Time{}, at(0, 3)},
		{"next multiple after an aligned start", trigger.ProcessingTime(10 * time.Second), at(0, 2), at(0, 0), at(0, 10)},
		{"realigns after an unaligned start", trigger.ProcessingTime(10 * time.Second), at(0, 5), at(0, 3), at(0, 10)},
		{"a start just before a boundary", trigger.ProcessingTime(10 * time.Second), at(0, 9, 999), at(0, 9, 999), at(0, 10)},
		{"a start on a boundary waits a full interval", trigger.ProcessingTime(10 * time.Second), at(0, 10, 1), at(0, 10), at(0, 20)},
		{"batch ended exactly at the boundary", trigger.ProcessingTime(10 * time.Second), at(0, 10), at(0, 0), at(0, 10)},
		{"overrun starts at once", trigger.ProcessingTime(10 * time.Second), at(0, 13), at(0, 0), at(0, 13)},
		{"long overrun skips missed intervals", trigger.ProcessingTime(10 * time.Second), at(0, 47, 250), at(0, 0), at(0, 47, 250)},
		{"after an overrun, aligned again", trigger.ProcessingTime(10 * time.Second), at(0, 48), at(0, 47, 250), at(0, 50)},
		{"7s aligns to the epoch, not the minute", trigger.ProcessingTime(7 * time.Second), time.Unix(101, 0), time.Unix(100, 0), time.Unix(105, 0)},
		{"1h aligns to UTC hours in any zone", trigger.ProcessingTime(time.Hour),
			time.Date(2026, 1, 1, 10, 0, 0, 0, kolkata), time.Date(2026, 1, 1, 9, 45, 0, 0, kolkata), time.Date(2026, 1, 1, 10, 30, 0, 0, kolkata)},
		{"sub-second interval", trigger.ProcessingTime(250 * time.Millisecond), at(0, 0, 260), at(0, 0, 260), at(0, 0, 500)},
		{"before 1970", trigger.ProcessingTime(10 * time.Second), time.Unix(-5, 0), time.Unix(-3, 0), time.Unix(0, 0)},
		{"huge interval saturates", trigger.ProcessingTime(math.MaxInt64), at(0, 1), at(0, 0), time.Unix(0, math.MaxInt64)},
		{"processingTime(0) is back to back", trigger.ProcessingTime(0), at(0, 4), at(0, 0), at(0, 4)},
		{"default is back to back", trigger.Default(), at(0, 4), at(0, 0), at(0, 4)},
		{"zero value is default", trigger.Trigger{}, at(0, 4), at(0, 0), at(0, 4)},
		{"once", trigger.Once(), at(0, 4), at(0, 0), at(0, 4)},
		{"available now", trigger.AvailableNow(), at(0, 4), at(0, 0), at(0, 4)},
	}
	for _, tt := range tests {
		got := tt.trigger.NextStart(tt.now, tt.last)
		if !got.Equal(tt.want) {
			t.Errorf("%s: NextStart(%v, %v) = %v, want %v", tt.name, tt.now, tt.last, got, tt.want)
		}
	}
}

// FuzzNextStart checks NextStart's invariants for any interval and times.
func FuzzNextStart(f *testing.F) {
	f.Add(int64(10e9), int64(1e18), int64(1e18+2e9))
	f.Add(int64(7e9), int64(-3e9), int64(-1e9))
	f.Add(int64(1), int64(math.MaxInt64-1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, d, last, now int64) {
		if d <= 0 || last == 0 {
			return
		}
		got := trigger.ProcessingTime(time.Duration(d)).NextStart(time.Unix(0, now), time.Unix(0, last)).UnixNano()
		if got < now {
			t.Fatalf("next start %d before now %d", got, now)
		}
		if got == now || got == math.MaxInt64 { // at once, or saturated past year 2262
			return
		}
		if got <= last {
			t.Fatalf("next start %d not after the last start %d", got, last)
		}
		if got%d != 0 || got-last > d {
			t.Fatalf("next start %d is not the first multiple of %d after %d", got, d, last)
		}
	})
}

// step is one call of Scheduler.Wait in a scripted run: how long the
// previous batch took, whether it was idle, and what Wait must do.
type step struct {
	batch     time.Duration // advance the clock by this much first
	idle      bool
	waitUntil time.Time // zero: Wait returns at once
	start     time.Time // the start Wait returns
}

// play runs the steps against a fake clock. It never sleeps: the clock's
// Waits channel says whether Wait blocked and until when.
func play(t *testing.T, clock *triggertest.Clock, s *trigger.Scheduler, steps []step) {
	t.Helper()
	ctx := context.Background()
	type result struct {
		start time.Time
		err   error
	}
	for i, st := range steps {
		clock.Advance(st.batch)
		res := make(chan result, 1)
		go func() {
			start, err := s.Wait(ctx, st.idle)
			res <- result{start, err}
		}()
		var r result
		select {
		case r = <-res:
			if !st.waitUntil.IsZero() {
				t.Fatalf("step %d: Wait returned at once (%v), want a wait until %v", i, r.start, st.waitUntil)
			}
		case until := <-clock.Waits():
			if !until.Equal(st.waitUntil) {
				t.Fatalf("step %d: Wait waits until %v, want %v", i, until, st.waitUntil)
			}
			clock.Set(until)
			r = <-res
		}
		if r.err != nil {
			t.Fatalf("step %d: %v", i, r.err)
		}
		if !r.start.Equal(st.start) {
			t.Errorf("step %d: start %v, want %v", i, r.start, st.start)
		}
	}
}

func TestSchedulerProcessingTime(t *testing.T) {
	clock := triggertest.NewClock(at(0, 3))
	s := trigger.NewScheduler(trigger.ProcessingTime(10*time.Second), trigger.WithClock(clock))
	play(t, clock, s, []step{
		{start: at(0, 3)}, // the first batch starts at once, unaligned
		{batch: 2 * time.Second, waitUntil: at(0, 10), start: at(0, 10)},
		{batch: 1 * time.Second, idle: true, waitUntil: at(0, 20), start: at(0, 20)}, // idle changes nothing
		{batch: 13 * time.Second, start: at(0, 33)},                                  // overrun: at once
		{batch: 1 * time.Second, waitUntil: at(0, 40), start: at(0, 40)},             // aligned again
		{batch: 10 * time.Second, start: at(0, 50)},                                  // exactly one interval
		{batch: 35 * time.Second, start: at(1, 25)},                                  // missed intervals skipped
		{batch: 0, waitUntil: at(1, 30), start: at(1, 30)},
	})
}

func TestSchedulerDefault(t *testing.T) {
	clock := triggertest.NewClock(at(0, 0))
	s := trigger.NewScheduler(trigger.Default(), trigger.WithClock(clock))
	play(t, clock, s, []step{
		{start: at(0, 0)},
		{batch: 3 * time.Second, start: at(0, 3)}, // back to back
		{batch: 5 * time.Millisecond, idle: true, waitUntil: at(0, 3, 105), start: at(0, 3, 105)}, // poll after 100ms
		{idle: true, waitUntil: at(0, 3, 205), start: at(0, 3, 205)},
		{batch: time.Second, start: at(0, 4, 205)}, // data again: at once
	})

	clock = triggertest.NewClock(at(0, 0))
	s = trigger.NewScheduler(trigger.ProcessingTime(0), trigger.WithClock(clock), trigger.WithPollInterval(time.Second))
	play(t, clock, s, []step{
		{start: at(0, 0)},
		{batch: time.Second, idle: true, waitUntil: at(0, 2), start: at(0, 2)},
		{batch: time.Second, start: at(0, 3)},
	})
}

func TestSchedulerOnceAndAvailableNowNeverWait(t *testing.T) {
	for _, tr := range []trigger.Trigger{trigger.Once(), trigger.AvailableNow()} {
		clock := triggertest.NewClock(at(0, 0))
		s := trigger.NewScheduler(tr, trigger.WithClock(clock))
		play(t, clock, s, []step{
			{start: at(0, 0)},
			{batch: time.Second, start: at(0, 1)},
			{batch: time.Second, idle: true, start: at(0, 2)},
		})
	}
}

func TestSchedulerCancel(t *testing.T) {
	clock := triggertest.NewClock(at(0, 0))
	s := trigger.NewScheduler(trigger.ProcessingTime(time.Minute), trigger.WithClock(clock))
	if _, err := s.Wait(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Wait(ctx, false)
		errc <- err
	}()
	if until := <-clock.Waits(); !until.Equal(at(1, 0)) {
		t.Fatalf("waits until %v, want %v", until, at(1, 0))
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel = %v, want context.Canceled", err)
	}
	if !s.LastStart().Equal(at(0, 0)) {
		t.Errorf("LastStart = %v, want the previous start %v", s.LastStart(), at(0, 0))
	}
	if _, err := s.Wait(ctx, false); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a done context = %v, want context.Canceled", err)
	}
}

// TestSchedulerSystemClock runs the real clock inside a synctest bubble,
// where time is virtual: no real sleeping.
func TestSchedulerSystemClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := trigger.NewScheduler(trigger.ProcessingTime(10 * time.Second))
		time.Sleep(3 * time.Second) // virtual: the bubble starts at a multiple of 10s
		first, err := s.Wait(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Duration
		for _, batch := range []time.Duration{2 * time.Second, 12 * time.Second, time.Second} {
			time.Sleep(batch)
			start, err := s.Wait(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, start.Sub(first))
		}
		// Started at +3s: +2s work → +10s... relative to the first start
		// at second 3: 7s (second 10), 19s (second 22, overrun), 27s (30).
		want := []time.Duration{7 * time.Second, 19 * time.Second, 27 * time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("starts after the first (-want +got):\n%s", diff)
		}
	})
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    trigger.Trigger
		wantErr string
	}{
		{in: "default", want: trigger.Default()},
		{in: "once", want: trigger.Once()},
		{in: "available-now", want: trigger.AvailableNow()},
		{in: "availableNow", want: trigger.AvailableNow()},
		{in: "Available_Now", want: trigger.AvailableNow()},
		{in: " ONCE ", want: trigger.Once()},
		{in: "10s", want: trigger.ProcessingTime(10 * time.Second)},
		{in: "500ms", want: trigger.ProcessingTime(500 * time.Millisecond)},
		{in: "1m30s", want: trigger.ProcessingTime(90 * time.Second)},
		{in: "processingTime=1h", want: trigger.ProcessingTime(time.Hour)},
		{in: "processing-time: 5s", want: trigger.ProcessingTime(5 * time.Second)},
		{in: "", wantErr: "trigger: empty trigger: want default, once, available-now or an interval such as 10s"},
		{in: "fast", wantErr: `trigger: unknown trigger "fast": want default, once, available-now or an interval such as 10s`},
		{in: "continuous", wantErr: `trigger: unknown trigger "continuous": want default, once, available-now or an interval such as 10s`},
		{in: "10", wantErr: `trigger: interval "10" has no unit: write it as 10s or 10ms`},
		{in: "10 s", wantErr: `trigger: invalid interval "10 s": want default, once, available-now or an interval such as 10s`},
		{in: "10days", wantErr: `trigger: invalid interval "10days": want default, once, available-now or an interval such as 10s`},
		{in: "0s", wantErr: `trigger: interval "0s" must be positive (use default to run batches back to back)`},
		{in: "-5s", wantErr: `trigger: interval "-5s" must be positive (use default to run batches back to back)`},
		{in: "processingTime=", wantErr: `trigger: unknown trigger "processingTime=": want default, once, available-now or an interval such as 10s`},
	}
	for _, tt := range tests {
		got, err := trigger.Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Parse(%q) error = %v, want %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
		// String gives back something Parse reads as the same trigger.
		if again, err := trigger.Parse(got.String()); err != nil || again != got {
			t.Errorf("Parse(%q.String() = %q) = %v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestTriggerAccessors(t *testing.T) {
	type row struct {
		String        string
		Kind          trigger.Kind
		Interval      time.Duration
		StopsWhenDone bool
	}
	var got []row
	for _, tr := range []trigger.Trigger{trigger.Trigger{}, trigger.Default(), trigger.ProcessingTime(10 * time.Second), trigger.Once(), trigger.AvailableNow()} {
		got = append(got, row{tr.String(), tr.Kind(), tr.Interval(), tr.StopsWhenDone()})
	}
	want := []row{
		{"default", trigger.KindDefault, 0, false},
		{"default", trigger.KindDefault, 0, false},
		{"10s", trigger.KindProcessingTime, 10 * time.Second, false},
		{"once", trigger.KindOnce, 0, true},
		{"available-now", trigger.KindAvailableNow, 0, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := trigger.ProcessingTime(-time.Second).Validate(); err == nil || err.Error() != "trigger: processingTime interval -1s is negative" {
		t.Errorf("Validate(-1s) = %v", err)
	}
	if _, err := trigger.ProcessingTime(-time.Second).MarshalText(); err == nil {
		t.Error("MarshalText(-1s) succeeded")
	}
}

func TestFlagTextVar(t *testing.T) {
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tr := trigger.Default()
	fs.TextVar(&tr, "trigger", trigger.Default(), "when batches run")
	if err := fs.Parse([]string{"-trigger", "available-now"}); err != nil {
		t.Fatal(err)
	}
	if tr != trigger.AvailableNow() {
		t.Errorf("-trigger available-now gave %v", tr)
	}
	err := fs.Parse([]string{"-trigger", "sometimes"})
	want := `invalid value "sometimes" for flag -trigger: trigger: unknown trigger "sometimes": want default, once, available-now or an interval such as 10s`
	if err == nil || err.Error() != want {
		t.Errorf("bad flag: got %v\nwant %s", err, want)
	}
}
