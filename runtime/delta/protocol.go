package delta

import (
	"fmt"
	"slices"
)

// Table feature names, as PROTOCOL.md spells them.
const (
	FeatureAppendOnly          = "appendOnly"
	FeatureInvariants          = "invariants"
	FeatureCheckConstraints    = "checkConstraints"
	FeatureGeneratedColumns    = "generatedColumns"
	FeatureColumnMapping       = "columnMapping"
	FeatureDeletionVectors     = "deletionVectors"
	FeatureTimestampNTZ        = "timestampNtz"
	FeatureV2Checkpoint        = "v2Checkpoint"
	FeatureVacuumProtocolCheck = "vacuumProtocolCheck"
	FeatureChangeDataFeed      = "changeDataFeed"
	FeatureIdentityColumns     = "identityColumns"
)

// readerFeatureDetail explains, for messages, what a reader feature
// changes.
var readerFeatureDetail = map[string]string{
	FeatureColumnMapping:   "physical column names differ from the schema (column mapping); this reader supports reader version 1 only",
	FeatureDeletionVectors: "rows of data files are deleted by deletion vectors; reading them without applying the vectors would return deleted rows",
	FeatureTimestampNTZ:    "the table has timestamp without time zone columns",
	FeatureV2Checkpoint:    "the table uses V2 (UUID-named, sidecar) checkpoints",
}

// supportedReaderFeatures are the reader table features this reader
// accepts. vacuumProtocolCheck only asks writers that VACUUM to check the
// protocol; PROTOCOL.md ("VACUUM Protocol Check") requires no behaviour
// change from readers.
var supportedReaderFeatures = []string{FeatureVacuumProtocolCheck}

// CheckReadSupport returns nil when this reader can read a table with
// protocol p, or an *UnsupportedFeatureError naming the first feature or
// version it lacks. table names the table in the error.
//
// Readable are: minReaderVersion 1; minReaderVersion 3 whose
// readerFeatures are all in the supported list (only vacuumProtocolCheck).
// minReaderVersion 2 means column mapping ("columnMapping").
func CheckReadSupport(table string, p Protocol) error {
	switch {
	case p.MinReaderVersion == 1:
		return nil
	case p.MinReaderVersion == 2:
		return &UnsupportedFeatureError{Table: table, Feature: FeatureColumnMapping,
			Detail: "minReaderVersion 2 (" + readerFeatureDetail[FeatureColumnMapping] + ")"}
	case p.MinReaderVersion == 3:
		for _, f := range p.ReaderFeatures {
			if slices.Contains(supportedReaderFeatures, f) {
				continue
			}
			d := readerFeatureDetail[f]
			if d == "" {
				d = "reader table feature not supported"
			}
			return &UnsupportedFeatureError{Table: table, Feature: f, Detail: d}
		}
		return nil
	default:
		return &UnsupportedFeatureError{Table: table,
			Feature: fmt.Sprintf("readerVersion %d", p.MinReaderVersion),
			Detail:  fmt.Sprintf("unsupported minReaderVersion %d (this reader supports 1 and 3)", p.MinReaderVersion)}
	}
}

// supportedWriterFeatures are the writer table features this writer
// honours on a protocol (3,7) or (x,7) table.
var supportedWriterFeatures = []string{FeatureAppendOnly, FeatureInvariants}

// CheckWriteSupport returns nil when this writer may commit to a table
// with protocol p, or an *UnsupportedFeatureError naming what it lacks.
// The writer creates protocol (1,2) tables; it accepts minWriterVersion
// up to 2, and 7 with writer features among appendOnly and invariants.
// The table must also be readable ([CheckReadSupport]): a writer must
// read the snapshot it commits on.
func CheckWriteSupport(table string, p Protocol) error {
	if err := CheckReadSupport(table, p); err != nil {
		return err
	}
	switch {
	case p.MinWriterVersion >= 1 && p.MinWriterVersion <= 2:
		return nil
	case p.MinWriterVersion == 3:
		return &UnsupportedFeatureError{Table: table, Feature: FeatureCheckConstraints,
			Detail: "minWriterVersion 3: CHECK constraints are not enforced by this writer"}
	case p.MinWriterVersion == 4:
		return &UnsupportedFeatureError{Table: table, Feature: FeatureGeneratedColumns,
			Detail: "minWriterVersion 4: generated columns and change data feed are not supported by this writer"}
	case p.MinWriterVersion == 5 || p.MinWriterVersion == 6:
		f := FeatureColumnMapping
		if p.MinWriterVersion == 6 {
			f = FeatureIdentityColumns
		}
		return &UnsupportedFeatureError{Table: table, Feature: f,
			Detail: fmt.Sprintf("minWriterVersion %d not supported by this writer", p.MinWriterVersion)}
	case p.MinWriterVersion == 7:
		for _, f := range p.WriterFeatures {
			if !slices.Contains(supportedWriterFeatures, f) {
				return &UnsupportedFeatureError{Table: table, Feature: f,
					Detail: "writer table feature not supported by this writer (supported: appendOnly, invariants)"}
			}
		}
		return nil
	default:
		return &UnsupportedFeatureError{Table: table,
			Feature: fmt.Sprintf("writerVersion %d", p.MinWriterVersion),
			Detail:  fmt.Sprintf("unsupported minWriterVersion %d", p.MinWriterVersion)}
	}
}
