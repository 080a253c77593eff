package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// TimestampType says what a record's timestamp means (Spark's
// timestampType column).
type TimestampType int8

// The timestamp types.
const (
	// CreateTime is the producer's timestamp.
	CreateTime TimestampType = 0
	// LogAppendTime is the broker's, set when the record was appended.
	LogAppendTime TimestampType = 1
)

// String returns "CreateTime" or "LogAppendTime".
func (t TimestampType) String() string {
	switch t {
	case CreateTime:
		return "CreateTime"
	case LogAppendTime:
		return "LogAppendTime"
	}
	return "TimestampType(" + strconv.Itoa(int(t)) + ")"
}

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is a Kafka record as Read hands it over with its decoded value:
// Spark's Kafka source columns. Its slices are valid only during the
// callback.
type Record struct {
	Key       []byte
	Value     []byte
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	// TimestampType says whether Timestamp is the producer's or the
	// broker's.
	TimestampType TimestampType
	// Headers are the record's headers with IncludeHeaders, else nil.
	Headers []Header
}

// LostRange is a range of offsets lost under FailOnDataLoss(false).
type LostRange struct {
	TP TopicPartition
	// From and To are the offsets lost, [From, To); To is -1 when the
	// end is unknown (the partition is gone).
	From, To int64
	Reason   string
}

// Stats counts what a Read read.
type Stats struct {
	// Rows is the number of rows handed to the callback.
	Rows int64
	// Records is the number of Kafka records read: Rows plus Malformed.
	Records int64
	// Bytes is the total size of the records' keys and values.
	Bytes int64
	// Malformed is the number of records the decoder rejected:
	// Quarantined plus Dropped.
	Malformed int64
	// Quarantined is the number of malformed records quarantined.
	Quarantined int64
	// Dropped is the number of malformed records dropped.
	Dropped int64
	// OffsetsLost is the number of offsets lost (see FailOnDataLoss),
	// where known; Lost lists the ranges.
	OffsetsLost int64
	Lost        []LostRange
}

// The keys of Stats.Metrics, the Kafka source's per-batch metrics in
// progress reports (SourceProgress.Metrics).
const (
	MetricRecordsRead          = "numRecordsRead"
	MetricBytesRead            = "numBytesRead"
	MetricMalformedRows        = "numMalformedRows"
	MetricQuarantinedRows      = "numQuarantinedRows"
	MetricDroppedMalformedRows = "numDroppedMalformedRows"
	MetricOffsetsLost          = "numOffsetsLost"
	MetricDataLossRanges       = "numDataLossRanges"
)

// Metrics returns the counts as progress metrics: numRecordsRead,
// numBytesRead, numMalformedRows, numQuarantinedRows,
// numDroppedMalformedRows, numOffsetsLost and numDataLossRanges, as
// decimal integers. A Runner passes them to the engine in
// stream.BatchResult.SourceMetrics.
func (st Stats) Metrics() map[string]string {
	return map[string]string{
		MetricRecordsRead:          strconv.FormatInt(st.Records, 10),
		MetricBytesRead:            strconv.FormatInt(st.Bytes, 10),
		MetricMalformedRows:        strconv.FormatInt(st.Malformed, 10),
		MetricQuarantinedRows:      strconv.FormatInt(st.Quarantined, 10),
		MetricDroppedMalformedRows: strconv.FormatInt(st.Dropped, 10),
		MetricOffsetsLost:          strconv.FormatInt(st.OffsetsLost, 10),
		MetricDataLossRanges:       strconv.Itoa(len(st.Lost)),
	}
}

// MalformedError is the error of a malformed record under FailMalformed:
// "kafka: <topic>/<partition>@<offset>: <field>: <msg>". It wraps the
// decoder's error.
type MalformedError struct {
	TP     TopicPartition
	Offset int64
	Err    error
}

// Error formats the error.
func (e *MalformedError) Error() string {
	return fmt.Sprintf("kafka: %s/%d@%d: %s", e.TP.Topic, e.TP.Partition, e.Offset, reason(e.Err))
}

// Unwrap returns the decoder's error.
func (e *MalformedError) Unwrap() error { return e.Err }

func reason(err error) string {
	var de *streamimpl.DecodeError
	if errors.As(err, &de) && de.Field != "" {
		return de.Field + ": " + de.Msg
	}
	return err.Error()
}

// errNullValue is the reason of a record without a value (a tombstone).
var errNullValue = errors.New("null value (tombstone)")

