package kafka

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String returns "topic-partition", Kafka's usual spelling.
func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

func compareTP(a, b TopicPartition) int {
	if c := strings.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return int(a.Partition) - int(b.Partition)
}

// Offsets is the Kafka source's offset, Spark's KafkaSourceOffset: for
// each topic and partition, the next offset to read. As JSON it is
// {"topicA":{"0":23,"1":45}}, keys sorted, and a batch reads the records
// at offsets [start, end) of each partition.
type Offsets map[string]map[int32]int64

// Get returns tp's offset and whether o has one.
func (o Offsets) Get(tp TopicPartition) (int64, bool) {
	off, ok := o[tp.Topic][tp.Partition]
	return off, ok
}

// Set sets tp's offset.
func (o Offsets) Set(tp TopicPartition, off int64) {
	ps := o[tp.Topic]
	if ps == nil {
		ps = map[int32]int64{}
		o[tp.Topic] = ps
	}
	ps[tp.Partition] = off
}

// Partitions returns o's partitions sorted by topic then partition.
func (o Offsets) Partitions() []TopicPartition {
	var out []TopicPartition
	for t, ps := range o {
		for p := range ps {
			out = append(out, TopicPartition{t, p})
		}
	}
	slices.SortFunc(out, compareTP)
	return out
}

// Clone returns a deep copy of o.
func (o Offsets) Clone() Offsets {
	if o == nil {
		return nil
	}
	c := make(Offsets, len(o))
	for t, ps := range o {
		m := make(map[int32]int64, len(ps))
		for p, off := range ps {
			m[p] = off
		}
		c[t] = m
	}
	return c
}

// Equal reports whether o and other hold the same partitions and offsets.
func (o Offsets) Equal(other Offsets) bool {
	a, b := o.Partitions(), other.Partitions()
	if !slices.Equal(a, b) {
		return false
	}
	for _, tp := range a {
		x, _ := o.Get(tp)
		y, _ := other.Get(tp)
		if x != y {
			return false
		}
	}
	return true
}

// JSON encodes o as the source's offset. Topics and partitions are
// sorted (partitions as strings, as encoding/json sorts map keys), so the
// same offsets always give the same bytes.
func (o Offsets) JSON() json.RawMessage {
	if o == nil {
		o = Offsets{}
	}
	b, _ := json.Marshal(map[string]map[int32]int64(o))
	return b
}

// ParseOffsets parses an offset of the source; nil or "null" gives nil.
func ParseOffsets(raw json.RawMessage) (Offsets, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var o map[string]map[int32]int64
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("kafka: invalid offset %s: want {\"topic\":{\"0\":123}}: %w", raw, err)
	}
	for t, ps := range o {
		for p, off := range ps {
			if off < 0 || p < 0 {
				return nil, fmt.Errorf("kafka: invalid offset %s: partition %d of topic %q has offset %d", raw, p, t, off)
			}
		}
	}
	if o == nil {
		o = map[string]map[int32]int64{}
	}
	return Offsets(o), nil
}

// Special offsets of StartingOffsets' per-partition JSON (Spark's).
const (
	earliestOffset = -2
	latestOffset   = -1
)

type startKind int

const (
	startLatest startKind = iota
	startEarliest
	startSpecific
)

// startSpec is a parsed startingOffsets option.
type startSpec struct {
	kind startKind
	// specific holds the offsets of startSpecific, with -2 for earliest
	// and -1 for latest.
	specific map[string]map[int32]int64
}

func parseStartingOffsets(s string) (startSpec, error) {
	switch strings.TrimSpace(s) {
	case "", "latest":
		return startSpec{kind: startLatest}, nil
	case "earliest":
		return startSpec{kind: startEarliest}, nil
	}
	var m map[string]map[int32]int64
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return startSpec{}, fmt.Errorf("kafka: startingOffsets %q: want \"earliest\", \"latest\" or JSON like {\"topic\":{\"0\":23,\"1\":-2}}: %w", s, err)
	}
	if len(m) == 0 {
		return startSpec{}, fmt.Errorf("kafka: startingOffsets %q names no partition", s)
	}
	for t, ps := range m {
		if err := checkTopic(t); err != nil {
			return startSpec{}, fmt.Errorf("kafka: startingOffsets: %w", err)
		}
		for p, off := range ps {
			if p < 0 || off < earliestOffset {
				return startSpec{}, fmt.Errorf("kafka: startingOffsets: partition %d of topic %q: offset %d (want -2 for earliest, -1 for latest, or an offset >= 0)", p, t, off)
			}
		}
	}
	return startSpec{kind: startSpecific, specific: m}, nil
}

// checkCovers checks that the specific offsets name exactly the
// partitions of parts (Spark requires every partition).
func (sp startSpec) checkCovers(parts map[string][]int32) error {
	want := Offsets{}
	for t, ps := range parts {
		for _, p := range ps {
			want.Set(TopicPartition{t, p}, 0)
		}
	}
	got := Offsets{}
	for t, ps := range sp.specific {
		for p := range ps {
			got.Set(TopicPartition{t, p}, 0)
		}
	}
	if !want.Equal(got) {
		return fmt.Errorf("kafka: startingOffsets names partitions %v but the source reads %v: "+
			"per-partition startingOffsets must name every partition (use -2 for earliest, -1 for latest)",
			tpList(got.Partitions()), tpList(want.Partitions()))
	}
	return nil
}

func tpList(tps []TopicPartition) string {
	s := make([]string, len(tps))
	for i, tp := range tps {
		s[i] = tp.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

func parseAssign(s string) (map[string][]int32, error) {
	var m map[string][]int32
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("kafka: assign %q: want JSON like {\"topicA\":[0,1]}: %w", s, err)
	}
	n := 0
	for t, ps := range m {
		if err := checkTopic(t); err != nil {
			return nil, fmt.Errorf("kafka: assign: %w", err)
		}
		for _, p := range ps {
			if p < 0 {
				return nil, fmt.Errorf("kafka: assign: topic %q: negative partition %d", t, p)
			}
		}
		slices.Sort(ps)
		m[t] = slices.Compact(ps)
		n += len(m[t])
	}
	if n == 0 {
		return nil, fmt.Errorf("kafka: assign %q names no partition", s)
	}
	return m, nil
}

// checkTopic checks a topic name against Kafka's rules.
func checkTopic(t string) error {
	if t == "" || t == "." || t == ".." || len(t) > 249 {
		return fmt.Errorf("invalid topic name %q", t)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("invalid topic name %q: only ASCII letters, digits, '.', '_' and '-' are allowed", t)
		}
	}
	return nil
}

// splitList splits comma-separated items and drops empty ones.
func splitList(items []string) []string {
	var out []string
	for _, it := range items {
		for _, s := range strings.Split(it, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// origin is a record's origin in quarantine records: "kafka:topic/partition".
func origin(tp TopicPartition) string { return fmt.Sprintf("kafka:%s/%d", tp.Topic, tp.Partition) }
