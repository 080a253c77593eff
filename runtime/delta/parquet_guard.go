package delta

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkParquetFooter walks the Thrift compact encoding of a Parquet
// file's footer (FileMetaData) and fails when a list, set, map or binary
// declares more elements or bytes than the footer holds. parquet-go sizes
// its allocations from those declared lengths before reading them, so a
// corrupt footer could otherwise ask for gigabytes and kill the process
// with an unrecoverable out-of-memory error instead of returning one.
// A file too short to have a footer passes: the Parquet reader reports it.
func checkParquetFooter(data []byte) error {
	if len(data) < 12 || string(data[len(data)-4:]) != "PAR1" {
		return nil
	}
	n := int64(binary.LittleEndian.Uint32(data[len(data)-8:]))
	if n > int64(len(data))-12 {
		return nil
	}
	c := &thriftCheck{b: data[int64(len(data))-8-n : len(data)-8]}
	if err := c.skipStruct(0); err != nil {
		return fmt.Errorf("corrupt parquet footer: %w", err)
	}
	return nil
}

// thriftCheck skips Thrift compact protocol values, checking lengths.
type thriftCheck struct{ b []byte }

var errThriftShort = errors.New("declared length exceeds the footer")

func (c *thriftCheck) byte1() (byte, error) {
	if len(c.b) == 0 {
		return 0, errThriftShort
	}
	x := c.b[0]
	c.b = c.b[1:]
	return x, nil
}

func (c *thriftCheck) varint() (uint64, error) {
	x, n := binary.Uvarint(c.b)
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	c.b = c.b[n:]
	return x, nil
}

func (c *thriftCheck) bytes(n uint64) error {
	if n > uint64(len(c.b)) {
		return errThriftShort
	}
	c.b = c.b[n:]
	return nil
}

// count checks that n elements of at least min bytes each can fit.
func (c *thriftCheck) count(n, min uint64) error {
	if n > uint64(len(c.b))/min {
		return errThriftShort
	}
	return nil
}

func (c *thriftCheck) skipStruct(depth int) error {
	if depth > 64 {
		return errors.New("nesting too deep")
	}
	for {
		h, err := c.byte1()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil // stop field
		}
		if h>>4 == 0 { // long form: the field id follows
			if _, err := c.varint(); err != nil {
				return err
			}
		}
		if t := h & 0x0f; t != 1 && t != 2 { // booleans live in the header
			if err := c.skip(t, depth+1); err != nil {
				return err
			}
		}
	}
}

func (c *thriftCheck) skip(t byte, depth int) error {
	switch t {
	case 1, 2, 3: // bool (in a container), i8
		return c.bytes(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := c.varint()
		return err
	case 7: // double
		return c.bytes(8)
	case 8: // binary
		n, err := c.varint()
		if err != nil {
			return err
		}
		return c.bytes(n)
	case 9, 10: // list, set
		h, err := c.byte1()
		if err != nil {
			return err
		}
		n, et := uint64(h>>4), h&0x0f
		if n == 15 {
			if n, err = c.varint(); err != nil {
				return err
			}
		}
		if err := c.count(n, 1); err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := c.skip(et, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		n, err := c.varint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := c.byte1()
		if err != nil {
			return err
		}
		if err := c.count(n, 2); err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := c.skip(kv>>4, depth+1); err != nil {
				return err
			}
			if err := c.skip(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return c.skipStruct(depth)
	case 13: // uuid
		return c.bytes(16)
	}
	return fmt.Errorf("unknown thrift type %d", t)
}
