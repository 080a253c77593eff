package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

const describeUsage = `Usage: streamgen table describe PATH [--version N] [--format text|json]

Describe the Delta table at PATH, at its latest version or at version N:
its version and commit time, id and name, schema, partition columns,
protocol (reader and writer versions and table features), configuration,
number of active files, their total size and number of records (summed from
file statistics; unknown when a file has none) and the streaming
transactions (appId -> version) recorded in the log.

Flags:

	--version N     describe the table as of version N
	--format F      text (default) or json
`

// describeFormats are the --format values of describe and history.
var describeFormats = []string{"text", "json"}

// description is what describe prints; its JSON form is the json format.
type description struct {
	Table            string            `json:"table"`
	Version          int64             `json:"version"`
	Timestamp        string            `json:"timestamp"`
	ID               string            `json:"id"`
	Name             *string           `json:"name"`
	Description      *string           `json:"description"`
	Format           string            `json:"format"`
	CreatedTime      *string           `json:"createdTime"`
	Schema           *delta.StructType `json:"schema"`
	PartitionColumns []string          `json:"partitionColumns"`
	Protocol         describeProtocol  `json:"protocol"`
	Configuration    map[string]string `json:"configuration"`
	NumFiles         int               `json:"numFiles"`
	SizeInBytes      int64             `json:"sizeInBytes"`
	// NumRecords is nil when some file has no numRecords statistic.
	NumRecords *int64 `json:"numRecords"`
	// FilesWithoutStats counts the files without a numRecords statistic.
	FilesWithoutStats int              `json:"filesWithoutStats"`
	Txns              map[string]int64 `json:"txns"`
}

type describeProtocol struct {
	MinReaderVersion int      `json:"minReaderVersion"`
	MinWriterVersion int      `json:"minWriterVersion"`
	ReaderFeatures   []string `json:"readerFeatures"`
	WriterFeatures   []string `json:"writerFeatures"`
}

func (c *command) tableDescribe(ctx context.Context, args []string) int {
	fs := newFlagSet("table describe")
	var snap snapshotFlags
	snap.register(fs, false)
	format := fs.String("format", "text", "")
	path, code, done := c.parseTableArgs(fs, "describe", args)
	if done {
		return code
	}
	ts, msg := snap.check(fs)
	if msg == "" && !slices.Contains(describeFormats, *format) {
		msg = fmt.Sprintf("invalid --format %q: want %s", *format, strings.Join(describeFormats, ", "))
	}
	if msg != "" {
		return c.usageError("table describe", describeUsage, msg)
	}
	t, closeTable, err := openTable(ctx, path)
	if err != nil {
		return c.fail("describe", path, err)
	}
	defer closeTable()
	s, err := snap.snapshot(ctx, fs, t, ts)
	if err != nil {
		return c.fail("describe", path, err)
	}
	d := describe(path, s)
	if *format == "json" {
		err = writeJSON(c.stdout, d)
	} else {
		err = d.writeText(c.stdout)
	}
	if err != nil {
		return c.fail("describe", path, err)
	}
	return ExitOK
}

// describe gathers the description of snapshot s of the table at path.
func describe(path string, s *delta.Snapshot) *description {
	md := s.Metadata
	d := &description{
		Table:            path,
		Version:          s.Version,
		Timestamp:        formatCommitTime(s.Timestamp),
		ID:               md.ID,
		Name:             md.Name,
		Description:      md.Description,
		Format:           md.Format.Provider,
		Schema:           s.Schema,
		PartitionColumns: slices.Clone(md.PartitionColumns),
		Protocol: describeProtocol{
			MinReaderVersion: s.Protocol.MinReaderVersion,
			MinWriterVersion: s.Protocol.MinWriterVersion,
			ReaderFeatures:   slices.Clone(s.Protocol.ReaderFeatures),
			WriterFeatures:   slices.Clone(s.Protocol.WriterFeatures),
		},
		Configuration: map[string]string{},
		NumFiles:      len(s.Files),
		Txns:          map[string]int64{},
	}
	if d.PartitionColumns == nil {
		d.PartitionColumns = []string{}
	}
	if d.Protocol.ReaderFeatures == nil {
		d.Protocol.ReaderFeatures = []string{}
	}
	if d.Protocol.WriterFeatures == nil {
		d.Protocol.WriterFeatures = []string{}
	}
	if md.CreatedTime != nil {
		ct := formatCommitTime(time.UnixMilli(*md.CreatedTime))
		d.CreatedTime = &ct
	}
	for k, v := range md.Configuration {
		d.Configuration[k] = v
	}
	var records int64
	for _, a := range s.Files {
		d.SizeInBytes += a.Size
		if n, ok := numRecords(a.Stats); ok {
			records += n
		} else {
			d.FilesWithoutStats++
		}
	}
	if d.FilesWithoutStats == 0 {
		d.NumRecords = &records
	}
	for app, txn := range s.Txns {
		d.Txns[app] = txn.Version
	}
	return d
}

