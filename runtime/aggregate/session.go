package aggregate

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/storage"
)

// NewSession returns the operator of an aggregation over a session window
// (Spark's session_window), keeping its state in dir as New does. The
// mode is append (which needs cfg.Watermark) or complete: Spark refuses
// update mode for session windows (SPARK-36463), and so does the
// generator. cfg.WindowEnd must be nil: a session's end is in its state
// (sess.End). See the package documentation for how State finds, extends
// and merges sessions.
func NewSession[K comparable, S any, KP state.Codec[K], SP state.Codec[S]](dir storage.Storage, cfg Config[K], sess Session[K, S]) (*Operator[K, S, KP, SP], error) {
	switch {
	case cfg.Mode == Update:
		return nil, fmt.Errorf("aggregate: update mode is not supported with session windows (as in Spark): use append or complete")
	case cfg.Mode == Append && !cfg.Watermark:
		return nil, fmt.Errorf("aggregate: append mode needs a watermark, or no session would ever be final")
	case cfg.WindowEnd != nil:
		return nil, fmt.Errorf("aggregate: a session window has no Config.WindowEnd: its end is in its state (Session.End)")
	case sess.Gap <= 0:
		return nil, fmt.Errorf("aggregate: session gap %v is not positive", sess.Gap)
	case sess.Start == nil || sess.End == nil || sess.Merge == nil:
		return nil, fmt.Errorf("aggregate: a session window needs Session.Start, End and Merge")
	}
	o, err := newOperator[K, S, KP, SP](dir, cfg)
	if err != nil {
		return nil, err
	}
	o.sess = &sess
	return o, nil
}

// sessionEntry is one session of a group in the operator's index: its
// start (as in its key) and its state in the store.
type sessionEntry[S any] struct {
	start time.Time
	s     *S
}

// sessionGroup is the sessions of one group, sorted by start. They never
// overlap (overlapping sessions are merged), so they are sorted by end too.
type sessionGroup[S any] struct {
	sessions []sessionEntry[S]
}

// groupKey sets o.kbuf to the encoding of k's group (k with a zero
// session start) and returns k's session start.
func (o *Operator[K, S, KP, SP]) groupKey(k *K) time.Time {
	p := o.sess.Start(k)
	t := *p
	*p = time.Time{}
	o.kbuf = KP(k).AppendBinary(o.kbuf[:0])
	*p = t
	return t
}

// indexSessions rebuilds the session index from the store, after it was
// opened or reloaded.
func (o *Operator[K, S, KP, SP]) indexSessions() {
	if o.sess == nil {
		return
	}
	o.groups = map[string]*sessionGroup[S]{}
	for k, s := range o.store.All() {
		start := o.groupKey(&k)
		g := o.groups[string(o.kbuf)]
		if g == nil {
			g = &sessionGroup[S]{}
			o.groups[string(o.kbuf)] = g
		}
		g.sessions = append(g.sessions, sessionEntry[S]{start, s})
	}
	for _, g := range o.groups {
		slices.SortFunc(g.sessions, func(a, b sessionEntry[S]) int { return a.start.Compare(b.start) })
	}
}

// sessionState is State for a session window: k holds the row's event
// time t. The sessions of k's group overlapping [t, t+gap) (start <
// t+gap and end > t) are merged into one whose start is the earliest of
// theirs and t; its state is returned for the row's Add to extend its end.
//
// Merging is recorded in the store as the removal of the merged sessions'
// keys and the put of the result's, so that a restart reads the same
// sessions back. States are merged in the order of their starts: the
// earliest session is the receiver (Merge keeps its first values and
// takes the later ones' last values).
func (o *Operator[K, S, KP, SP]) sessionState(k K) *S {
	t := o.groupKey(&k)
	g := o.groups[string(o.kbuf)]
	if g == nil {
		g = &sessionGroup[S]{}
		o.groups[string(o.kbuf)] = g
	}
	end := t.Add(o.sess.Gap)
	ss := g.sessions
	// i: the first session ending after t; j: the first starting at or
	// after end. [i, j) overlap [t, end).
	i := sort.Search(len(ss), func(n int) bool { return o.sess.End(ss[n].s).After(t) })
	j := i
	for j < len(ss) && ss[j].start.Before(end) {
		j++
	}
	ps := o.sess.Start(&k)
	switch {
	case i == j: // a new session
		*ps = t
		s := o.store.GetOrCreate(k)
		g.sessions = slices.Insert(ss, i, sessionEntry[S]{t, s})
		return s
	case j == i+1 && !t.Before(ss[i].start): // inside or extending one session
		*ps = ss[i].start
		return o.store.GetOrCreate(k)
	}
	start := ss[i].start
	if t.Before(start) {
		start = t
	}
	*ps = start
	s := o.store.GetOrCreate(k) // session i's state when it keeps its start
	for n := i; n < j; n++ {
		if ss[n].s == s {
			continue
		}
		o.sess.Merge(s, ss[n].s)
		*ps = ss[n].start
		o.store.Delete(k)
	}
	ss[i] = sessionEntry[S]{start, s}
	g.sessions = slices.Delete(ss, i+1, j)
	return s
}

// unindexSession removes the session of key k from the index, as the
// store deletes it.
func (o *Operator[K, S, KP, SP]) unindexSession(k K) {
	if o.sess == nil {
		return
	}
	start := o.groupKey(&k)
	g := o.groups[string(o.kbuf)]
	if g == nil {
		return
	}
	if i, ok := slices.BinarySearchFunc(g.sessions, start, func(e sessionEntry[S], t time.Time) int { return e.start.Compare(t) }); ok {
		g.sessions = slices.Delete(g.sessions, i, i+1)
	}
	if len(g.sessions) == 0 {
		delete(o.groups, string(o.kbuf))
	}
}

// sessionIndexBytes estimates the memory of the session index: per group
// its key encoding, map entry and slice, per session its start and
// pointer.
func (o *Operator[K, S, KP, SP]) sessionIndexBytes() int64 {
	var n int64
	for k, g := range o.groups {
		n += int64(len(k)) + 16 + 8 + 48 + int64(cap(g.sessions))*32
	}
	return n
}