// Read reads the batch [start, end) of each partition in end: exactly the
// records at those offsets, partition after partition in order (topic,
// then partition number), each record's value decoded into a row handed
// to fn with the record. A partition in end but not in start (created
// after the query started) is read from offset 0. *row and *rec are
// reused: they are valid only during the call. Reading the same range
// again reads the same records, unless some were lost in between.
//
// Malformed values follow OnMalformed. Offsets of the range that are
// gone (see FailOnDataLoss) stop the Read with a *DataLossError, or are
// skipped, counted in Stats and, with a quarantine writer, recorded as a
// quarantine record whose Err starts "data loss:". Quarantined records
// go to the writer after every valid row was handed to fn, as one
// quarantine.Batch keyed by the query's ID, the source index and the
// batch ID that logged end in the checkpoint's offsets (so a re-run is
// quarantined once). An error from fn stops the Read and is returned as
// is.
func (s *Source[T]) Read(ctx context.Context, start, end json.RawMessage, fn func(row *T, rec *Record) error) (Stats, error) {
	var st Stats
	from, err := ParseOffsets(start)
	if err != nil {
		return st, err
	}
	to, err := ParseOffsets(end)
	if err != nil {
		return st, err
	}
	if from == nil {
		from = Offsets{}
	}
	r := &reader[T]{s: s, fn: fn, st: &st, dec: s.newDecoder()}
	// Partitions of start missing from end are gone.
	for _, tp := range from.Partitions() {
		if _, ok := to.Get(tp); !ok {
			b, _ := from.Get(tp)
			if err := r.lost(tp, b, -1, "the partition no longer exists"); err != nil {
				return st, err
			}
		}
	}
	var todo []TopicPartition
	for _, tp := range to.Partitions() {
		b, ok := from.Get(tp)
		e, _ := to.Get(tp)
		if !ok {
			b = 0
		}
		switch {
		case e < b:
			if err := r.lost(tp, b, b, fmt.Sprintf("the partition's offset went back from %d to %d (was the topic re-created?)", b, e)); err != nil {
				return st, err
			}
		case e > b:
			todo = append(todo, tp)
		}
	}
	if len(todo) > 0 {
		top, err := s.discover(ctx)
		if err != nil {
			return st, err
		}
		starts, err := s.listOffsets(ctx, todo, listEarliest)
		if err != nil {
			return st, err
		}
		for _, tp := range todo {
			b, ok := from.Get(tp)
			if !ok {
				b = 0
			}
			e, _ := to.Get(tp)
			if err := r.partition(ctx, top, tp, b, e, starts); err != nil {
				return st, err
			}
		}
	}
	if len(r.bad) > 0 {
		version, err := s.batchOf(ctx, to)
		if err != nil {
			return st, fmt.Errorf("kafka: quarantine %d records: %w", len(r.bad), err)
		}
		err = s.cfg.quarantine.Write(ctx, quarantine.Batch{QueryID: s.cp.ID(), Source: s.index, Version: version, Records: r.bad})
		if err != nil {
			return st, fmt.Errorf("kafka: quarantine %d records of the batch ending at %s: %w", len(r.bad), end, err)
		}
	}
	return st, nil
}

