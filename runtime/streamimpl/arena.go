package streamimpl

import "unsafe"

// arenaBlock is the size of the blocks an Arena allocates.
const arenaBlock = 32 << 10

// Arena makes the strings of decoded records without one allocation per
// string: it copies their bytes into large blocks and returns strings
// that point into them.
//
// Lifetime: an Arena only ever appends to a block, so the bytes behind a
// returned string are never written again. A block stays allocated as
// long as any string pointing into it is reachable and is freed by the
// garbage collector after that, so every string stays valid for as long
// as it is referenced, like any other Go string. The cost is retention:
// one reachable string keeps its whole block alive. Call Reset at the
// start of each batch so that a batch's strings share blocks with each
// other and not with the next batch's, and a dropped batch frees its
// blocks.
//
// The zero Arena is ready to use. An Arena is not safe for concurrent use.
type Arena struct {
	buf []byte // the current block: len is used, cap is the block
}

// String returns a string with the bytes of b, copied into the arena.
// Strings of more than a quarter block get their own allocation.
func (a *Arena) String(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if n > cap(a.buf)-len(a.buf) {
		if n > arenaBlock/4 {
			return string(b)
		}
		a.buf = make([]byte, 0, arenaBlock)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], n)
}

// Reset makes the arena start a new block at its next String. It never
// reuses or clears the old block: strings already returned stay valid.
func (a *Arena) Reset() { a.buf = nil }
