package stream

// Stopping reports whether Stop was called, for tests.
func (q *Query) Stopping() bool { return q.isStopping() }
