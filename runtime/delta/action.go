package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// JSON keys of the actions in a commit file, as PROTOCOL.md names them.
const (
	ProtocolKey       = "protocol"
	MetadataKey       = "metaData"
	AddKey            = "add"
	RemoveKey         = "remove"
	TxnKey            = "txn"
	CommitInfoKey     = "commitInfo"
	CDCKey            = "cdc"
	DomainMetadataKey = "domainMetadata"
	CheckpointMetaKey = "checkpointMetadata"
	SidecarKey        = "sidecar"
)

// Protocol is the protocol action: the reader and writer versions (and,
// from versions 3/7, the table features) a client needs.
type Protocol struct {
	MinReaderVersion int      `json:"minReaderVersion"`
	MinWriterVersion int      `json:"minWriterVersion"`
	ReaderFeatures   []string `json:"readerFeatures,omitempty"`
	WriterFeatures   []string `json:"writerFeatures,omitempty"`
}

// MarshalJSON encodes the protocol action. PROTOCOL.md ("Table
// Features") requires readerFeatures to exist when minReaderVersion is 3
// and writerFeatures when minWriterVersion is 7, so those lists are
// written even when empty; otherwise they are written only when non-empty.
func (p Protocol) MarshalJSON() ([]byte, error) {
	var out struct {
		MinReaderVersion int       `json:"minReaderVersion"`
		MinWriterVersion int       `json:"minWriterVersion"`
		ReaderFeatures   *[]string `json:"readerFeatures,omitempty"`
		WriterFeatures   *[]string `json:"writerFeatures,omitempty"`
	}
	out.MinReaderVersion, out.MinWriterVersion = p.MinReaderVersion, p.MinWriterVersion
	if len(p.ReaderFeatures) > 0 || p.MinReaderVersion == 3 {
		rf := append([]string{}, p.ReaderFeatures...)
		out.ReaderFeatures = &rf
	}
	if len(p.WriterFeatures) > 0 || p.MinWriterVersion == 7 {
		wf := append([]string{}, p.WriterFeatures...)
		out.WriterFeatures = &wf
	}
	return json.Marshal(out)
}

// Format names the data file format of a table.
type Format struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

// Metadata is the metaData action: the table's identity, schema,
// partition columns and configuration.
type Metadata struct {
	ID               string            `json:"id"`
	Name             *string           `json:"name,omitempty"`
	Description      *string           `json:"description,omitempty"`
	Format           Format            `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	CreatedTime      *int64            `json:"createdTime,omitempty"`
}

// Schema parses SchemaString.
func (m *Metadata) Schema() (*StructType, error) { return ParseSchema(m.SchemaString) }

// DeletionVector describes a deletion vector attached to a file. streamgen
// parses it only to refuse tables that use them.
type DeletionVector struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	Offset         *int32 `json:"offset,omitempty"`
	SizeInBytes    int32  `json:"sizeInBytes"`
	Cardinality    int64  `json:"cardinality"`
}

// Add is the add action: a data file that is part of the table.
type Add struct {
	// Path is the file's location relative to the table root, percent
	// encoded as in the log. Use [Add.DecodedPath] for a storage name.
	Path             string             `json:"path"`
	PartitionValues  map[string]*string `json:"partitionValues"`
	Size             int64              `json:"size"`
	ModificationTime int64              `json:"modificationTime"`
	DataChange       bool               `json:"dataChange"`
	// Stats is a JSON document (numRecords, minValues, maxValues,
	// nullCount) stored as a string; see [ParseStats].
	Stats          string            `json:"stats,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	DeletionVector *DeletionVector   `json:"deletionVector,omitempty"`
	BaseRowID      *int64            `json:"baseRowId,omitempty"`
	ClusteringProv *string           `json:"clusteringProvider,omitempty"`
}

// DecodedPath returns Path percent-decoded once.
func (a *Add) DecodedPath() (string, error) { return DecodePath(a.Path) }

// Remove is the remove action: a tombstone for a file that left the table.
type Remove struct {
	Path                 string             `json:"path"`
	DeletionTimestamp    *int64             `json:"deletionTimestamp,omitempty"`
	DataChange           bool               `json:"dataChange"`
	ExtendedFileMetadata *bool              `json:"extendedFileMetadata,omitempty"`
	PartitionValues      map[string]*string `json:"partitionValues,omitempty"`
	Size                 *int64             `json:"size,omitempty"`
	Stats                string             `json:"stats,omitempty"`
	Tags                 map[string]string  `json:"tags,omitempty"`
	DeletionVector       *DeletionVector    `json:"deletionVector,omitempty"`
}

// Txn is the txn (SetTransaction) action: the last version an application
// committed, used for idempotent streaming writes.
type Txn struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated *int64 `json:"lastUpdated,omitempty"`
}

