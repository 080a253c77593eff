package kafka

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/quarantine"
)

// Opt configures New.
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

// MalformedPolicy says what happens to a record whose value the decoder
// rejects.
type MalformedPolicy int

// The malformed-record policies.
const (
	// QuarantineMalformed hands the record to the quarantine writer and
	// counts it (the default).
	QuarantineMalformed MalformedPolicy = iota
	// DropMalformed counts the record and drops it.
	DropMalformed
	// FailMalformed stops the query with the record's topic, partition,
	// offset and the reason.
	FailMalformed
)

// String returns "quarantine", "drop" or "fail".
func (p MalformedPolicy) String() string {
	switch p {
	case QuarantineMalformed:
		return "quarantine"
	case DropMalformed:
		return "drop"
	case FailMalformed:
		return "fail"
	}
	return fmt.Sprintf("MalformedPolicy(%d)", int(p))
}

// ParseMalformedPolicy parses "quarantine", "drop" or "fail".
func ParseMalformedPolicy(s string) (MalformedPolicy, error) {
	for _, p := range []MalformedPolicy{QuarantineMalformed, DropMalformed, FailMalformed} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("kafka: onMalformed %q: want quarantine, drop or fail", s)
}

// DefaultMaxTriggerDelay is Spark's default maxTriggerDelay: how long
// MinOffsetsPerTrigger may hold back a batch.
const DefaultMaxTriggerDelay = 15 * time.Minute

type cfg struct {
	bootstrap []string
	// Exactly one of subscribe, pattern and assign is set.
	subscribe  []string
	patternSrc string
	pattern    *regexp.Regexp
	assignSrc  string
	assign     map[string][]int32
	nSubs      int

	startingSrc string
	starting    startSpec
	startingTS  *time.Time
	maxOffsets  int64
	minOffsets  int64
	maxDelay    time.Duration
	failOnLoss  bool
	headers     bool
	commitGroup string
	tls         *tls.Config
	sasl        *saslCfg
	malformed   MalformedPolicy
	quarantine  quarantine.Writer
	logger      *slog.Logger
	now         func() time.Time
	clientOpts  []kgo.Opt
	fetchMax    int32
}

// BootstrapServers sets the brokers to connect to first, as "host:port"
// (Spark's kafka.bootstrap.servers; a single comma-separated string is
// split). It is required.
func BootstrapServers(servers ...string) Opt {
	return opt(func(c *cfg) { c.bootstrap = append(c.bootstrap, splitList(servers)...) })
}

// Subscribe reads the given topics, all their partitions (Spark's
// subscribe; a comma-separated string is split). Exactly one of
// Subscribe, SubscribePattern and Assign is required, given once.
func Subscribe(topics ...string) Opt {
	return opt(func(c *cfg) {
		c.subscribe = append(c.subscribe, splitList(topics)...)
		c.nSubs++
	})
}

// SubscribePattern reads every topic whose whole name matches the
// regular expression (Go's regexp syntax, Spark's subscribePattern),
// except Kafka's internal topics. Topics created later are picked up.
func SubscribePattern(re string) Opt {
	return opt(func(c *cfg) {
		c.patternSrc = re
		c.nSubs++
	})
}

// Assign reads exactly the listed partitions, given as Spark's JSON
// {"topicA":[0,1],"topicB":[2,4]}.
func Assign(spec string) Opt {
	return opt(func(c *cfg) {
		c.assignSrc = spec
		c.nSubs++
	})
}

// StartingOffsets sets where a new query starts (Spark's
// startingOffsets): "latest" (the default), "earliest", or per-partition
// JSON {"topicA":{"0":23,"1":-1},"topicB":{"0":-2}} where -2 means
// earliest and -1 latest; the JSON must name every partition read. It is
// resolved once, when the query first starts, and recorded in the
// checkpoint; restarts continue from the checkpoint.
func StartingOffsets(spec string) Opt { return opt(func(c *cfg) { c.startingSrc = spec }) }

// StartingTimestamp makes a new query start, in every partition, at the
// first record whose timestamp is at or after t (Spark's
// startingTimestamp); a partition without such a record starts at its
// latest offset (Spark's startingOffsetsByTimestampStrategy=latest). It
// takes precedence over StartingOffsets, as in Spark.
func StartingTimestamp(t time.Time) Opt { return opt(func(c *cfg) { c.startingTS = &t }) }

// MaxOffsetsPerTrigger limits a batch to about n offsets in total, split
// over the partitions in proportion to their backlog (Spark's
// maxOffsetsPerTrigger); 0, the default, means no limit.
func MaxOffsetsPerTrigger(n int64) Opt { return opt(func(c *cfg) { c.maxOffsets = n }) }

// MinOffsetsPerTrigger holds a batch back until at least n new offsets
// are available or MaxTriggerDelay has passed since the last batch
// (Spark's minOffsetsPerTrigger); 0, the default, means no minimum.
func MinOffsetsPerTrigger(n int64) Opt { return opt(func(c *cfg) { c.minOffsets = n }) }

// MaxTriggerDelay sets how long MinOffsetsPerTrigger may hold a batch
// back, overriding DefaultMaxTriggerDelay (Spark's maxTriggerDelay).
func MaxTriggerDelay(d time.Duration) Opt { return opt(func(c *cfg) { c.maxDelay = d }) }

