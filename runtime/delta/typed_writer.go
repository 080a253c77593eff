package delta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/streamgen/streamgen/runtime/storage"
)

// TypedWriterOptions configure [NewTypedWriter].
type TypedWriterOptions[T any] struct {
	WriterOptions
	// PartitionColumns are the table's partition columns, in order (none
	// for an unpartitioned table). They must not be Parquet columns of T.
	PartitionColumns []string
	// PartitionValues returns a row's serialised partition values (see
	// [FormatPartitionValue] and the Partition* helpers); required when
	// PartitionColumns is set. The map may be reused by the next call.
	PartitionValues func(*T) map[string]*string
}

// TypedWriter streams rows of the Go struct T into new Parquet data files
// of a Delta table: the typed write path of generated code ([WriteTyped]
// is a TypedWriter fed once). T's `parquet:"name,..."` tags give the
// schema's non-partition columns.
//
// Rows are encoded as they arrive: a file's column values are buffered in
// parquet-go's page buffers (256 KiB per column, flushed as compressed
// pages) and its compressed pages until the row group ends
// (RowGroupRows), so the memory held does not grow with the rows written.
// On a [storage.Local] store each file is streamed to a hidden temporary
// file beside its final name (".<name>.<random>.tmp", which listings and
// VACUUM skip) and renamed into place when it is finished; on other
// stores a file's compressed bytes are held until it is finished and
// stored with one Put (at most TargetFileSize).
//
// A file is finished, and the next one of its partition started, once its
// estimated size reaches TargetFileSize (checked every 1,024 rows, as
// WriteTyped always did). A partitioned table has one open file per
// partition value seen. Nothing is committed: [TypedWriter.Close] returns
// the add actions for a transaction; [TypedWriter.Abort] deletes every
// file written. A TypedWriter is not safe for concurrent use.
type TypedWriter[T any] struct {
	store      storage.Storage
	schema     *StructType
	layout     *partitionLayout
	opts       WriterOptions
	popts      []parquet.WriterOption
	namer      fileNamer
	partValues func(*T) map[string]*string

	parts  map[string]*typedPart[T] // by partition key
	order  []*typedPart[T]          // in first-seen order
	keyBuf []byte
	rowOf  []*typedPart[T] // scratch: each row's partition
	rows   int64
	done   []*Add // files finished, in finishing order
	err    error  // sticky: the first failure
	closed bool
}

// typedPart is the open file of one partition value.
type typedPart[T any] struct {
	index  int
	values map[string]*string
	dir    string
	w      *parquet.GenericWriter[T] // of the open file
	out    dataOut                   // nil between files
	adds   []*Add                    // finished files, in order
	buf    []T                       // scratch of a Write's rows
}

// NewTypedWriter returns a writer of rows of type T for a table with the
// given schema (every column, partition columns included) stored in
// store. It does no I/O: files are created as rows arrive.
func NewTypedWriter[T any](store storage.Storage, schema *StructType, opts TypedWriterOptions[T]) (*TypedWriter[T], error) {
	wo, codec, codecName, err := opts.WriterOptions.withDefaults()
	if err != nil {
		return nil, err
	}
	layout, err := newPartitionLayout(schema, opts.PartitionColumns)
	if err != nil {
		return nil, fmt.Errorf("delta: write: %w", err)
	}
	if err := checkTypedSchema[T](schema, layout); err != nil {
		return nil, fmt.Errorf("delta: write: %w", err)
	}
	if len(opts.PartitionColumns) > 0 && opts.PartitionValues == nil {
		return nil, fmt.Errorf("delta: write: table is partitioned by %v but partitionValues is nil", opts.PartitionColumns)
	}
	return &TypedWriter[T]{
		store:      store,
		schema:     schema,
		layout:     layout,
		opts:       wo,
		popts:      writerOptions(wo, codec),
		namer:      fileNamer{prefix: wo.Prefix, codec: codecName},
		partValues: opts.PartitionValues,
		parts:      map[string]*typedPart[T]{},
	}, nil
}

// errWriterClosed is returned by the methods of a closed or aborted
// TypedWriter.
var errWriterClosed = errors.New("delta: write: the writer is closed")

// NumRows returns the number of rows written so far.
func (w *TypedWriter[T]) NumRows() int64 { return w.rows }

