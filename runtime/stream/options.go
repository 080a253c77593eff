package stream

import (
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/google/uuid"

	"github.com/streamgen/streamgen/runtime/trigger"
)

// StateFormatVersionKey is the conf key, pinned in every offsets/N, of the
// version of the state encodings the query writes; a restart with a
// different version is refused.
const StateFormatVersionKey = "streamgen.stateFormatVersion"

// StateFormatVersion is the state format version this runtime writes.
const StateFormatVersion = "1"

// DefaultRecentProgressSize is how many progress reports RecentProgress
// keeps by default (Spark's spark.sql.streaming.numRecentProgressUpdates).
const DefaultRecentProgressSize = 100

// Opt configures NewQuery.
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

type cfg struct {
	name           string
	trigger        trigger.Trigger
	clock          trigger.Clock
	pollInterval   time.Duration
	pollSet        bool // the PollInterval option was given
	watermarkDelay time.Duration
	logger         *slog.Logger
	listeners      []Listener
	recentSize     int
	minRetain      int
	minRetainSet   bool
	runIDs         func() string
	conf           map[string]string
	sinkDesc       string
}

func defaultCfg() cfg {
	return cfg{
		trigger:      trigger.Default(),
		clock:        trigger.SystemClock{},
		pollInterval: trigger.PollInterval,
		logger:       slog.Default(),
		recentSize:   DefaultRecentProgressSize,
		runIDs:       uuid.NewString,
		conf:         map[string]string{StateFormatVersionKey: StateFormatVersion},
	}
}

func (c *cfg) validate() error {
	if err := c.trigger.Validate(); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	switch {
	case c.clock == nil:
		return fmt.Errorf("stream: Clock is nil")
	case c.pollInterval <= 0:
		return fmt.Errorf("stream: PollInterval must be positive, got %v", c.pollInterval)
	case c.watermarkDelay < 0:
		return fmt.Errorf("stream: WatermarkDelay must not be negative, got %v", c.watermarkDelay)
	case c.logger == nil:
		return fmt.Errorf("stream: Logger is nil")
	case c.recentSize < 1:
		return fmt.Errorf("stream: RecentProgressSize must be at least 1, got %d", c.recentSize)
	case c.minRetainSet && c.minRetain < 1:
		return fmt.Errorf("stream: MinBatchesToRetain must be at least 1, got %d", c.minRetain)
	case c.runIDs == nil:
		return fmt.Errorf("stream: RunIDs is nil")
	}
	for i, l := range c.listeners {
		if l == nil {
			return fmt.Errorf("stream: listener %d is nil", i)
		}
	}
	return nil
}

// Name sets the query's name, shown in progress and logs, overriding the
// default of no name.
func Name(name string) Opt { return opt(func(c *cfg) { c.name = name }) }

// Trigger sets when batches run, overriding the default trigger.Default().
func Trigger(t trigger.Trigger) Opt { return opt(func(c *cfg) { c.trigger = t }) }

// Clock sets the clock that paces triggers, stamps batches and measures
// durations, overriding the default trigger.SystemClock (tests use
// triggertest.Clock).
func Clock(clock trigger.Clock) Opt { return opt(func(c *cfg) { c.clock = clock }) }

// PollInterval sets how long the Default trigger waits before polling the
// sources again after a trigger found no new data, overriding the default
// trigger.PollInterval (100ms) and what the sources ask for
// (PollingSource).
func PollInterval(d time.Duration) Opt {
	return opt(func(c *cfg) { c.pollInterval, c.pollSet = d, true })
}

// WatermarkDelay sets how far the event-time watermark trails the largest
// event time seen (withWatermark's delay), overriding the default of 0,
// which disables the watermark: it stays at the epoch and no no-data
// batches run. The watermark never decreases.
func WatermarkDelay(d time.Duration) Opt { return opt(func(c *cfg) { c.watermarkDelay = d }) }

// Logger sets the logger, overriding the default slog.Default().
func Logger(l *slog.Logger) Opt { return opt(func(c *cfg) { c.logger = l }) }

// Listeners adds listeners that receive the query's events, in addition
// to any added before; see Listener.
func Listeners(ls ...Listener) Opt {
	return opt(func(c *cfg) { c.listeners = append(c.listeners, ls...) })
}

// RecentProgressSize sets how many progress reports RecentProgress keeps,
// overriding the default of 100.
func RecentProgressSize(n int) Opt { return opt(func(c *cfg) { c.recentSize = n }) }

// MinBatchesToRetain sets how many recent batches are kept in the
// checkpoint's offsets and commit logs, overriding the default, which is
// the checkpoint's own setting (checkpoint.MinBatchesToRetain, 100).
func MinBatchesToRetain(n int) Opt {
	return opt(func(c *cfg) { c.minRetain, c.minRetainSet = n, true })
}

// RunIDs sets the generator of run IDs, called once per Start, overriding
// the default random UUID. Tests use it for reproducible progress.
func RunIDs(next func() string) Opt { return opt(func(c *cfg) { c.runIDs = next }) }

// Conf pins a setting in the conf of every offsets/N, overriding the
// default for key (streamgen.stateFormatVersion is pinned to
// StateFormatVersion). A restart whose checkpoint pins a different value
// for a key set here is refused: such settings must not change over the
// life of a checkpoint.
func Conf(key, value string) Opt {
	return opt(func(c *cfg) {
		c.conf = maps.Clone(c.conf)
		c.conf[key] = value
	})
}

// SinkDescription sets the sink's description in progress reports,
// overriding the default of "".
func SinkDescription(d string) Opt { return opt(func(c *cfg) { c.sinkDesc = d }) }
