package files_test

import (
	"time"

	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// This file is a copy of the decoder that streamgen generates for the
// events record of generated_test/events_delta (EventDecoder), the record
// of the end-to-end benchmark (bench/), so that the benchmarks of the files
// source do not depend on generated pipelines, which depend on this
// package.

// event is {"time":1469501675,"action":"Open"}.
type event struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
}

type eventDecoder struct {
	s     streamimpl.Scanner
	arena streamimpl.Arena
}

var _ streamimpl.Decoder[event] = (*eventDecoder)(nil)

func newEventDecoder() streamimpl.Decoder[event] { return &eventDecoder{} }

func (d *eventDecoder) Decode(data []byte, dst *event) error {
	d.s.Reset(data)
	if err := decodeEvent(&d.s, dst); err != nil {
		return err
	}
	return d.s.End()
}

func (d *eventDecoder) Reset() { d.arena.Reset() }

var decodeEventKeys = [...]string{`"time":`, `"action":`}

func decodeEvent(s *streamimpl.Scanner, dst *event) error {
	*dst = event{}
	start := s.Offset()
	more, err := s.ObjectStart()
	if err != nil {
		return err
	}
	var seen uint64
	var bad streamimpl.Pending
	next := 0
	for more {
		fi := -1
		if next < 2 && s.KeyIs(decodeEventKeys[next]) {
			fi = next
		} else {
			key, err := s.Key()
			if err != nil {
				return err
			}
			switch string(key) {
			case "time":
				fi = 0
			case "action":
				fi = 1
			}
		}
		m := s.Mark()
	field:
		switch fi {
		case 0:
			next = 1
			v, err := s.TimeEpochSeconds()
			if err != nil {
				if derr := s.Defer(&bad, 0, m, streamimpl.InField(err, "time")); derr != nil {
					return derr
				}
				break field
			}
			dst.Time = v
			bad.Clear(0)
			seen |= 1 << 0
		case 1:
			next = 2
			off := s.Offset()
			b, err := s.String()
			if err != nil {
				if derr := s.Defer(&bad, 1, m, streamimpl.InField(err, "action")); derr != nil {
					return derr
				}
				break field
			}
			switch string(b) {
			case "Open":
				dst.Action = "Open"
			case "Close":
				dst.Action = "Close"
			default:
				if derr := s.Defer(&bad, 1, m, streamimpl.InField(streamimpl.EnumError(off, b, `"Open", "Close"`), "action")); derr != nil {
					return derr
				}
				break field
			}
			bad.Clear(1)
			seen |= 1 << 1
		default:
			if err := s.Skip(); err != nil {
				return err
			}
		}
		if more, err = s.ObjectNext(); err != nil {
			return err
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if seen != 3 {
		if seen&(1<<0) == 0 {
			return streamimpl.Missing("time", start)
		}
		if seen&(1<<1) == 0 {
			return streamimpl.Missing("action", start)
		}
	}
	return nil
}
