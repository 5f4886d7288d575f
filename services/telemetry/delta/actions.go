package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The subset of the Delta transaction log protocol this package writes and
// reads: protocol, metaData, add, remove (read only, for reconciliation),
// txn and commitInfo. Each commit file is newline-delimited JSON with one
// action per line.

// Protocol versions: reader 1 / writer 2 need no table features, which every
// Delta reader accepts. Writer version 2 obliges writers to honour
// delta.appendOnly and column invariants, neither of which we set.
const (
	minReaderVersion = 1
	minWriterVersion = 2
)

const logDir = "_delta_log"

// action is one line of a commit file; exactly one field is set.
type action struct {
	Protocol   *protocolAction   `json:"protocol,omitempty"`
	MetaData   *metadataAction   `json:"metaData,omitempty"`
	Add        *addAction        `json:"add,omitempty"`
	Remove     *removeAction     `json:"remove,omitempty"`
	Txn        *txnAction        `json:"txn,omitempty"`
	CommitInfo *commitInfoAction `json:"commitInfo,omitempty"`
}

type protocolAction struct {
	MinReaderVersion int32 `json:"minReaderVersion"`
	MinWriterVersion int32 `json:"minWriterVersion"`
}

type formatSpec struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

type metadataAction struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	Description      string            `json:"description,omitempty"`
	Format           formatSpec        `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	CreatedTime      int64             `json:"createdTime,omitempty"`
	Configuration    map[string]string `json:"configuration"`
}

type addAction struct {
	Path             string            `json:"path"`
	PartitionValues  map[string]string `json:"partitionValues"`
	Size             int64             `json:"size"`
	ModificationTime int64             `json:"modificationTime"`
	DataChange       bool              `json:"dataChange"`
	Stats            string            `json:"stats,omitempty"`
}

type removeAction struct {
	Path              string `json:"path"`
	DeletionTimestamp int64  `json:"deletionTimestamp,omitempty"`
	DataChange        bool   `json:"dataChange"`
}

type txnAction struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated int64  `json:"lastUpdated,omitempty"`
}

// commitInfoAction is provenance only; readers ignore its content.
type commitInfoAction struct {
	Timestamp       int64             `json:"timestamp"`
	Operation       string            `json:"operation"`
	OperationParams map[string]string `json:"operationParameters"`
	EngineInfo      string            `json:"engineInfo"`
	IsBlindAppend   bool              `json:"isBlindAppend"`
	ReadVersion     *int64            `json:"readVersion,omitempty"`
}

// engineInfo names this writer in commitInfo.
const engineInfo = "tollgate-delta/1"

// commitPath is the log file of version v: 20 zero-padded digits.
func commitPath(v int64) string { return fmt.Sprintf("%s/%020d.json", logDir, v) }

// checkpointPath is the classic single-file checkpoint of version v.
func checkpointPath(v int64) string { return fmt.Sprintf("%s/%020d.checkpoint.parquet", logDir, v) }

const lastCheckpointPath = logDir + "/_last_checkpoint"

// parseLogName recognises "<v>.json" and "<v>.checkpoint.parquet" names.
func parseLogName(name string) (version int64, isCheckpoint, ok bool) {
	if len(name) < 20 {
		return 0, false, false
	}
	rest := name[20:]
	switch rest {
	case ".json":
	case ".checkpoint.parquet":
		isCheckpoint = true
	default:
		return 0, false, false
	}
	v, err := strconv.ParseInt(name[:20], 10, 64)
	if err != nil || v < 0 {
		return 0, false, false
	}
	return v, isCheckpoint, true
}

// encodeCommit renders actions as newline-delimited JSON.
func encodeCommit(actions []action) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range actions {
		if err := enc.Encode(&actions[i]); err != nil { // Encode appends the newline
			return nil, fmt.Errorf("delta: encode action: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// decodeCommit parses a commit file; unknown actions (cdc, domainMetadata…)
// decode as an empty action and are ignored by the caller.
func decodeCommit(data []byte) ([]action, error) {
	var out []action
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var a action
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			return nil, fmt.Errorf("delta: decode action: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// lastCheckpoint is the content of _delta_log/_last_checkpoint.
type lastCheckpoint struct {
	Version       int64 `json:"version"`
	Size          int64 `json:"size"`
	SizeInBytes   int64 `json:"sizeInBytes,omitempty"`
	NumOfAddFiles int64 `json:"numOfAddFiles,omitempty"`
}
