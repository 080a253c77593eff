package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// partInfo is what the metadata says of a partition.
type partInfo struct {
	leader int32
	epoch  int32
}

// topology is one metadata snapshot of the partitions the source reads.
type topology struct {
	parts map[TopicPartition]partInfo
	ids   map[string][16]byte
	names map[[16]byte]string
}

// sorted returns the partitions, sorted.
func (t *topology) sorted() []TopicPartition {
	o := Offsets{}
	for tp := range t.parts {
		o.Set(tp, 0)
	}
	return o.Partitions()
}

// retries and backoff bound the retries of retriable broker errors.
const (
	retries = 20
	backoff = 100 * time.Millisecond
)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// discover asks the cluster (uncached) for the partitions the source
// reads: every partition of the subscribed topics, of the topics that
// match the pattern, or the assigned partitions that exist.
func (s *Source[T]) discover(ctx context.Context) (*topology, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	var topics []string
	switch {
	case s.cfg.subscribe != nil:
		topics = s.cfg.subscribe
	case s.cfg.assign != nil:
		for t := range s.cfg.assign {
			topics = append(topics, t)
		}
	}
	if topics != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	var resp *kmsg.MetadataResponse
	for attempt := 0; ; attempt++ {
		var err error
		resp, err = req.RequestWith(ctx, s.cl)
		if err == nil {
			break
		}
		if ctx.Err() != nil || attempt >= retries || !kerr.IsRetriable(err) {
			return nil, fmt.Errorf("kafka: metadata of %s: %w", s.Description(), err)
		}
		if err := sleep(ctx, backoff); err != nil {
			return nil, err
		}
	}
	top := &topology{parts: map[TopicPartition]partInfo{}, ids: map[string][16]byte{}, names: map[[16]byte]string{}}
	for _, rt := range resp.Topics {
		if rt.Topic == nil {
			continue
		}
		name := *rt.Topic
		switch err := kerr.ErrorForCode(rt.ErrorCode); {
		case err == nil:
		case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.LeaderNotAvailable):
			continue // not (yet) there
		default:
			return nil, fmt.Errorf("kafka: metadata of topic %q: %w", name, err)
		}
		if s.cfg.pattern != nil && (rt.IsInternal || !s.cfg.pattern.MatchString(name)) {
			continue
		}
		var want map[int32]bool
		if s.cfg.assign != nil {
			want = map[int32]bool{}
			for _, p := range s.cfg.assign[name] {
				want[p] = true
			}
		}
		top.ids[name] = rt.TopicID
		top.names[rt.TopicID] = name
		for _, rp := range rt.Partitions {
			if want != nil && !want[rp.Partition] {
				continue
			}
			top.parts[TopicPartition{name, rp.Partition}] = partInfo{leader: rp.Leader, epoch: rp.LeaderEpoch}
		}
	}
	return top, nil
}

// Special ListOffsets timestamps.
const (
	listEarliest = -2
	listLatest   = -1
)

