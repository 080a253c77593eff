package kafka_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/source/kafka"
)

func TestOptionsValidation(t *testing.T) {
	cp := newEnv(t).checkpoint()
	bs := kafka.BootstrapServers("localhost:9092")
	drop := kafka.OnMalformed(kafka.DropMalformed)
	cases := []struct {
		name string
		opts []kafka.Opt
		want string
	}{
		{"no bootstrap", []kafka.Opt{kafka.Subscribe("a"), drop}, "BootstrapServers"},
		{"no subscription", []kafka.Opt{bs, drop}, "exactly one of subscribe"},
		{"two subscriptions", []kafka.Opt{bs, drop, kafka.Subscribe("a"), kafka.SubscribePattern("a.*")}, "exactly one of subscribe"},
		{"bad pattern", []kafka.Opt{bs, drop, kafka.SubscribePattern("(")}, "subscribePattern"},
		{"bad assign", []kafka.Opt{bs, drop, kafka.Assign(`{"a":0}`)}, "assign"},
		{"bad topic", []kafka.Opt{bs, drop, kafka.Subscribe("a b")}, "invalid topic name"},
		{"bad starting", []kafka.Opt{bs, drop, kafka.Subscribe("a"), kafka.StartingOffsets("oldest")}, "startingOffsets"},
		{"starting misses partition", []kafka.Opt{bs, drop, kafka.Assign(`{"a":[0,1]}`), kafka.StartingOffsets(`{"a":{"0":-2}}`)}, "must name every partition"},
		{"min over max", []kafka.Opt{bs, drop, kafka.Subscribe("a"), kafka.MaxOffsetsPerTrigger(5), kafka.MinOffsetsPerTrigger(6)}, "minOffsetsPerTrigger"},
		{"quarantine without writer", []kafka.Opt{bs, kafka.Subscribe("a")}, "QuarantineTo"},
		{"bad sasl", []kafka.Opt{bs, drop, kafka.Subscribe("a"), kafka.SASL("GSSAPI", "u", kafka.SecretValue("p"))}, "SASL mechanism"},
		{"sasl env unset", []kafka.Opt{bs, drop, kafka.Subscribe("a"), kafka.SASL("PLAIN", "u", kafka.SecretFromEnv("STREAMGEN_TEST_UNSET_SECRET"))}, "STREAMGEN_TEST_UNSET_SECRET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := kafka.New(context.Background(), cp, 0, newDecoder, c.opts...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestOffsetsJSON(t *testing.T) {
	o, err := kafka.ParseOffsets(json.RawMessage(`{"b":{"10":3,"2":1},"a":{"0":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(o.JSON()), `{"a":{"0":7},"b":{"10":3,"2":1}}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	want := []kafka.TopicPartition{{"a", 0}, {"b", 2}, {"b", 10}}
	if diff := cmp.Diff(want, o.Partitions()); diff != "" {
		t.Errorf("partitions (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"a":{"0":-1}}`, `{"a":{"x":1}}`, `[1]`} {
		if _, err := kafka.ParseOffsets(json.RawMessage(bad)); err == nil {
			t.Errorf("ParseOffsets(%s) accepted", bad)
		}
	}
}

func TestStartingOffsetsEarliestLatestRecordedOnce(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 3)
	e.produceReadings("t", 1, "b", 5)

	for _, c := range []struct {
		spec, want string
	}{
		{"earliest", `{"t":{"0":0,"1":0}}`},
		{"latest", `{"t":{"0":3,"1":5}}`},
		{`{"t":{"0":1,"1":-1}}`, `{"t":{"0":1,"1":5}}`},
		{`{"t":{"0":-2,"1":2}}`, `{"t":{"0":0,"1":2}}`},
	} {
		t.Run(c.spec, func(t *testing.T) {
			e.cpDir = t.TempDir()
			s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets(c.spec))
			if got := string(initial(t, s)); got != c.want {
				t.Fatalf("InitialOffset = %s, want %s", got, c.want)
			}
		})
	}

	// "latest" is resolved once: new records and a restart do not move it.
	e.cpDir = t.TempDir()
	s := e.source(kafka.Subscribe("t"))
	first := initial(t, s)
	e.produceReadings("t", 0, "a", 2)
	if got := initial(t, s); string(got) != string(first) {
		t.Errorf("second InitialOffset = %s, want %s", got, first)
	}
	s2 := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest")) // changed option: the log wins
	if got := initial(t, s2); string(got) != string(first) {
		t.Errorf("InitialOffset after restart = %s, want %s", got, first)
	}
	// And the rows after it are what the query reads.
	end := latest(t, s2, first)
	rows, _ := read(t, s2, first, end)
	if len(rows) != 2 || rows[0].Offset != 3 || rows[1].Offset != 4 {
		t.Errorf("rows after latest: %+v", rows)
	}
}

func TestStartingOffsetsSpecificErrors(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 3)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets(`{"t":{"0":1}}`))
	if _, err := s.InitialOffset(context.Background()); err == nil || !strings.Contains(err.Error(), "must name every partition") {
		t.Errorf("missing partition: err = %v", err)
	}
	e.cpDir = t.TempDir()
	s = e.source(kafka.Subscribe("t"), kafka.StartingOffsets(`{"t":{"0":9,"1":0}}`))
	if _, err := s.InitialOffset(context.Background()); err == nil || !strings.Contains(err.Error(), "past its latest offset 3") {
		t.Errorf("offset past the end: err = %v", err)
	}
}

func TestStartingTimestamp(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	t0 := time.UnixMilli(1_700_000_000_000)
	var rs []*kgo.Record
	for i := range 4 {
		for p := range int32(2) {
			rs = append(rs, &kgo.Record{Topic: "t", Partition: p, Value: []byte(fmt.Sprintf(`{"device":"d%d","temp":%d}`, p, i)),
				Timestamp: t0.Add(time.Duration(i) * time.Minute)})
		}
	}
	e.produceRecords(rs...)
	s := e.source(kafka.Subscribe("t"), kafka.StartingTimestamp(t0.Add(90*time.Second)), kafka.StartingOffsets("earliest"))
	if got, want := string(initial(t, s)), `{"t":{"0":2,"1":2}}`; got != want {
		t.Errorf("InitialOffset = %s, want %s", got, want)
	}
	// Past every record: the latest offsets.
	e.cpDir = t.TempDir()
	s = e.source(kafka.Subscribe("t"), kafka.StartingTimestamp(t0.Add(time.Hour)))
	if got, want := string(initial(t, s)), `{"t":{"0":4,"1":4}}`; got != want {
		t.Errorf("InitialOffset past the end = %s, want %s", got, want)
	}
}

func TestReadExactRangeDeterministic(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 10)
	e.produceReadings("t", 1, "b", 10)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.IncludeHeaders(true))
	start := json.RawMessage(`{"t":{"0":2,"1":5}}`)
	end := json.RawMessage(`{"t":{"0":7,"1":6}}`)
	rows, st := read(t, s, start, end)
	var want []got
	for i := 2; i < 7; i++ {
		want = append(want, got{reading{"a", i}, "t", 0, int64(i)})
	}
	want = append(want, got{reading{"b", 5}, "t", 1, 5})
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if st.Rows != 6 || st.Records != 6 || st.Bytes == 0 {
		t.Errorf("stats = %+v", st)
	}
	// Again, on a restarted source: the same records.
	again, _ := read(t, e.source(kafka.Subscribe("t")), start, end)
	if diff := cmp.Diff(rows, again); diff != "" {
		t.Errorf("re-read (-first +again):\n%s", diff)
	}
	// An empty range reads nothing.
	if rows, _ := read(t, s, end, end); len(rows) != 0 {
		t.Errorf("empty range read %d rows", len(rows))
	}
}