// CommitInfo is the commitInfo action: provenance of one commit. Fields
// other writers add are kept in Extra.
type CommitInfo struct {
	Timestamp           *int64            `json:"timestamp,omitempty"`
	InCommitTimestamp   *int64            `json:"inCommitTimestamp,omitempty"`
	Operation           string            `json:"operation,omitempty"`
	OperationParameters map[string]any    `json:"operationParameters,omitempty"`
	ReadVersion         *int64            `json:"readVersion,omitempty"`
	IsolationLevel      string            `json:"isolationLevel,omitempty"`
	IsBlindAppend       *bool             `json:"isBlindAppend,omitempty"`
	OperationMetrics    map[string]string `json:"operationMetrics,omitempty"`
	EngineInfo          string            `json:"engineInfo,omitempty"`
	TxnID               string            `json:"txnId,omitempty"`
	UserMetadata        string            `json:"userMetadata,omitempty"`
	// Extra holds every other key of the object, verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

var commitInfoKnown = map[string]bool{
	"timestamp": true, "inCommitTimestamp": true, "operation": true, "operationParameters": true,
	"readVersion": true, "isolationLevel": true, "isBlindAppend": true, "operationMetrics": true,
	"engineInfo": true, "txnId": true, "userMetadata": true,
}

// UnmarshalJSON decodes a commitInfo object, keeping unknown keys in Extra.
// Values of operationMetrics that other writers store as numbers are
// converted to strings.
func (c *CommitInfo) UnmarshalJSON(data []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	type plain CommitInfo
	var p struct {
		plain
		OperationMetrics map[string]json.RawMessage `json:"operationMetrics,omitempty"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*c = CommitInfo(p.plain)
	if p.OperationMetrics != nil {
		c.OperationMetrics = make(map[string]string, len(p.OperationMetrics))
		for k, v := range p.OperationMetrics {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(bytes.TrimSpace(v))
			}
			c.OperationMetrics[k] = s
		}
	}
	for k, v := range all {
		if !commitInfoKnown[k] {
			if c.Extra == nil {
				c.Extra = map[string]json.RawMessage{}
			}
			c.Extra[k] = v
		}
	}
	return nil
}

// MarshalJSON encodes the commitInfo object with Extra merged in.
func (c CommitInfo) MarshalJSON() ([]byte, error) {
	type plain CommitInfo
	b, err := json.Marshal(plain(c))
	if err != nil || len(c.Extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range c.Extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// CDC is the cdc action: a change data file (ignored by snapshot readers).
type CDC struct {
	Path            string             `json:"path"`
	PartitionValues map[string]*string `json:"partitionValues"`
	Size            int64              `json:"size"`
	DataChange      bool               `json:"dataChange"`
	Tags            map[string]string  `json:"tags,omitempty"`
}

// DomainMetadata is the domainMetadata action.
type DomainMetadata struct {
	Domain        string `json:"domain"`
	Configuration string `json:"configuration"`
	Removed       bool   `json:"removed"`
}

// Action is one line of a commit file: exactly one field is set. Lines
// with an action streamgen does not know are kept with Unknown set to the
// action's key, so they can be counted but never misread.
type Action struct {
	Protocol       *Protocol       `json:"protocol,omitempty"`
	Metadata       *Metadata       `json:"metaData,omitempty"`
	Add            *Add            `json:"add,omitempty"`
	Remove         *Remove         `json:"remove,omitempty"`
	Txn            *Txn            `json:"txn,omitempty"`
	CommitInfo     *CommitInfo     `json:"commitInfo,omitempty"`
	CDC            *CDC            `json:"cdc,omitempty"`
	DomainMetadata *DomainMetadata `json:"domainMetadata,omitempty"`
	// Unknown is the key of an action this package does not model
	// (checkpointMetadata, sidecar, future actions). It is never written.
	Unknown string `json:"-"`
}

// Kind returns the JSON key of the action that is set.
func (a *Action) Kind() string {
	switch {
	case a.Protocol != nil:
		return ProtocolKey
	case a.Metadata != nil:
		return MetadataKey
	case a.Add != nil:
		return AddKey
	case a.Remove != nil:
		return RemoveKey
	case a.Txn != nil:
		return TxnKey
	case a.CommitInfo != nil:
		return CommitInfoKey
	case a.CDC != nil:
		return CDCKey
	case a.DomainMetadata != nil:
		return DomainMetadataKey
	}
	return a.Unknown
}

// ParseAction decodes one line of a commit file. Blank lines are reported
// as (nil, nil). A line that is not a JSON object, or an action object
// whose known fields have the wrong types, is an error.
func ParseAction(line []byte) (*Action, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, fmt.Errorf("invalid action JSON: %w", err)
	}
	var a Action
	for key, raw := range obj {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		var err error
		switch key {
		case ProtocolKey:
			a.Protocol = new(Protocol)
			err = json.Unmarshal(raw, a.Protocol)
		case MetadataKey:
			a.Metadata = new(Metadata)
			err = json.Unmarshal(raw, a.Metadata)
		case AddKey:
			a.Add = new(Add)
			err = json.Unmarshal(raw, a.Add)
			if err == nil && a.Add.Path == "" {
				err = fmt.Errorf("missing path")
			}
		case RemoveKey:
			a.Remove = new(Remove)
			err = json.Unmarshal(raw, a.Remove)
			if err == nil && a.Remove.Path == "" {
				err = fmt.Errorf("missing path")
			}
		case TxnKey:
			a.Txn = new(Txn)
			err = json.Unmarshal(raw, a.Txn)
		case CommitInfoKey:
			a.CommitInfo = new(CommitInfo)
			err = json.Unmarshal(raw, a.CommitInfo)
		case CDCKey:
			a.CDC = new(CDC)
			err = json.Unmarshal(raw, a.CDC)
		case DomainMetadataKey:
			a.DomainMetadata = new(DomainMetadata)
			err = json.Unmarshal(raw, a.DomainMetadata)
		default:
			a.Unknown = key
		}
		if err != nil {
			return nil, fmt.Errorf("invalid %s action: %w", key, err)
		}
	}
	if a.Kind() == "" {
		return nil, fmt.Errorf("line holds no action")
	}
	return &a, nil
}

// MarshalLine encodes a as one commit-file line (no trailing newline).
func (a *Action) MarshalLine() ([]byte, error) {
	if a.Kind() == "" || a.Unknown != "" && a.Kind() == a.Unknown {
		return nil, fmt.Errorf("delta: cannot write action %q", a.Kind())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