// listOffsets returns the offsets of tps at ts: listEarliest (the log
// start offsets), listLatest (the high watermarks) or a Unix millisecond
// timestamp (the first offset with a timestamp at or after it, or the
// latest offset when there is none). Partitions that no longer exist are
// left out of the result.
func (s *Source[T]) listOffsets(ctx context.Context, tps []TopicPartition, ts int64) (map[TopicPartition]int64, error) {
	out := make(map[TopicPartition]int64, len(tps))
	todo := tps
	var fallback []TopicPartition // timestamp past every record: latest
	for attempt := 0; len(todo) > 0; attempt++ {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		byTopic := map[string]int{}
		for _, tp := range todo {
			i, ok := byTopic[tp.Topic]
			if !ok {
				i = len(req.Topics)
				byTopic[tp.Topic] = i
				rt := kmsg.NewListOffsetsRequestTopic()
				rt.Topic = tp.Topic
				req.Topics = append(req.Topics, rt)
			}
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = tp.Partition
			rp.CurrentLeaderEpoch = -1
			rp.Timestamp = ts
			rp.MaxNumOffsets = 1
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
		}
		kresp, err := s.cl.Request(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt >= retries || !retriable(err) {
				return nil, fmt.Errorf("kafka: list offsets of %s: %w", tpList(todo), err)
			}
			if err := sleep(ctx, backoff); err != nil {
				return nil, err
			}
			continue
		}
		resp := kresp.(*kmsg.ListOffsetsResponse)
		answered := map[TopicPartition]bool{}
		var again []TopicPartition
		var lastErr error
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				tp := TopicPartition{rt.Topic, rp.Partition}
				answered[tp] = true
				switch err := kerr.ErrorForCode(rp.ErrorCode); {
				case err == nil:
					if ts >= 0 && rp.Offset < 0 {
						fallback = append(fallback, tp)
						continue
					}
					out[tp] = rp.Offset
				case errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.UnknownTopicID):
					// gone: left out
				case retriable(err):
					again = append(again, tp)
					lastErr = err
				default:
					return nil, fmt.Errorf("kafka: list offsets of %s: %w", tp, err)
				}
			}
		}
		for _, tp := range todo {
			if !answered[tp] {
				again = append(again, tp)
			}
		}
		todo = again
		if len(todo) == 0 {
			break
		}
		if attempt >= retries {
			return nil, fmt.Errorf("kafka: list offsets of %s: no answer after %d attempts: %v", tpList(todo), attempt+1, lastErr)
		}
		if err := sleep(ctx, backoff); err != nil {
			return nil, err
		}
	}
	if len(fallback) > 0 {
		latest, err := s.listOffsets(ctx, fallback, listLatest)
		if err != nil {
			return nil, err
		}
		for tp, off := range latest {
			out[tp] = off
		}
	}
	return out, nil
}

// retriable reports whether a request may be tried again.
func retriable(err error) bool {
	if errors.Is(err, kgo.ErrClientClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if kerr.IsRetriable(err) || kgo.IsRetryableBrokerErr(err) {
		return true
	}
	for _, e := range []error{kerr.NotLeaderForPartition, kerr.UnknownLeaderEpoch, kerr.FencedLeaderEpoch,
		kerr.LeaderNotAvailable, kerr.OffsetNotAvailable, kerr.ReplicaNotAvailable} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// fetchResult is one partition's answer to a fetch.
type fetchResult struct {
	err      error // the partition's error code, or nil
	records  []*kgo.Record
	next     int64 // the offset after the last batch processed
	hwm      int64
	logStart int64
}

// fetch fetches tp from pos from its leader.
func (s *Source[T]) fetch(ctx context.Context, top *topology, tp TopicPartition, pos int64) (fetchResult, error) {
	info, ok := top.parts[tp]
	if !ok || info.leader < 0 {
		return fetchResult{err: kerr.LeaderNotAvailable}, nil
	}
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 500
	req.MinBytes = 1
	req.MaxBytes = s.cfg.fetchMax
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = tp.Topic
	rt.TopicID = top.ids[tp.Topic]
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = tp.Partition
	rp.FetchOffset = pos
	rp.PartitionMaxBytes = s.cfg.fetchMax
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := s.cl.Broker(int(info.leader)).RetriableRequest(ctx, req)
	if err != nil {
		return fetchResult{}, err
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fetchResult{err: err}, nil
	}
	for i := range resp.Topics {
		rt := &resp.Topics[i]
		name := rt.Topic
		if name == "" {
			name = top.names[rt.TopicID]
		}
		if name != tp.Topic {
			continue
		}
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			if rp.Partition != tp.Partition {
				continue
			}
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return fetchResult{err: err, hwm: rp.HighWatermark, logStart: rp.LogStartOffset}, nil
			}
			fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
				Offset: pos, Topic: tp.Topic, Partition: tp.Partition, IsolationLevel: kgo.ReadUncommitted(),
			}, rp, kgo.DefaultDecompressor(), nil)
			if fp.Err != nil && len(fp.Records) == 0 {
				return fetchResult{}, fmt.Errorf("kafka: fetch %s at offset %d: %w", tp, pos, fp.Err)
			}
			return fetchResult{records: fp.Records, next: next, hwm: fp.HighWatermark, logStart: fp.LogStartOffset}, nil
		}
	}
	return fetchResult{err: kerr.UnknownTopicOrPartition}, nil
}