// Write encodes rows into the table's files. The writer keeps no
// reference to rows or to the memory their strings and slices point to:
// the caller may reuse both as soon as Write returns. After an error the
// writer is unusable: call [TypedWriter.Abort].
func (w *TypedWriter[T]) Write(ctx context.Context, rows []T) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errWriterClosed
	}
	if len(rows) == 0 {
		return nil
	}
	err := ctx.Err()
	if err == nil {
		err = w.write(ctx, rows)
	}
	if err != nil {
		w.err = err
		return err
	}
	w.rows += int64(len(rows))
	return nil
}

func (w *TypedWriter[T]) write(ctx context.Context, rows []T) error {
	if len(w.layout.columns) == 0 {
		return w.writePart(ctx, w.part(nil), rows)
	}
	// Find each row's partition; rows of a single partition (the usual
	// case of a chunk) go straight to its file.
	w.rowOf = w.rowOf[:0]
	single := true
	for i := range rows {
		p := w.part(w.partValues(&rows[i]))
		single = single && (i == 0 || p == w.rowOf[0])
		w.rowOf = append(w.rowOf, p)
	}
	if single {
		return w.writePart(ctx, w.rowOf[0], rows)
	}
	var touched []*typedPart[T]
	for i, p := range w.rowOf {
		if len(p.buf) == 0 {
			touched = append(touched, p)
		}
		p.buf = append(p.buf, rows[i])
	}
	clear(w.rowOf)
	for _, p := range touched {
		err := w.writePart(ctx, p, p.buf)
		clear(p.buf) // drop the references to the caller's memory
		p.buf = p.buf[:0]
		if err != nil {
			return err
		}
	}
	return nil
}

// part returns the partition of values, starting it when new.
func (w *TypedWriter[T]) part(values map[string]*string) *typedPart[T] {
	w.keyBuf = appendPartitionKey(w.keyBuf[:0], w.layout.columns, values)
	if p := w.parts[string(w.keyBuf)]; p != nil {
		return p
	}
	pv := make(map[string]*string, len(w.layout.columns))
	for _, c := range w.layout.columns {
		if v := values[c]; v != nil {
			s := strings.Clone(*v) // *v may point into the caller's memory
			pv[c] = &s
		} else {
			pv[c] = nil
		}
	}
	p := &typedPart[T]{index: len(w.order), values: pv, dir: partitionDir(w.layout.columns, pv)}
	w.parts[string(w.keyBuf)] = p
	w.order = append(w.order, p)
	return p
}

