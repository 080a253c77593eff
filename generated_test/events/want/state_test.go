package actioncounts

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// events returns n events over a few hours around the Databricks sample,
// both actions, in a fixed pseudo-random order.
func events(n int) []Event {
	rng := rand.New(rand.NewPCG(7, 8))
	base := time.Unix(1469501675, 0).UTC()
	out := make([]Event, n)
	for i := range out {
		a := EventActionOpen
		if rng.IntN(3) == 0 {
			a = EventActionClose
		}
		out[i] = Event{Time: base.Add(time.Duration(rng.IntN(4*3600)-3600) * time.Second), Action: a}
	}
	return out
}

// group runs KeyOf and Add over rows, one state per key (in first-seen
// order).
func group(t *testing.T, rows []Event) ([]ActionCountsKey, map[ActionCountsKey]*ActionCountsState, map[ActionCountsKey][]Event) {
	t.Helper()
	var keys []ActionCountsKey
	states := map[ActionCountsKey]*ActionCountsState{}
	byKey := map[ActionCountsKey][]Event{}
	for i := range rows {
		k, ok := ActionCountsKeyOf(&rows[i])
		if !ok {
			t.Fatalf("row %d has no key", i)
		}
		s := states[k]
		if s == nil {
			s = &ActionCountsState{}
			states[k] = s
			keys = append(keys, k)
		}
		s.Add(&rows[i])
		byKey[k] = append(byKey[k], rows[i])
	}
	return keys, states, byKey
}

func encodeState(s *ActionCountsState) []byte { return s.AppendBinary(nil) }

func TestStateResult(t *testing.T) {
	rows := events(500)
	keys, states, _ := group(t, rows)

	// The expectation, computed independently with plain loops.
	type want struct {
		count  int64
		latest time.Time
	}
	expect := map[ActionCountsResult]bool{}
	for _, a := range []EventAction{EventActionOpen, EventActionClose} {
		for h := int64(1469487600 / 3600); h < 1469516400/3600+1; h++ {
			start, end := time.Unix(h*3600, 0).UTC(), time.Unix((h+1)*3600, 0).UTC()
			var w want
			for _, r := range rows {
				if r.Action == a && !r.Time.Before(start) && r.Time.Before(end) {
					w.count++
					if r.Time.After(w.latest) {
						w.latest = r.Time
					}
				}
			}
			if w.count > 0 {
				expect[ActionCountsResult{Action: a, WindowStart: start, WindowEnd: end, Count: w.count, Latest: w.latest}] = true
			}
		}
	}
	if len(keys) != len(expect) {
		t.Fatalf("%d groups, want %d", len(keys), len(expect))
	}
	for _, k := range keys {
		res := states[k].Result(&k)
		if !expect[res] {
			t.Errorf("unexpected result %+v", res)
		}
	}
	// The boundary: an event at 03:00:00 is in [03:00, 04:00).
	k, _ := ActionCountsKeyOf(&Event{Time: time.Date(2016, 7, 26, 3, 0, 0, 0, time.UTC), Action: EventActionOpen})
	if k.WindowStart != time.Date(2016, 7, 26, 3, 0, 0, 0, time.UTC) || k.WindowEnd() != time.Date(2016, 7, 26, 4, 0, 0, 0, time.UTC) {
		t.Errorf("window of 03:00: [%v, %v)", k.WindowStart, k.WindowEnd())
	}
}

// TestStateMerge splits each group's rows in every 2-way split (a prefix
// and the rest) and checks that merging the two partial states gives the
// single-pass state, in either order (count and max commute).
func TestStateMerge(t *testing.T) {
	keys, states, byKey := group(t, events(300))
	for _, k := range keys {
		rows := byKey[k]
		want := encodeState(states[k])
		for i := 0; i <= len(rows); i++ {
			var a, b ActionCountsState
			for j := range rows[:i] {
				a.Add(&rows[j])
			}
			for j := range rows[i:] {
				b.Add(&rows[i+j])
			}
			ab, ba := a, b
			ab.Merge(&b)
			ba.Merge(&a)
			if got := encodeState(&ab); !bytes.Equal(got, want) {
				t.Fatalf("%+v split at %d: merged %x, single pass %x", k, i, got, want)
			}
			if got := encodeState(&ba); !bytes.Equal(got, want) {
				t.Fatalf("%+v split at %d, reversed: merged %x, single pass %x", k, i, got, want)
			}
		}
	}
	// Merging the empty state changes nothing, either way.
	for _, k := range keys {
		s, e := *states[k], ActionCountsState{}
		s.Merge(&ActionCountsState{})
		e.Merge(states[k])
		if s != *states[k] || e != *states[k] {
			t.Errorf("merging the empty state changed %+v", k)
		}
	}
}