func TestRecordFields(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 1)
	ts := time.UnixMilli(1_700_000_123_456)
	e.produceRecords(&kgo.Record{Topic: "t", Key: []byte("k1"), Value: []byte(`{"device":"x","temp":1}`), Timestamp: ts,
		Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}})
	for _, withHeaders := range []bool{true, false} {
		s := e.source(kafka.Subscribe("t"), kafka.IncludeHeaders(withHeaders))
		var recs []kafka.Record
		_, err := s.Read(context.Background(), json.RawMessage(`{"t":{"0":0}}`), json.RawMessage(`{"t":{"0":1}}`),
			func(r *reading, rec *kafka.Record) error {
				c := *rec
				c.Key, c.Value = append([]byte(nil), rec.Key...), append([]byte(nil), rec.Value...)
				c.Headers = append([]kafka.Header(nil), rec.Headers...)
				recs = append(recs, c)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		want := kafka.Record{Key: []byte("k1"), Value: []byte(`{"device":"x","temp":1}`), Topic: "t", Partition: 0, Offset: 0,
			Timestamp: ts, TimestampType: kafka.CreateTime}
		if withHeaders {
			want.Headers = []kafka.Header{{Key: "h", Value: []byte("v")}}
		}
		if diff := cmp.Diff([]kafka.Record{want}, recs); diff != "" {
			t.Errorf("headers %v: records (-want +got):\n%s", withHeaders, diff)
		}
	}
}

func TestSubscribePatternAndAssign(t *testing.T) {
	e := newEnv(t)
	e.createTopic("sensors-a", 1)
	e.createTopic("sensors-b", 2)
	e.createTopic("other", 1)
	e.produceReadings("sensors-a", 0, "a", 1)
	e.produceReadings("sensors-b", 1, "b", 2)
	e.produceReadings("other", 0, "o", 3)

	s := e.source(kafka.SubscribePattern(`sensors-.*`), kafka.StartingOffsets("earliest"))
	if got, want := string(latest(t, s, initial(t, s))), `{"sensors-a":{"0":1},"sensors-b":{"0":0,"1":2}}`; got != want {
		t.Errorf("pattern: LatestOffset = %s, want %s", got, want)
	}
	// A topic created later that matches is picked up, from offset 0.
	start := latest(t, s, initial(t, s))
	e.createTopic("sensors-c", 1)
	e.produceReadings("sensors-c", 0, "c", 2)
	end := latest(t, s, start)
	if got, want := string(end), `{"sensors-a":{"0":1},"sensors-b":{"0":0,"1":2},"sensors-c":{"0":2}}`; got != want {
		t.Errorf("pattern after new topic: LatestOffset = %s, want %s", got, want)
	}
	rows, _ := read(t, s, start, end)
	if len(rows) != 2 || rows[0].Topic != "sensors-c" {
		t.Errorf("rows of the new topic: %+v", rows)
	}

	e.cpDir = t.TempDir()
	s = e.source(kafka.Assign(`{"sensors-b":[1],"other":[0]}`), kafka.StartingOffsets("earliest"))
	if got, want := string(latest(t, s, initial(t, s))), `{"other":{"0":3},"sensors-b":{"1":2}}`; got != want {
		t.Errorf("assign: LatestOffset = %s, want %s", got, want)
	}
	if got := s.Description(); got != "KafkaV2[Assign[[other-0 sensors-b-1]]]" {
		t.Errorf("Description = %q", got)
	}
	e.cpDir = t.TempDir()
	s = e.source(kafka.Assign(`{"sensors-b":[7]}`))
	if _, err := s.InitialOffset(context.Background()); err == nil || !strings.Contains(err.Error(), "sensors-b-7 does not exist") {
		t.Errorf("assign of a missing partition: err = %v", err)
	}
}

func TestNewPartitionsStartAtEarliest(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 1)
	e.produceReadings("t", 0, "a", 2)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("latest"))
	start := initial(t, s)
	e.addPartitions("t", 1)
	e.produceToNewPartition("t", 1, "new", 3)
	e.produceReadings("t", 0, "a", 1)
	var end json.RawMessage
	// Metadata may take a moment to show the new partition.
	for range 50 {
		if end = latest(t, s, start); strings.Contains(string(end), `"1":3`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, want := string(end), `{"t":{"0":3,"1":3}}`; got != want {
		t.Fatalf("LatestOffset = %s, want %s", got, want)
	}
	rows, _ := read(t, s, start, end)
	want := []got{{reading{"a", 0}, "t", 0, 2}, {reading{"new", 0}, "t", 1, 0}, {reading{"new", 1}, "t", 1, 1}, {reading{"new", 2}, "t", 1, 2}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestMaxOffsetsPerTriggerSplitsByBacklog(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 3)
	e.produceReadings("t", 0, "a", 100)
	e.produceReadings("t", 1, "b", 10)
	e.produceReadings("t", 2, "c", 1)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.MaxOffsetsPerTrigger(20))
	start := initial(t, s)
	end := latest(t, s, start)
	// Spark's rule, computed by hand: backlog 100, 10, 1 (total 111);
	// shares 20*100/111 = 18.02 → 18, 20*10/111 = 1.80 → 1,
	// 20*1/111 = 0.18 → ceil → 1.
	if got, want := string(end), `{"t":{"0":18,"1":1,"2":1}}`; got != want {
		t.Errorf("first batch end = %s, want %s", got, want)
	}
	// Next: backlog 82, 9, 0 (total 91): 20*82/91 = 18.02 → 18,
	// 20*9/91 = 1.98 → 1; partition 2 has none.
	end2 := latest(t, s, end)
	if got, want := string(end2), `{"t":{"0":36,"1":2,"2":1}}`; got != want {
		t.Errorf("second batch end = %s, want %s", got, want)
	}
	// All available ignores the limit.
	all, err := s.LatestOffsetAllAvailable(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(all), `{"t":{"0":100,"1":10,"2":1}}`; got != want {
		t.Errorf("all available = %s, want %s", got, want)
	}
}

func TestMinOffsetsPerTriggerAndMaxTriggerDelay(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 1)
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.MinOffsetsPerTrigger(5),
		kafka.MaxTriggerDelay(time.Minute), kafka.Now(clock))
	start := initial(t, s)
	e.produceReadings("t", 0, "a", 2)
	// The first trigger of a process passes (Spark's lastTriggerMillis
	// starts at 0).
	end := latest(t, s, start)
	if string(end) != `{"t":{"0":2}}` {
		t.Fatalf("first trigger: %s", end)
	}
	e.produceReadings("t", 0, "a", 3)
	now = now.Add(10 * time.Second)
	if got := latest(t, s, end); string(got) != string(end) {
		t.Errorf("3 new offsets < 5 before the delay: %s, want it held back at %s", got, end)
	}
	e.produceReadings("t", 0, "a", 2)
	now = now.Add(10 * time.Second)
	if got := latest(t, s, end); string(got) != `{"t":{"0":7}}` {
		t.Errorf("5 new offsets: %s", got)
	}
	e.produceReadings("t", 0, "a", 1)
	now = now.Add(30 * time.Second)
	if got := latest(t, s, json.RawMessage(`{"t":{"0":7}}`)); string(got) != `{"t":{"0":7}}` {
		t.Errorf("1 new offset before the delay: %s", got)
	}
	now = now.Add(time.Minute)
	if got := latest(t, s, json.RawMessage(`{"t":{"0":7}}`)); string(got) != `{"t":{"0":8}}` {
		t.Errorf("after maxTriggerDelay: %s", got)
	}
}

