package files

import (
	"bytes"
	"io"
	"sync"
)

// readBufSize is the size of the buffer a Read streams its files through.
// It grows (doubling) only for a line longer than it.
const readBufSize = 256 << 10

// maxKeptBuf is the largest buffer kept after a file, for the next file
// and the next Read: a buffer grown larger for a long line is dropped at
// the end of its file, so that one long line does not pin memory.
const maxKeptBuf = 4 * readBufSize

// bufPool holds the read buffers (*[]byte of readBufSize to maxKeptBuf
// bytes) between Reads.
var bufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

func getBuf() []byte { return *bufPool.Get().(*[]byte) }

func putBuf(b []byte) {
	if cap(b) >= readBufSize && cap(b) <= maxKeptBuf {
		b = b[:cap(b)]
		bufPool.Put(&b)
	}
}

// lineReader splits a file into lines, like bufio.Scanner with
// bufio.ScanLines but keeping "\r" and with no limit on the length of a
// line: it reads the file through one buffer, own, which it reuses from
// file to file and grows only to hold a line longer than it. A line it
// returns is a slice of the buffer, valid until the next call of next.
//
// resetBytes splits data in place instead, for stores that cannot stream
// (no storage.Opener).
type lineReader struct {
	r   io.Reader
	own []byte // the reusable buffer
	buf []byte // own, or the data of resetBytes
	// buf[start:end] is read and not returned yet; buf[start:scanned]
	// holds no '\n'.
	start, scanned, end int
	err                 error // the reader's error (io.EOF at its end), after buf[:end]
	// n is the number of bytes read from the file.
	n int64
}

// reset starts reading r.
func (lr *lineReader) reset(r io.Reader) {
	if len(lr.own) == 0 {
		lr.own = getBuf()
	}
	*lr = lineReader{r: r, own: lr.own, buf: lr.own}
}

// resetBytes starts splitting data, which it does not copy.
func (lr *lineReader) resetBytes(data []byte) {
	*lr = lineReader{own: lr.own, buf: data, end: len(data), err: io.EOF, n: int64(len(data))}
}

// release forgets the file and drops the buffer if a long line made it
// larger than maxKeptBuf.
func (lr *lineReader) release() {
	if cap(lr.own) > maxKeptBuf {
		lr.own = nil
	}
	*lr = lineReader{own: lr.own}
}

// next returns the next line without its "\n", and false at the end of the
// file. A last line without "\n" is a line; an empty file has none. A read
// error other than io.EOF is returned once the complete lines before it
// were.
func (lr *lineReader) next() ([]byte, bool, error) {
	empty := 0
	for {
		if i := bytes.IndexByte(lr.buf[lr.scanned:lr.end], '\n'); i >= 0 {
			j := lr.scanned + i
			line := lr.buf[lr.start:j]
			lr.start, lr.scanned = j+1, j+1
			return line, true, nil
		}
		lr.scanned = lr.end
		if lr.err != nil {
			if lr.err != io.EOF {
				return nil, false, lr.err
			}
			if lr.start < lr.end {
				line := lr.buf[lr.start:lr.end]
				lr.start = lr.end
				return line, true, nil
			}
			return nil, false, nil
		}
		// Make room: move the partial line to the front, and grow the
		// buffer when the line fills it.
		if lr.start > 0 {
			n := copy(lr.buf, lr.buf[lr.start:lr.end])
			lr.scanned -= lr.start
			lr.start, lr.end = 0, n
		}
		if lr.end == len(lr.buf) {
			lr.own = append(lr.buf, make([]byte, len(lr.buf))...)
			lr.own = lr.own[:cap(lr.own)]
			lr.buf = lr.own
		}
		n, err := lr.r.Read(lr.buf[lr.end:])
		if n < 0 || n > len(lr.buf)-lr.end {
			return nil, false, io.ErrShortBuffer
		}
		lr.end += n
		lr.n += int64(n)
		lr.err = err
		if n == 0 && err == nil {
			if empty++; empty >= 100 {
				return nil, false, io.ErrNoProgress
			}
		}
	}
}