// writePart appends rows to the partition's file, finishing it and
// starting the next whenever it reaches the target size.
func (w *TypedWriter[T]) writePart(ctx context.Context, p *typedPart[T], rows []T) error {
	for len(rows) > 0 {
		if p.out == nil {
			out, err := newDataOut(ctx, w.store, w.namer.next(p.dir))
			if err != nil {
				return err
			}
			p.out = out
			// A new writer per file: with parquet-go v0.32, reusing one
			// through Reset after Close wrote files whose footers lacked
			// the column chunk statistics.
			p.w = parquet.NewGenericWriter[T](out, w.popts...)
		}
		n := min(writeBatchRows, len(rows))
		if _, err := p.w.Write(rows[:n]); err != nil {
			return fmt.Errorf("delta: write: %w", err)
		}
		rows = rows[n:]
		if p.w.Size() >= w.opts.TargetFileSize {
			if err := w.finish(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish closes the partition's open file, computes its stats and makes
// it visible under its name.
func (w *TypedWriter[T]) finish(ctx context.Context, p *typedPart[T]) error {
	out := p.out
	p.out = nil
	if err := p.w.Close(); err != nil {
		out.discard()
		return fmt.Errorf("delta: write: %w", err)
	}
	r, size := out.contents()
	stats, err := statsFromFile(r, size, w.schema, w.layout.dataFields)
	if err != nil {
		out.discard()
		return fmt.Errorf("delta: write: %w", err)
	}
	if err := out.commit(ctx); err != nil {
		return err
	}
	add := newDataFileAdd(out.name(), size, p.values, w.layout.columns, stats, w.opts)
	p.adds = append(p.adds, add)
	w.done = append(w.done, add)
	return nil
}

// Close finishes the open files and returns one add action per file
// written (percent-encoded path, exact size, every partition column in
// partitionValues, dataChange=true, the stats of [WriteTyped]), grouped
// by partition in first-seen order, each partition's files in writing
// order. No rows give no files. On an error the files written are
// deleted, as by Abort.
func (w *TypedWriter[T]) Close(ctx context.Context) ([]*Add, error) {
	if w.err != nil {
		w.Abort(ctx)
		return nil, w.err
	}
	if w.closed {
		return nil, errWriterClosed
	}
	for _, p := range w.order {
		if p.out == nil {
			continue
		}
		if err := w.finish(ctx, p); err != nil {
			w.err = err
			w.Abort(ctx)
			return nil, err
		}
	}
	w.closed = true
	adds := make([]*Add, 0, len(w.done))
	for _, p := range w.order {
		adds = append(adds, p.adds...)
	}
	return adds, nil
}

// Abort discards the open files and deletes the files finished so far
// (failures are ignored: the files are referenced by no commit). It does
// nothing after Close succeeded.
func (w *TypedWriter[T]) Abort(ctx context.Context) {
	if w.closed {
		return
	}
	w.closed = true
	ctx = context.WithoutCancel(ctx)
	for _, p := range w.order {
		if p.out != nil {
			p.out.discard()
			p.out = nil
		}
	}
	DeleteDataFiles(ctx, w.store, w.done, nil)
	w.done = nil
}

// DeleteDataFiles deletes the data files of adds that no commit
// references (the files of a failed or abandoned write). A failure is
// passed to onError when it is not nil and does not stop the others.
func DeleteDataFiles(ctx context.Context, store storage.Storage, adds []*Add, onError func(a *Add, err error)) {
	ctx = context.WithoutCancel(ctx)
	for _, a := range adds {
		name, err := a.DecodedPath()
		if err == nil {
			err = store.Delete(ctx, name)
		}
		if err != nil && onError != nil {
			onError(a, err)
		}
	}
}

// WriteTyped writes rows with a [TypedWriter] in one go: T is a Go struct
// whose `parquet:"name,..."` tags give the schema's non-partition columns
// (parquet.NewGenericWriter derives the file schema from it), and
// partitionValues returns a row's serialised partition values (it may be
// nil for an unpartitioned table). Stats come from the column chunk
// statistics of the written files. On an error the files already written
// are deleted.
func WriteTyped[T any](ctx context.Context, store storage.Storage, schema *StructType, partitionColumns []string, rows []T, partitionValues func(*T) map[string]*string, opts WriterOptions) ([]*Add, error) {
	w, err := NewTypedWriter(store, schema, TypedWriterOptions[T]{
		WriterOptions:    opts,
		PartitionColumns: partitionColumns,
		PartitionValues:  partitionValues,
	})
	if err != nil {
		return nil, err
	}
	if err := w.Write(ctx, rows); err != nil {
		w.Abort(ctx)
		return nil, err
	}
	return w.Close(ctx)
}

// memOut holds a data file in memory until it is stored with one Put.
type memOut struct {
	store storage.Storage
	path  string
	buf   bytes.Buffer
}

func (o *memOut) Write(b []byte) (int, error) { return o.buf.Write(b) }
func (o *memOut) name() string                { return o.path }
func (o *memOut) discard()                    { o.buf = bytes.Buffer{} }
func (o *memOut) contents() (io.ReaderAt, int64) {
	return bytes.NewReader(o.buf.Bytes()), int64(o.buf.Len())
}
func (o *memOut) commit(ctx context.Context) error {
	err := o.store.Put(ctx, o.path, o.buf.Bytes())
	o.buf = bytes.Buffer{} // the store may keep the slice
	if err != nil {
		return fmt.Errorf("delta: write %s: %w", o.path, err)
	}
	return nil
}

// dataOut receives the bytes of one data file being written.
type dataOut interface {
	Write([]byte) (int, error)
	// name is the file's name in the store.
	name() string
	// contents reads the whole file back (for its footer) once written.
	contents() (io.ReaderAt, int64)
	// commit makes the file visible under its name.
	commit(ctx context.Context) error
	// discard drops the file.
	discard()
}

// newDataOut starts a data file: streamed to a temporary file on a
// local store, else buffered in memory.
func newDataOut(ctx context.Context, store storage.Storage, name string) (dataOut, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l, ok := store.(*storage.Local); ok {
		return newLocalOut(l, name)
	}
	return &memOut{store: store, path: name}, nil
}

// newDataFileAdd describes a data file written as an add action.
func newDataFileAdd(name string, size int64, values map[string]*string, partitionColumns []string, stats string, opts WriterOptions) *Add {
	pv := make(map[string]*string, len(partitionColumns))
	for _, c := range partitionColumns {
		pv[c] = values[c]
	}
	return &Add{
		Path:             EncodePath(name),
		PartitionValues:  pv,
		Size:             size,
		ModificationTime: opts.Now().UnixMilli(),
		DataChange:       true,
		Stats:            stats,
	}
}
