package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

const vacuumUsage = `Usage: streamgen table vacuum PATH [--retain DURATION] [--dry-run] [--force]

Delete the files under the Delta table at PATH that the table no longer
needs: data files that no active file and no tombstone younger than the
retention references (files removed by OPTIMIZE, updates or overwrites, and
files of failed writes), once they are older than the retention. Time
travel to versions older than the retention stops working. The run is
recorded in the log as VACUUM START and VACUUM END commits.

Flags:

	--retain DURATION   keep files removed less than DURATION ago: a Go
	                    duration (168h, 90m) or days (7d); default the
	                    table's delta.deletedFileRetentionDuration, 168h
	                    (7 days) when unset
	--dry-run           list the files that would be deleted; change nothing
	--force             allow a retention shorter than the table's, which
	                    can break readers and streams of older versions
`

func (c *command) tableVacuum(ctx context.Context, args []string) int {
	fs := newFlagSet("table vacuum")
	retain := fs.String("retain", "", "")
	dryRun := fs.Bool("dry-run", false, "")
	force := fs.Bool("force", false, "")
	path, code, done := c.parseTableArgs(fs, "vacuum", args)
	if done {
		return code
	}
	opts := delta.VacuumOptions{Force: *force, DryRun: *dryRun}
	if flagsSet(fs)["retain"] {
		d, err := parseRetention(*retain)
		if err != nil {
			return c.usageError("table vacuum", vacuumUsage, err.Error())
		}
		opts.Retention = d
		if d == 0 {
			opts.Retention = -1 // no retention at all; delta uses 0 for "the table's"
		}
	}
	t, closeTable, err := openTable(ctx, path)
	if err != nil {
		return c.fail("vacuum", path, err)
	}
	defer closeTable()
	res, err := t.Vacuum(ctx, opts)
	if err != nil {
		return c.fail("vacuum", path, err)
	}
	if err := writeVacuumResult(c.stdout, path, *dryRun, res); err != nil {
		return c.fail("vacuum", path, err)
	}
	return ExitOK
}

// writeVacuumResult reports what VACUUM did, one deleted file a line.
func writeVacuumResult(w io.Writer, path string, dryRun bool, r *delta.VacuumResult) error {
	var b strings.Builder
	n := len(r.Files)
	files := plural(n, "file", "files")
	cutoff := r.Cutoff.UTC().Truncate(time.Second).Format(time.RFC3339)
	switch {
	case dryRun:
		fmt.Fprintf(&b, "vacuum %s (dry run): would delete %d %s (%s) unreferenced at version %d and older than %s (retention %s)\n",
			path, n, files, formatSize(r.Bytes), r.ReadVersion, cutoff, formatDuration(r.Retention))
	case n == 0:
		fmt.Fprintf(&b, "vacuum %s: nothing to delete at version %d (retention %s); committed versions %d and %d\n",
			path, r.ReadVersion, formatDuration(r.Retention), r.StartVersion, r.EndVersion)
	default:
		fmt.Fprintf(&b, "vacuum %s: deleted %d %s (%s) unreferenced at version %d and older than %s (retention %s); committed versions %d and %d\n",
			path, n, files, formatSize(r.Bytes), r.ReadVersion, cutoff, formatDuration(r.Retention), r.StartVersion, r.EndVersion)
	}
	for _, f := range r.Files {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatDuration renders whole hours as "168h", anything else as
// time.Duration does.
func formatDuration(d time.Duration) string {
	if d != 0 && d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
