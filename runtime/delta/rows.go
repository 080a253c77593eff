package delta

import (
	"context"
	"fmt"
	"strings"
)

// ReadFile reads one data file of the snapshot (add.Path percent-decoded,
// relative to the table root) into rows aligned with s.Schema. Data
// columns are matched by name in the Parquet file (a column the file
// lacks, e.g. after schema evolution, is null); partition columns are
// materialised from add.PartitionValues, never from directory names; void
// columns are nil. A file with a deletion vector is refused.
func (s *Snapshot) ReadFile(ctx context.Context, add *Add) ([]Row, error) {
	if s.table == nil || s.table.store == nil {
		return nil, fmt.Errorf("delta: read %s: snapshot has no table", add.Path)
	}
	if s.Schema == nil {
		return nil, fmt.Errorf("delta: read %s: snapshot has no schema", add.Path)
	}
	if add.DeletionVector != nil {
		return nil, &UnsupportedFeatureError{
			Table: s.table.Location(), Feature: "deletionVectors",
			Detail: fmt.Sprintf("file %s has a deletion vector; reading it would return deleted rows", add.Path),
		}
	}
	if mode := s.Metadata.Configuration["delta.columnMapping.mode"]; mode != "" && mode != "none" {
		return nil, &UnsupportedFeatureError{
			Table: s.table.Location(), Feature: "columnMapping",
			Detail: fmt.Sprintf("column mapping mode %q: physical column names differ from the schema", mode),
		}
	}
	name, err := add.DecodedPath()
	if err != nil {
		return nil, fmt.Errorf("delta: read %s: %w", add.Path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := s.table.store.Read(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("delta: read %s: %w", name, err)
	}
	rows, err := readDataFile(data, s.Schema, s.Metadata.PartitionColumns, add.PartitionValues)
	if err != nil {
		return nil, fmt.Errorf("delta: read %s: %w", name, err)
	}
	return rows, nil
}

// readDataFile decodes a data file and fills in its partition values.
func readDataFile(data []byte, schema *StructType, partitionColumns []string, partitionValues map[string]*string) ([]Row, error) {
	isPart := make(map[string]bool, len(partitionColumns))
	for _, c := range partitionColumns {
		isPart[strings.ToLower(c)] = true
	}
	// Partition values, parsed once per file.
	partVals := map[int]any{}
	dataSchema := &StructType{}
	var dataIdx []int
	for i, f := range schema.Fields {
		if !isPart[strings.ToLower(f.Name)] {
			dataSchema.Fields = append(dataSchema.Fields, f)
			dataIdx = append(dataIdx, i)
			continue
		}
		raw, ok := partitionValues[f.Name]
		if !ok {
			for k, v := range partitionValues {
				if strings.EqualFold(k, f.Name) {
					raw = v
					break
				}
			}
		}
		v, err := ParsePartitionValue(raw, f.Type)
		if err != nil {
			return nil, fmt.Errorf("partition column %s: %w", f.Name, err)
		}
		partVals[i] = v
	}
	var rows []Row
	if len(dataSchema.Fields) == 0 {
		// Every column is a partition column: only the row count matters.
		n, err := parquetNumRows(data)
		if err != nil {
			return nil, err
		}
		rows = make([]Row, n)
		for i := range rows {
			rows[i] = make(Row, 0)
		}
	} else {
		var err error
		if rows, err = readParquet(data, dataSchema); err != nil {
			return nil, err
		}
	}
	if len(partVals) == 0 {
		return rows, nil
	}
	for r, dr := range rows {
		full := make(Row, len(schema.Fields))
		for k, i := range dataIdx {
			full[i] = dr[k]
		}
		for i, v := range partVals {
			full[i] = v
		}
		rows[r] = full
	}
	return rows, nil
}

// Rows reads every active file of the snapshot, in s.Files order, and
// returns all rows aligned with s.Schema.
func (s *Snapshot) Rows(ctx context.Context) ([]Row, error) {
	var all []Row
	for _, add := range s.Files {
		rows, err := s.ReadFile(ctx, add)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}

// handSnapshot builds a snapshot of t from parts, for writers' tests and
// tools that hold add actions that are not committed (yet).
func handSnapshot(t *Table, schema *StructType, partitionColumns []string, files []*Add) *Snapshot {
	return &Snapshot{
		Version: -1,
		Metadata: Metadata{
			Format: Format{Provider: "parquet", Options: map[string]string{}}, SchemaString: schema.SchemaString(),
			PartitionColumns: partitionColumns, Configuration: map[string]string{},
		},
		Schema: schema,
		Files:  files,
		table:  t,
	}
}
