package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

const showUsage = `Usage: streamgen table show PATH [--version N | --timestamp T] [--format table|csv|jsonl] [--limit N]

Print the rows of the Delta table at PATH, at its latest version or, with
--version or --timestamp, as it was then. Rows come in file order (the
table's active files sorted by path), then in row order within each file:
they are not sorted.

Flags:

	--version N     read the table as of version N
	--timestamp T   read the newest version committed at or before T:
	                RFC 3339 (2024-05-01T12:00:00Z), "2006-01-02 15:04:05"
	                (UTC) or a date (2024-05-01, midnight UTC)
	--format F      table: aligned text with a header, NULL for null (default)
	                csv:   RFC 4180 with a header line, null as an empty field
	                jsonl: one JSON object per row, keys in schema order
	--limit N       print at most N rows (default: all)

Values: timestamps are RFC 3339 in UTC (2016-07-26T02:14:35Z, with six
fraction digits only when non-zero), timestamp_ntz the same without the Z, dates
YYYY-MM-DD, binary base64 (\x and hex in the text table). In jsonl,
decimals are JSON numbers written exactly, structs are objects, arrays are
arrays, maps are objects when their keys are strings, else arrays of
{"key":…,"value":…}; in table and csv output, nested values are that JSON.
`

func (c *command) tableShow(ctx context.Context, args []string) int {
	fs := newFlagSet("table show")
	var snap snapshotFlags
	snap.register(fs, true)
	format := fs.String("format", "table", "")
	limit := fs.Int("limit", -1, "")
	path, code, done := c.parseTableArgs(fs, "show", args)
	if done {
		return code
	}
	ts, msg := snap.check(fs)
	if msg == "" && !slices.Contains(rowFormats, *format) {
		msg = fmt.Sprintf("invalid --format %q: want %s", *format, strings.Join(rowFormats, ", "))
	}
	if msg == "" && flagsSet(fs)["limit"] && *limit < 0 {
		msg = fmt.Sprintf("invalid --limit %d: want 0 or more", *limit)
	}
	if msg != "" {
		return c.usageError("table show", showUsage, msg)
	}

	t, closeTable, err := openTable(ctx, path)
	if err != nil {
		return c.fail("show", path, err)
	}
	defer closeTable()
	s, err := snap.snapshot(ctx, fs, t, ts)
	if err != nil {
		return c.fail("show", path, err)
	}
	w, err := newRowWriter(c.stdout, *format, s.Schema)
	if err != nil {
		return c.fail("show", path, err)
	}
	n, truncated := 0, false
files:
	for _, add := range s.Files {
		if *limit >= 0 && n >= *limit {
			truncated = true
			break
		}
		rows, err := s.ReadFile(ctx, add)
		if err != nil {
			return c.fail("show", path, err)
		}
		for _, r := range rows {
			if *limit >= 0 && n >= *limit {
				truncated = true
				break files
			}
			if err := w.WriteRow(r); err != nil {
				return c.fail("show", path, err)
			}
			n++
		}
	}
	if err := w.Close(truncated); err != nil {
		return c.fail("show", path, err)
	}
	return ExitOK
}