// batchOf returns the newest batch whose logged offset of this source is
// end: the batch being read, whose offsets the engine logged before the
// read.
func (s *Source[T]) batchOf(ctx context.Context, end Offsets) (int64, error) {
	n, seq, err := s.cp.LatestOffsets(ctx)
	if err != nil {
		return 0, err
	}
	for id := n; id >= 0 && id > n-1000; id-- {
		if id != n {
			if seq, err = s.cp.Offsets(ctx, id); err != nil {
				break
			}
		}
		if s.index < len(seq.Offsets) {
			if off, err := ParseOffsets(seq.Offsets[s.index]); err == nil && off != nil && off.Equal(end) {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("no batch in the checkpoint's offsets log ends at %s for source %d: Read a range the query logged", end.JSON(), s.index)
}

// reader is the state of one Read.
type reader[T any] struct {
	s   *Source[T]
	fn  func(row *T, rec *Record) error
	st  *Stats
	dec streamimpl.Decoder[T]
	row T
	rec Record
	bad []quarantine.Record
}

// lost handles offsets [from, to) of tp that are gone.
func (r *reader[T]) lost(tp TopicPartition, from, to int64, why string) error {
	s := r.s
	if s.cfg.failOnLoss {
		return &DataLossError{TP: tp, From: from, To: to, Reason: why}
	}
	s.cfg.logger.Warn("kafka: data loss (failOnDataLoss=false): skipping offsets", "source", s.desc,
		"partition", tp.String(), "from", from, "to", to, "reason", why)
	lr := LostRange{TP: tp, From: from, To: to, Reason: why}
	r.st.Lost = append(r.st.Lost, lr)
	if to > from {
		r.st.OffsetsLost += to - from
	}
	if s.cfg.quarantine != nil {
		rng := fmt.Sprintf("[%d, %d)", from, to)
		if to < 0 {
			rng = fmt.Sprintf("from %d on", from)
		}
		r.bad = append(r.bad, quarantine.Record{
			Raw: []byte{}, File: origin(tp), Offset: from,
			Err: fmt.Sprintf("data loss: offsets %s of topic %q partition %d were skipped: %s", rng, tp.Topic, tp.Partition, why),
		})
	}
	return nil
}

// maxStalls bounds the fetches in a row that make no progress.
const maxStalls = 50

// partition reads [pos, end) of tp.
func (r *reader[T]) partition(ctx context.Context, top *topology, tp TopicPartition, pos, end int64, starts map[TopicPartition]int64) error {
	s := r.s
	logStart, ok := starts[tp]
	if !ok {
		return r.lost(tp, pos, end, "the partition no longer exists")
	}
	if pos < logStart {
		if err := r.lost(tp, pos, min(logStart, end), fmt.Sprintf("the earliest available offset is %d (deleted by retention or DeleteRecords)", logStart)); err != nil {
			return err
		}
		pos = logStart
	}
	stalls := 0
	for pos < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := s.fetch(ctx, top, tp, pos)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !retriable(err) || stalls >= maxStalls {
				return fmt.Errorf("kafka: fetch %s at offset %d: %w", tp, pos, err)
			}
			res.err = err
		}
		if res.err != nil {
			switch {
			case errors.Is(res.err, kerr.OffsetOutOfRange):
				now, err := s.listOffsets(ctx, []TopicPartition{tp}, listEarliest)
				if err != nil {
					return err
				}
				ls, ok := now[tp]
				switch {
				case !ok:
					return r.lost(tp, pos, end, "the partition no longer exists")
				case pos < ls:
					if err := r.lost(tp, pos, min(ls, end), fmt.Sprintf("the earliest available offset is %d (deleted by retention or DeleteRecords)", ls)); err != nil {
						return err
					}
					pos = ls
					continue
				default:
					return r.lost(tp, pos, end, fmt.Sprintf("offset %d is past the partition's end (the log was truncated)", pos))
				}
			case errors.Is(res.err, kerr.UnknownTopicOrPartition) || errors.Is(res.err, kerr.UnknownTopicID) || retriable(res.err):
				if stalls++; stalls > maxStalls {
					return fmt.Errorf("kafka: fetch %s at offset %d: %w", tp, pos, res.err)
				}
				if err := sleep(ctx, backoff); err != nil {
					return err
				}
				if top, err = s.discover(ctx); err != nil {
					return err
				}
				if _, ok := top.parts[tp]; !ok {
					return r.lost(tp, pos, end, "the partition no longer exists")
				}
				continue
			default:
				return fmt.Errorf("kafka: fetch %s at offset %d: %w", tp, pos, res.err)
			}
		}
		progressed := false
		for _, kr := range res.records {
			if kr.Offset < pos {
				continue
			}
			if kr.Offset >= end {
				break
			}
			progressed = true
			if err := r.record(tp, kr.Offset, kr.Key, kr.Value, kr.Timestamp, TimestampType(kr.Attrs.TimestampType()), kr.Headers); err != nil {
				return err
			}
		}
		if res.next > pos {
			pos = res.next
			progressed = true
		}
		if !progressed {
			if res.hwm >= 0 && res.hwm <= pos {
				return r.lost(tp, pos, end, fmt.Sprintf("the partition ends at offset %d now (the log was truncated)", res.hwm))
			}
			if stalls++; stalls > maxStalls {
				return fmt.Errorf("kafka: fetch %s at offset %d: no progress after %d fetches (high watermark %d)", tp, pos, stalls, res.hwm)
			}
			continue
		}
		stalls = 0
	}
	return nil
}

// record decodes one record and hands it over.
func (r *reader[T]) record(tp TopicPartition, off int64, key, value []byte, ts time.Time, tt TimestampType, hdrs []kgo.RecordHeader) error {
	s, st := r.s, r.st
	st.Records++
	st.Bytes += int64(len(key) + len(value))
	var derr error
	if value == nil {
		derr = errNullValue
	} else {
		derr = r.dec.Decode(value, &r.row)
	}
	if derr != nil {
		st.Malformed++
		switch s.cfg.malformed {
		case FailMalformed:
			return &MalformedError{TP: tp, Offset: off, Err: derr}
		case DropMalformed:
			st.Dropped++
		default:
			st.Quarantined++
			raw := bytes.Clone(value)
			if raw == nil {
				raw = []byte{}
			}
			r.bad = append(r.bad, quarantine.Record{Raw: raw, File: origin(tp), Offset: off, Err: derr.Error()})
		}
		return nil
	}
	st.Rows++
	rec := &r.rec
	*rec = Record{Key: key, Value: value, Topic: tp.Topic, Partition: tp.Partition, Offset: off, Timestamp: ts, TimestampType: tt, Headers: rec.Headers[:0]}
	if s.cfg.headers {
		for _, h := range hdrs {
			rec.Headers = append(rec.Headers, Header{Key: h.Key, Value: h.Value})
		}
	} else {
		rec.Headers = nil
	}
	return r.fn(&r.row, rec)
}
