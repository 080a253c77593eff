package kafka_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/kafka"
)

// deleteRecords deletes the records of tp before offset before, as
// retention would.
func (e *env) deleteRecords(topic string, p int32, before int64) {
	e.t.Helper()
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: topic, Partition: p, At: before, LeaderEpoch: -1})
	resp, err := e.adm.DeleteRecords(context.Background(), os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestDataLossRetentionFails(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 10)
	e.produceReadings("t", 1, "b", 3)
	s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"))
	start := initial(t, s)
	end := latest(t, s, start)
	e.deleteRecords("t", 0, 6)
	_, err := s.Read(context.Background(), start, end, func(*reading, *kafka.Record) error { return nil })
	var dl *kafka.DataLossError
	if !errors.As(err, &dl) {
		t.Fatalf("err = %v, want a *DataLossError", err)
	}
	if dl.TP != (kafka.TopicPartition{Topic: "t", Partition: 0}) || dl.From != 0 || dl.To != 6 {
		t.Errorf("DataLossError = %+v", dl)
	}
	if !strings.Contains(err.Error(), `topic "t" partition 0: offsets [0, 6)`) || !strings.Contains(err.Error(), "failOnDataLoss=false") {
		t.Errorf("message: %v", err)
	}
}

func TestDataLossRetentionContinues(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produceReadings("t", 0, "a", 10)
	e.produceReadings("t", 1, "b", 3)
	q := quarantine.NewMemory()
	cp := e.checkpoint()
	s := e.sourceOn(cp, kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.FailOnDataLoss(false),
		kafka.OnMalformed(kafka.QuarantineMalformed), kafka.QuarantineTo(q))
	start := initial(t, s)
	end := latest(t, s, start)
	logOffsets(t, cp, 0, end)
	e.deleteRecords("t", 0, 6)
	rows, st := read(t, s, start, end)
	var offs []int64
	for _, r := range rows {
		if r.Partition == 0 {
			offs = append(offs, r.Offset)
		}
	}
	if diff := cmp.Diff([]int64{6, 7, 8, 9}, offs); diff != "" {
		t.Errorf("offsets read of t-0 (-want +got):\n%s", diff)
	}
	if len(rows) != 7 {
		t.Errorf("read %d rows, want 7", len(rows))
	}
	if st.OffsetsLost != 6 || len(st.Lost) != 1 || st.Metrics()["numOffsetsLost"] != "6" {
		t.Errorf("stats = %+v", st)
	}
	// A re-run reads the same and quarantines once.
	again, _ := read(t, s, start, end)
	if diff := cmp.Diff(rows, again); diff != "" {
		t.Errorf("re-run (-first +again):\n%s", diff)
	}
	bs := q.Batches()
	if len(bs) != 1 || bs[0].Version != 0 || len(bs[0].Records) != 1 {
		t.Fatalf("quarantine batches = %+v", bs)
	}
	r := bs[0].Records[0]
	if r.File != "kafka:t/0" || r.Offset != 0 || !strings.HasPrefix(r.Err, "data loss: offsets [0, 6) of topic \"t\" partition 0") {
		t.Errorf("quarantine record = %+v", r)
	}
}

func TestDataLossTopicDeleted(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 1)
	e.createTopic("u", 1)
	e.produceReadings("t", 0, "a", 3)
	e.produceReadings("u", 0, "b", 2)
	for _, fail := range []bool{true, false} {
		e.cpDir = t.TempDir()
		s := e.source(kafka.SubscribePattern("t|u"), kafka.StartingOffsets("earliest"), kafka.FailOnDataLoss(fail))
		start := json.RawMessage(`{"t":{"0":1},"u":{"0":0}}`)
		if fail {
			if _, err := e.adm.DeleteTopics(context.Background(), "t"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			_, err := s.LatestOffset(context.Background(), start)
			var dl *kafka.DataLossError
			if !errors.As(err, &dl) || dl.TP.Topic != "t" || dl.From != 1 || !strings.Contains(err.Error(), "no longer exists") {
				t.Errorf("fail: err = %v", err)
			}
			continue
		}
		end := latest(t, s, start)
		if got, want := string(end), `{"u":{"0":2}}`; got != want {
			t.Errorf("continue: LatestOffset = %s, want %s", got, want)
		}
		rows, st := read(t, s, start, end)
		if len(rows) != 2 || len(st.Lost) != 1 || st.Lost[0].TP.Topic != "t" || st.Lost[0].To != -1 {
			t.Errorf("continue: %d rows, stats %+v", len(rows), st)
		}
	}
}