// FailOnDataLoss sets what happens when offsets the query has not read
// are gone (deleted by retention, a deleted topic or partition, a
// truncated log): true, the default, stops the query with a
// *DataLossError naming the topic, partition and offsets; false logs the
// loss, counts it, quarantines a record of it (when a quarantine writer
// is set) and continues from the earliest offset available (Spark's
// failOnDataLoss).
func FailOnDataLoss(on bool) Opt { return opt(func(c *cfg) { c.failOnLoss = on }) }

// IncludeHeaders hands each record's headers to Read's callback (Spark's
// includeHeaders); without it Record.Headers is nil.
func IncludeHeaders(on bool) Opt { return opt(func(c *cfg) { c.headers = on }) }

// CommitToGroup makes Commit commit each batch's end offsets to the
// consumer group, so that lag tools see the query's progress. The query
// never reads the group's offsets: its position lives in the checkpoint.
// Without it, the default, nothing is committed to Kafka.
func CommitToGroup(group string) Opt { return opt(func(c *cfg) { c.commitGroup = group }) }

// TLS connects to the brokers with TLS using config (nil means the
// system's roots and the broker's host name; see LoadTLS). Event Hubs
// needs it.
func TLS(config *tls.Config) Opt {
	return opt(func(c *cfg) {
		if config == nil {
			config = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c.tls = config
	})
}

// OnMalformed sets the policy for records whose value the decoder
// rejects, overriding the default QuarantineMalformed.
func OnMalformed(p MalformedPolicy) Opt { return opt(func(c *cfg) { c.malformed = p }) }

// QuarantineTo sets where QuarantineMalformed writes malformed records
// and where FailOnDataLoss(false) records lost offsets; it is required
// with QuarantineMalformed.
func QuarantineTo(q quarantine.Writer) Opt { return opt(func(c *cfg) { c.quarantine = q }) }

// Logger sets the logger, overriding slog.Default().
func Logger(l *slog.Logger) Opt { return opt(func(c *cfg) { c.logger = l }) }

// Now sets the clock used for MaxTriggerDelay, overriding time.Now (for
// tests).
func Now(now func() time.Time) Opt { return opt(func(c *cfg) { c.now = now }) }

// ClientOpts adds franz-go client options (timeouts, client ID, dialer),
// applied after the source's own; they must not configure consuming or
// producing.
func ClientOpts(opts ...kgo.Opt) Opt {
	return opt(func(c *cfg) { c.clientOpts = append(c.clientOpts, opts...) })
}

// FetchMaxBytes sets the most bytes one fetch asks of a partition,
// overriding the default 4 MiB; a larger record batch is still returned
// whole by the broker.
func FetchMaxBytes(n int32) Opt { return opt(func(c *cfg) { c.fetchMax = n }) }

func (c *cfg) validate() error {
	switch {
	case len(c.bootstrap) == 0:
		return fmt.Errorf("kafka: BootstrapServers (kafka.bootstrap.servers) is required")
	case c.nSubs != 1:
		return fmt.Errorf("kafka: exactly one of subscribe, subscribePattern and assign is required, got %d", c.nSubs)
	case c.maxOffsets < 0:
		return fmt.Errorf("kafka: maxOffsetsPerTrigger must not be negative, got %d", c.maxOffsets)
	case c.minOffsets < 0:
		return fmt.Errorf("kafka: minOffsetsPerTrigger must not be negative, got %d", c.minOffsets)
	case c.maxOffsets > 0 && c.minOffsets > c.maxOffsets:
		return fmt.Errorf("kafka: minOffsetsPerTrigger (%d) must not exceed maxOffsetsPerTrigger (%d)", c.minOffsets, c.maxOffsets)
	case c.maxDelay <= 0:
		return fmt.Errorf("kafka: maxTriggerDelay must be positive, got %v", c.maxDelay)
	case c.logger == nil:
		return fmt.Errorf("kafka: Logger is nil")
	case c.now == nil:
		return fmt.Errorf("kafka: Now is nil")
	case c.fetchMax <= 0:
		return fmt.Errorf("kafka: FetchMaxBytes must be positive, got %d", c.fetchMax)
	case c.malformed < QuarantineMalformed || c.malformed > FailMalformed:
		return fmt.Errorf("kafka: invalid OnMalformed %v", c.malformed)
	case c.malformed == QuarantineMalformed && c.quarantine == nil:
		return fmt.Errorf("kafka: OnMalformed(quarantine) needs a quarantine writer (QuarantineTo); use OnMalformed(DropMalformed) or FailMalformed to go without")
	}
	switch {
	case len(c.subscribe) > 0:
		for _, t := range c.subscribe {
			if err := checkTopic(t); err != nil {
				return fmt.Errorf("kafka: subscribe: %w", err)
			}
		}
	case c.patternSrc != "":
		re, err := regexp.Compile(`^(?:` + c.patternSrc + `)$`)
		if err != nil {
			return fmt.Errorf("kafka: subscribePattern %q: %w", c.patternSrc, err)
		}
		c.pattern = re
	case c.assignSrc != "":
		a, err := parseAssign(c.assignSrc)
		if err != nil {
			return err
		}
		c.assign = a
	default:
		return fmt.Errorf("kafka: subscribe, subscribePattern or assign names no topic")
	}
	sp, err := parseStartingOffsets(c.startingSrc)
	if err != nil {
		return err
	}
	c.starting = sp
	if c.assign != nil && sp.kind == startSpecific {
		if err := sp.checkCovers(c.assign); err != nil {
			return err
		}
	}
	if c.sasl != nil {
		if err := c.sasl.validate(); err != nil {
			return err
		}
	}
	return nil
}
