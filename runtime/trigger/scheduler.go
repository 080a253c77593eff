package trigger

import (
	"context"
	"time"
)

// Clock is the time source a Scheduler waits on. SystemClock is the real
// one; triggertest.Clock is a fake for tests.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// WaitUntil blocks until the clock reaches t or ctx is done, and
	// returns ctx.Err() in the latter case. A t in the past returns at
	// once.
	WaitUntil(ctx context.Context, t time.Time) error
}

// SystemClock is the real-time Clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// WaitUntil sleeps until t or until ctx is done.
func (SystemClock) WaitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Opt configures a Scheduler.
type Opt interface{ apply(*Scheduler) }

type opt func(*Scheduler)

func (o opt) apply(s *Scheduler) { o(s) }

// WithClock sets the clock the scheduler reads and waits on, overriding
// the default SystemClock.
func WithClock(c Clock) Opt { return opt(func(s *Scheduler) { s.clock = c }) }

// WithPollInterval sets how long Default waits after a batch without new
// data, overriding the default PollInterval (100ms).
func WithPollInterval(d time.Duration) Opt { return opt(func(s *Scheduler) { s.poll = d }) }

// Scheduler paces one query's batches for its trigger. It is not safe for
// concurrent use: the query's batch loop owns it.
type Scheduler struct {
	trigger   Trigger
	clock     Clock
	poll      time.Duration
	lastStart time.Time
}

// NewScheduler returns a scheduler for t.
func NewScheduler(t Trigger, opts ...Opt) *Scheduler {
	s := &Scheduler{trigger: t, clock: SystemClock{}, poll: PollInterval}
	for _, o := range opts {
		o.apply(s)
	}
	return s
}

// Wait blocks until the next batch may start and returns its start time.
// idle says that the previous batch found no new data. The first call
// returns at once.
//
//   - ProcessingTime(d), d > 0: waits until Trigger.NextStart of the
//     previous start, whether or not the previous batch was idle.
//   - Default and ProcessingTime(0): returns at once, or after the poll
//     interval when idle.
//   - Once and AvailableNow: returns at once; the query stops them.
//
// The returned start is the clock's time after the wait. If ctx is done
// first, Wait returns ctx.Err() and the previous start is kept.
func (s *Scheduler) Wait(ctx context.Context, idle bool) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	now := s.clock.Now()
	var target time.Time
	switch {
	case s.lastStart.IsZero():
		target = now
	case s.trigger.Kind() == KindProcessingTime && s.trigger.Interval() > 0:
		target = s.trigger.NextStart(now, s.lastStart)
	case idle && !s.trigger.StopsWhenDone():
		target = now.Add(s.poll)
	default:
		target = now
	}
	if target.After(now) {
		if err := s.clock.WaitUntil(ctx, target); err != nil {
			return time.Time{}, err
		}
		now = s.clock.Now()
	}
	s.lastStart = now
	return now, nil
}

// LastStart returns the start time Wait last returned, or the zero time.
func (s *Scheduler) LastStart() time.Time { return s.lastStart }