func TestAvailableNowFixesTheEnd(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 4)
	e.produceReadings("t", 1, "b", 2)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.MaxOffsetsPerTrigger(3))
	start := initial(t, s)
	if err := s.PrepareAvailableNow(context.Background(), start); err != nil {
		t.Fatal(err)
	}
	e.produceReadings("t", 0, "a", 5) // after the start: next run
	var ends []string
	for off := start; ; {
		next := latest(t, s, off)
		if string(next) == string(off) {
			break
		}
		ends = append(ends, string(next))
		off = next
	}
	// Backlog 4, 2 → shares 2, 1; then 2, 1 → 2, 1: everything fixed
	// at the start, nothing produced after it.
	want := []string{`{"t":{"0":2,"1":1}}`, `{"t":{"0":4,"1":2}}`}
	if diff := cmp.Diff(want, ends); diff != "" {
		t.Errorf("batch ends (-want +got):\n%s", diff)
	}
	m := s.Metrics(context.Background(), json.RawMessage(`{"t":{"0":3,"1":2}}`))
	if diff := cmp.Diff(map[string]string{"minOffsetsBehindLatest": "0", "maxOffsetsBehindLatest": "1", "avgOffsetsBehindLatest": "0.5"}, m); diff != "" {
		t.Errorf("metrics against the fixed end (-want +got):\n%s", diff)
	}
}

