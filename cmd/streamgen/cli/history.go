package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/streamgen/streamgen/runtime/delta"
)

const historyUsage = `Usage: streamgen table history PATH [--limit N] [--format text|json]

Print the commits of the Delta table at PATH, newest first: version,
commit time, operation, operation parameters, the version the writer read,
whether it was a blind append, and the operation metrics. Versions whose
commit file was cleaned up from the log are not shown.

Flags:

	--limit N       print at most the N newest commits (default: all)
	--format F      text (an aligned table, default) or json
`

// historyJSON is one commit in the json format.
type historyJSON struct {
	Version             int64             `json:"version"`
	Timestamp           string            `json:"timestamp"`
	Operation           string            `json:"operation"`
	OperationParameters map[string]any    `json:"operationParameters"`
	ReadVersion         *int64            `json:"readVersion"`
	IsBlindAppend       *bool             `json:"isBlindAppend"`
	OperationMetrics    map[string]string `json:"operationMetrics"`
	EngineInfo          string            `json:"engineInfo,omitempty"`
	UserMetadata        string            `json:"userMetadata,omitempty"`
	NumAdds             int               `json:"numAdds"`
	NumRemoves          int               `json:"numRemoves"`
}

func (c *command) tableHistory(ctx context.Context, args []string) int {
	fs := newFlagSet("table history")
	limit := fs.Int("limit", 0, "")
	format := fs.String("format", "text", "")
	path, code, done := c.parseTableArgs(fs, "history", args)
	if done {
		return code
	}
	var msg string
	switch {
	case *limit < 0:
		msg = fmt.Sprintf("invalid --limit %d: want 1 or more (0: all)", *limit)
	case !slices.Contains(describeFormats, *format):
		msg = fmt.Sprintf("invalid --format %q: want %s", *format, strings.Join(describeFormats, ", "))
	}
	if msg != "" {
		return c.usageError("table history", historyUsage, msg)
	}
	t, closeTable, err := openTable(ctx, path)
	if err != nil {
		return c.fail("history", path, err)
	}
	defer closeTable()
	entries, err := t.History(ctx, *limit)
	if err != nil {
		return c.fail("history", path, explainOpenError(ctx, t.Storage(), err))
	}
	if *format == "json" {
		out := make([]historyJSON, 0, len(entries))
		for _, e := range entries {
			ci := e.CommitInfo
			out = append(out, historyJSON{
				Version:             e.Version,
				Timestamp:           formatCommitTime(e.Timestamp),
				Operation:           ci.Operation,
				OperationParameters: ci.OperationParameters,
				ReadVersion:         ci.ReadVersion,
				IsBlindAppend:       ci.IsBlindAppend,
				OperationMetrics:    ci.OperationMetrics,
				EngineInfo:          ci.EngineInfo,
				UserMetadata:        ci.UserMetadata,
				NumAdds:             e.NumAdds,
				NumRemoves:          e.NumRemoves,
			})
		}
		err = writeJSON(c.stdout, out)
	} else {
		err = historyTable(entries).write(c.stdout)
	}
	if err != nil {
		return c.fail("history", path, err)
	}
	return ExitOK
}

// historyTable lays out history entries as a text table.
func historyTable(entries []delta.HistoryEntry) *textTable {
	tab := &textTable{
		header: []string{"version", "timestamp", "operation", "readVersion", "isBlindAppend", "parameters", "metrics"},
		right:  []bool{true, false, false, true, false, false, false},
	}
	for _, e := range entries {
		ci := e.CommitInfo
		readVersion, blind := "", ""
		if ci.ReadVersion != nil {
			readVersion = strconv.FormatInt(*ci.ReadVersion, 10)
		}
		if ci.IsBlindAppend != nil {
			blind = strconv.FormatBool(*ci.IsBlindAppend)
		}
		params := make(map[string]string, len(ci.OperationParameters))
		for k, v := range ci.OperationParameters {
			if s, ok := v.(string); ok {
				params[k] = s
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				b = []byte(fmt.Sprint(v))
			}
			params[k] = string(b)
		}
		tab.rows = append(tab.rows, []string{
			strconv.FormatInt(e.Version, 10),
			formatCommitTime(e.Timestamp),
			escapeControl(ci.Operation),
			readVersion,
			blind,
			escapeControl(keyValues(params)),
			escapeControl(keyValues(ci.OperationMetrics)),
		})
	}
	return tab
}

// keyValues renders m as "k1=v1 k2=v2", keys sorted.
func keyValues(m map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
	}
	return b.String()
}
