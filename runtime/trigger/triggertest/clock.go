// Package triggertest provides a fake trigger.Clock, so that code pacing
// batches can be tested without sleeping.
package triggertest

import (
	"context"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime/trigger"
)

var _ trigger.Clock = (*Clock)(nil)

// Clock is a manual trigger.Clock: time moves only when Advance or Set is
// called, and WaitUntil blocks until then. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	waiters map[*waiter]struct{}
	waits   chan time.Time
}

type waiter struct {
	until time.Time
	done  chan struct{}
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock {
	c := &Clock{now: start, waiters: map[*waiter]struct{}{}, waits: make(chan time.Time, 64)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// WaitUntil blocks until the clock reaches t or ctx is done.
func (c *Clock) WaitUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if !c.now.Before(t) {
		c.mu.Unlock()
		return ctx.Err()
	}
	w := &waiter{until: t, done: make(chan struct{})}
	c.waiters[w] = struct{}{}
	c.cond.Broadcast()
	select {
	case c.waits <- t:
	default: // nobody listens; drop the notification
	}
	c.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, w)
		c.cond.Broadcast()
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock forward by d and wakes the waiters whose time
// has come.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(c.now.Add(d))
}

// Set moves the clock to t (never backwards) and wakes the waiters whose
// time has come.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.set(t)
	}
}

func (c *Clock) set(t time.Time) {
	c.now = t
	for w := range c.waiters {
		if !c.now.Before(w.until) {
			close(w.done)
			delete(c.waiters, w)
		}
	}
	c.cond.Broadcast()
}

// Waits returns a channel that receives the target time of every
// WaitUntil call that blocks, as it starts blocking. It lets a test tell
// "returned at once" from "is waiting" without sleeping:
//
//	go func() { res <- s.Wait(ctx, false) }()
//	select {
//	case r := <-res:            // did not wait
//	case until := <-clock.Waits(): clock.Set(until) // waits until `until`
//	}
//
// Notifications nobody receives are dropped once 64 are pending.
func (c *Clock) Waits() <-chan time.Time { return c.waits }

// BlockUntilWaiting blocks until n goroutines are blocked in WaitUntil and
// returns the earliest time they wait for.
func (c *Clock) BlockUntilWaiting(n int) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.waiters) < n {
		c.cond.Wait()
	}
	var first time.Time
	for w := range c.waiters {
		if first.IsZero() || w.until.Before(first) {
			first = w.until
		}
	}
	return first
}
