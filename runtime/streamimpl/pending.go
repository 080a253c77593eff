package streamimpl

// Mark is a scanner position saved before a member's value, to skip the
// value after a value error (Defer).
type Mark struct {
	pos, depth int
}

// Mark returns the scanner's position.
func (s *Scanner) Mark() Mark { return Mark{pos: s.pos, depth: s.depth} }

// Pending holds the value errors of one object's fields that a later
// duplicate member may still replace. For a duplicate member the last
// one wins, as when encoding/json decodes into a map and a schema
// validator checks the map: {"time":"x","time":1} is valid. So a value
// error is not returned at once but deferred (Scanner.Defer) until the
// end of the object (Pending.Err), and cleared when a later member of the
// same field decodes (Pending.Clear). The zero Pending is empty and does
// not allocate until an error is deferred.
type Pending struct {
	errs []error // by field index
	n    int     // non-nil entries in errs
}

// Defer handles err, returned while decoding the value of field i that
// starts at m. A syntax error cannot be deferred and is returned. Any
// other error is recorded in p as field i's error, the value is skipped
// from m, and Defer returns nil (or a syntax error found while skipping)
// so that decoding continues with the next member.
func (s *Scanner) Defer(p *Pending, i int, m Mark, err error) error {
	e, ok := err.(*DecodeError)
	if !ok || e.Kind == ErrSyntax {
		return err
	}
	s.pos, s.depth = m.pos, m.depth
	if err := s.Skip(); err != nil {
		return err
	}
	if i >= len(p.errs) {
		p.errs = append(p.errs, make([]error, i+1-len(p.errs))...)
	}
	if p.errs[i] == nil {
		p.n++
	}
	p.errs[i] = err
	return nil
}

// Clear forgets field i's deferred error, after a later member of the
// field decoded.
func (p *Pending) Clear(i int) {
	if p.n != 0 {
		p.clear(i)
	}
}

// clear is the slow path of Clear.
func (p *Pending) clear(i int) {
	if i < len(p.errs) && p.errs[i] != nil {
		p.errs[i] = nil
		p.n--
	}
}

// Err returns the deferred error of the first field (in field order)
// that has one, or nil.
func (p *Pending) Err() error {
	if p.n == 0 {
		return nil
	}
	for _, err := range p.errs {
		if err != nil {
			return err
		}
	}
	return nil
}