func TestStateBinaryRoundTrip(t *testing.T) {
	keys, states, _ := group(t, events(200))
	seen := map[string]ActionCountsKey{}
	for _, k := range keys {
		kb := k.AppendBinary(nil)
		var k2 ActionCountsKey
		if err := k2.UnmarshalBinary(kb); err != nil || k2 != k {
			t.Fatalf("key %+v: round trip %+v, %v", k, k2, err)
		}
		if prev, dup := seen[string(kb)]; dup {
			t.Fatalf("keys %+v and %+v encode equally", prev, k)
		}
		seen[string(kb)] = k
		sb := states[k].AppendBinary(nil)
		if sb[0] != ActionCountsStateVersion {
			t.Fatalf("state encoding starts with %d", sb[0])
		}
		var s2 ActionCountsState
		if err := s2.UnmarshalBinary(sb); err != nil || s2 != *states[k] {
			t.Fatalf("state of %+v: round trip %+v, %v", k, s2, err)
		}
	}
	// Equal instants in another location encode equally.
	k := keys[0]
	k2 := k
	k2.WindowStart = k.WindowStart.In(time.FixedZone("X", 3600))
	if !bytes.Equal(k.AppendBinary(nil), k2.AppendBinary(nil)) {
		t.Error("the key encoding depends on the location")
	}
}

func TestStateCorrupt(t *testing.T) {
	keys, states, _ := group(t, events(50))
	k := keys[0]
	kb, sb := k.AppendBinary(nil), states[k].AppendBinary(nil)
	for n := range len(sb) {
		s := *states[k]
		err := s.UnmarshalBinary(sb[:n])
		var be *streamimpl.BinaryError
		if !errors.As(err, &be) {
			t.Fatalf("state truncated to %d bytes: %v", n, err)
		}
		if s != *states[k] {
			t.Fatalf("a failed decode changed the state")
		}
	}
	for n := range len(kb) {
		var k2 ActionCountsKey
		if err := k2.UnmarshalBinary(kb[:n]); err == nil {
			t.Fatalf("key truncated to %d bytes decoded", n)
		}
	}
	var s ActionCountsState
	if err := s.UnmarshalBinary(append(bytes.Clone(sb), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	bad := bytes.Clone(sb)
	bad[0] = ActionCountsStateVersion + 1
	if err := s.UnmarshalBinary(bad); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("unknown encoding version %d (this binary reads version %d)", ActionCountsStateVersion+1, ActionCountsStateVersion)) {
		t.Errorf("newer version: %v", err)
	}
	var k2 ActionCountsKey
	ajar := streamimpl.AppendTime(streamimpl.AppendString(nil, "Ajar"), k.WindowStart)
	if err := k2.UnmarshalBinary(ajar); err == nil || !strings.Contains(err.Error(), "invalid EventAction value") {
		t.Errorf("unknown enum value: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		c := bytes.Clone(sb)
		c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
		_ = s.UnmarshalBinary(c) // never panics
		c = bytes.Clone(kb)
		c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
		_ = k2.UnmarshalBinary(c)
	}
}

func FuzzStateDecode(f *testing.F) {
	keys, states, _ := groupSeeds()
	for _, k := range keys {
		f.Add(states[k].AppendBinary(nil), k.AppendBinary(nil))
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, sb, kb []byte) {
		var s ActionCountsState
		if s.UnmarshalBinary(sb) == nil {
			var s2 ActionCountsState
			if err := s2.UnmarshalBinary(s.AppendBinary(nil)); err != nil || s2 != s {
				t.Fatalf("state re-decoding: %+v, %v", s2, err)
			}
		}
		var k ActionCountsKey
		if k.UnmarshalBinary(kb) == nil {
			var k2 ActionCountsKey
			if err := k2.UnmarshalBinary(k.AppendBinary(nil)); err != nil || k2 != k {
				t.Fatalf("key re-decoding: %+v, %v", k2, err)
			}
		}
	})
}

// groupSeeds is group without a *testing.T, for fuzz seeds.
func groupSeeds() ([]ActionCountsKey, map[ActionCountsKey]*ActionCountsState, error) {
	var keys []ActionCountsKey
	states := map[ActionCountsKey]*ActionCountsState{}
	rows := events(40)
	for i := range rows {
		k, _ := ActionCountsKeyOf(&rows[i])
		if states[k] == nil {
			states[k] = &ActionCountsState{}
			keys = append(keys, k)
		}
		states[k].Add(&rows[i])
	}
	return keys, states, nil
}
