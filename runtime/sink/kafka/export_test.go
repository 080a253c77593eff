package kafka

import "context"

// FlushForTest waits until the producer acknowledged the records written
// so far, without ending the batch (to abandon a transaction that
// certainly holds records).
func (w *BatchWriter[T]) FlushForTest(ctx context.Context) error { return w.cl.Flush(ctx) }