func TestMetricsAndCommitToGroup(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 10)
	e.produceReadings("t", 1, "b", 4)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.CommitToGroup("lag-tools"))
	end := json.RawMessage(`{"t":{"0":3,"1":4}}`)
	// A fresh process lists the latest offsets itself.
	m := s.Metrics(context.Background(), end)
	if diff := cmp.Diff(map[string]string{"minOffsetsBehindLatest": "0", "maxOffsetsBehindLatest": "7", "avgOffsetsBehindLatest": "3.5"}, m); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	for range 2 { // idempotent
		if err := s.Commit(context.Background(), end); err != nil {
			t.Fatal(err)
		}
	}
	os, err := e.adm.FetchOffsets(context.Background(), "lag-tools")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    int32
		want int64
	}{{0, 3}, {1, 4}} {
		o, ok := os.Lookup("t", c.p)
		if !ok || o.At != c.want {
			t.Errorf("committed offset of t-%d = %+v, want %d", c.p, o, c.want)
		}
	}
	// Without CommitToGroup nothing is committed.
	s2 := e.source(kafka.Subscribe("t"))
	if err := s2.Commit(context.Background(), end); err != nil {
		t.Fatal(err)
	}
	groups, err := e.adm.ListGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 {
		t.Errorf("groups = %v, want only lag-tools", groups.Groups())
	}
}

func TestMalformedPolicies(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 1)
	e.produce("t", 0, `{"device":"a","temp":1}`, `not json`, `{"temp":2}`, `{"device":"b","temp":3}`)
	e.produceRecords(&kgo.Record{Topic: "t", Partition: 0, Key: []byte("k")}) // tombstone
	start, end := json.RawMessage(`{"t":{"0":0}}`), json.RawMessage(`{"t":{"0":5}}`)

	s := e.source(kafka.Subscribe("t"), kafka.OnMalformed(kafka.FailMalformed))
	_, err := s.Read(context.Background(), start, end, func(*reading, *kafka.Record) error { return nil })
	var me *kafka.MalformedError
	if !errors.As(err, &me) || me.Offset != 1 || !strings.HasPrefix(err.Error(), "kafka: t/0@1: ") {
		t.Errorf("fail: err = %v", err)
	}

	s = e.source(kafka.Subscribe("t"), kafka.OnMalformed(kafka.DropMalformed))
	rows, st := read(t, s, start, end)
	if len(rows) != 2 || st.Malformed != 3 || st.Dropped != 3 || st.Records != 5 {
		t.Errorf("drop: %d rows, stats %+v", len(rows), st)
	}
}