// numRecords reads numRecords from an add action's stats JSON.
func numRecords(stats string) (int64, bool) {
	if stats == "" {
		return 0, false
	}
	var st struct {
		NumRecords *int64 `json:"numRecords"`
	}
	if err := json.Unmarshal([]byte(stats), &st); err != nil || st.NumRecords == nil {
		return 0, false
	}
	return *st.NumRecords, true
}

// formatCommitTime renders a commit time (milliseconds in the log) as
// RFC 3339 UTC, with exactly three fraction digits when the fraction is
// non-zero so that columns of times line up.
func formatCommitTime(t time.Time) string {
	switch {
	case t.IsZero():
		return ""
	case t.Nanosecond() == 0:
		return t.UTC().Format("2006-01-02T15:04:05Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// writeJSON writes v as indented JSON without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeText writes the description as aligned "key: value" lines and
// indented blocks.
func (d *description) writeText(w io.Writer) error {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%-18s %s\n", k+":", v) }
	kv("table", d.Table)
	kv("version", fmt.Sprint(d.Version))
	kv("timestamp", d.Timestamp)
	kv("id", d.ID)
	if d.Name != nil {
		kv("name", *d.Name)
	}
	if d.Description != nil {
		kv("description", *d.Description)
	}
	kv("format", d.Format)
	if d.CreatedTime != nil {
		kv("created", *d.CreatedTime)
	}
	if len(d.PartitionColumns) == 0 {
		kv("partition columns", "(none)")
	} else {
		kv("partition columns", strings.Join(d.PartitionColumns, ", "))
	}
	kv("protocol", fmt.Sprintf("reader %d, writer %d", d.Protocol.MinReaderVersion, d.Protocol.MinWriterVersion))
	if len(d.Protocol.ReaderFeatures) > 0 {
		kv("reader features", strings.Join(d.Protocol.ReaderFeatures, ", "))
	}
	if len(d.Protocol.WriterFeatures) > 0 {
		kv("writer features", strings.Join(d.Protocol.WriterFeatures, ", "))
	}
	kv("files", fmt.Sprint(d.NumFiles))
	if d.SizeInBytes < 1024 {
		kv("size", formatSize(d.SizeInBytes))
	} else {
		kv("size", fmt.Sprintf("%d bytes (%s)", d.SizeInBytes, formatSize(d.SizeInBytes)))
	}
	switch {
	case d.NumRecords != nil:
		kv("records", fmt.Sprint(*d.NumRecords))
	default:
		kv("records", fmt.Sprintf("unknown (%d of %d files have no statistics)", d.FilesWithoutStats, d.NumFiles))
	}

	b.WriteString("\nschema:\n")
	if d.Schema != nil {
		writeSchemaTree(&b, d.Schema)
	}

	b.WriteString("\nconfiguration:\n")
	if len(d.Configuration) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, k := range sortedKeys(d.Configuration) {
		fmt.Fprintf(&b, "  %s = %s\n", k, d.Configuration[k])
	}

	b.WriteString("\ntransactions (appId -> version):\n")
	if len(d.Txns) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, k := range sortedKeys(d.Txns) {
		fmt.Fprintf(&b, "  %s -> %d\n", k, d.Txns[k])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSchemaTree writes the schema as Spark's printSchema does:
//
//	root
//	 |-- letter: string (nullable = true)
//	 |-- point: struct (nullable = false)
//	 |    |-- x: double (nullable = true)
func writeSchemaTree(b *strings.Builder, s *delta.StructType) {
	b.WriteString("  root\n")
	writeFields(b, "   |", s)
}

func writeFields(b *strings.Builder, prefix string, s *delta.StructType) {
	for _, f := range s.Fields {
		fmt.Fprintf(b, "%s-- %s: %s (nullable = %t)\n", prefix, f.Name, typeHead(f.Type), f.Nullable)
		writeNested(b, prefix+"    |", f.Type)
	}
}

// typeHead names a type at the top of its tree node: nested types by
// kind, the rest in full.
func typeHead(t delta.DataType) string {
	switch t.(type) {
	case *delta.StructType:
		return "struct"
	case *delta.ArrayType:
		return "array"
	case *delta.MapType:
		return "map"
	}
	return t.String()
}

func writeNested(b *strings.Builder, prefix string, t delta.DataType) {
	switch t := t.(type) {
	case *delta.StructType:
		writeFields(b, prefix, t)
	case *delta.ArrayType:
		fmt.Fprintf(b, "%s-- element: %s (containsNull = %t)\n", prefix, typeHead(t.ElementType), t.ContainsNull)
		writeNested(b, prefix+"    |", t.ElementType)
	case *delta.MapType:
		fmt.Fprintf(b, "%s-- key: %s\n", prefix, typeHead(t.KeyType))
		writeNested(b, prefix+"    |", t.KeyType)
		fmt.Fprintf(b, "%s-- value: %s (valueContainsNull = %t)\n", prefix, typeHead(t.ValueType), t.ValueContainsNull)
		writeNested(b, prefix+"    |", t.ValueType)
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
