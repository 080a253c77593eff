package files_test

import "github.com/streamgen/streamgen/runtime/streamimpl"

// This file is a copy of the decoder that streamgen generates for
// generated_test/device_status (DeviceStatusDecoder), so that the tests of
// the files source do not depend on generated pipelines, which depend on
// this package.

// row is the record of the tests: {"device":"Dev1","status":"ok"}.
type row struct {
	Device string `json:"device" parquet:"device"`
	Status string `json:"status" parquet:"status"`
}

// rowDecoder decodes rows from JSON, as generated decoders do.
type rowDecoder struct {
	s     streamimpl.Scanner
	arena streamimpl.Arena
}

var _ streamimpl.Decoder[row] = (*rowDecoder)(nil)

func newDecoder() streamimpl.Decoder[row] { return &rowDecoder{} }

func (d *rowDecoder) Decode(data []byte, dst *row) error {
	d.s.Reset(data)
	if err := decodeRow(&d.s, &d.arena, dst); err != nil {
		return err
	}
	return d.s.End()
}

func (d *rowDecoder) Reset() { d.arena.Reset() }

var decodeRowKeys = [...]string{`"device":`, `"status":`}

func decodeRow(s *streamimpl.Scanner, a *streamimpl.Arena, dst *row) error {
	*dst = row{}
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
		if next < 2 && s.KeyIs(decodeRowKeys[next]) {
			fi = next
		} else {
			key, err := s.Key()
			if err != nil {
				return err
			}
			switch string(key) {
			case "device":
				fi = 0
			case "status":
				fi = 1
			}
		}
		m := s.Mark()
	field:
		switch fi {
		case 0:
			next = 1
			b, err := s.String()
			if err != nil {
				if derr := s.Defer(&bad, 0, m, streamimpl.InField(err, "device")); derr != nil {
					return derr
				}
				break field
			}
			dst.Device = a.String(b)
			bad.Clear(0)
			seen |= 1 << 0
		case 1:
			next = 2
			b, err := s.String()
			if err != nil {
				if derr := s.Defer(&bad, 1, m, streamimpl.InField(err, "status")); derr != nil {
					return derr
				}
				break field
			}
			dst.Status = a.String(b)
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
			return streamimpl.Missing("device", start)
		}
		if seen&(1<<1) == 0 {
			return streamimpl.Missing("status", start)
		}
	}
	return nil
}
