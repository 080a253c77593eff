package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

// pollingSource is a fakeSource asking to be polled every d.
type pollingSource struct {
	*fakeSource
	d time.Duration
}

func (s pollingSource) PollInterval() time.Duration { return s.d }

// An idle query polls at the shortest interval its sources ask for, and
// the PollInterval option overrides them.
func TestPollingSourceSetsPollInterval(t *testing.T) {
	for _, tc := range []struct {
		name string
		asks []time.Duration // 0: a source that asks nothing
		opts []stream.Opt
		want time.Duration
	}{
		{"one source asks", []time.Duration{10 * time.Millisecond}, nil, 10 * time.Millisecond},
		{"shortest wins", []time.Duration{30 * time.Millisecond, 0, 20 * time.Millisecond}, nil, 20 * time.Millisecond},
		{"longer than default", []time.Duration{time.Second}, nil, 100 * time.Millisecond},
		{"option wins", []time.Duration{10 * time.Millisecond}, []stream.Opt{stream.PollInterval(time.Second)}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := triggertest.NewClock(t0)
			var fakes []*fakeSource
			var sources []stream.Source
			for i, d := range tc.asks {
				f := newSource(string(rune('a'+i)), 0)
				fakes = append(fakes, f)
				if d == 0 {
					sources = append(sources, f)
				} else {
					sources = append(sources, pollingSource{f, d})
				}
			}
			p := newPipeline(clock, memory.New[event](), fakes...)
			q := newQuery(t, t.TempDir(), sources, p.run, clock, tc.opts...)
			start(t, context.Background(), q)
			processAll(t, q)
			if until := clock.BlockUntilWaiting(1); !until.Equal(t0.Add(tc.want)) {
				t.Errorf("polls at %v, want %v", until.Sub(t0), tc.want)
			}
			q.Stop()
		})
	}
}
