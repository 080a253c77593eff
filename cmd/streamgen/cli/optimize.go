package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/streamgen/streamgen/runtime/delta"
)

const optimizeUsage = `Usage: streamgen table optimize PATH [--target-size SIZE] [--where COL=VALUE]... [--dry-run]

Compact the small files of the Delta table at PATH (bin-packing, like
Delta's OPTIMIZE without ZORDER): in each partition, files smaller than
three quarters of the target size are rewritten into files of about the
target size, in one commit that readers and streams see as no data change.

Flags:

	--target-size SIZE   size of the files to write (default 128MiB); a
	                     number of bytes with an optional unit: kB, MB, GB,
	                     TB (powers of 1000), KiB, MiB, GiB, TiB (of 1024)
	--where COL=VALUE    only compact the partitions whose partition column
	                     COL has VALUE (as written in the log); repeat for
	                     several columns
	--dry-run            print what would be compacted; change nothing
`

// partitionFilter is the repeatable --where COL=VALUE flag.
type partitionFilter map[string]string

func (p partitionFilter) String() string { return keyValues(p) }

func (p partitionFilter) Set(s string) error {
	col, val, ok := strings.Cut(s, "=")
	col = strings.TrimSpace(col)
	if !ok || col == "" {
		return fmt.Errorf("want COL=VALUE, got %q", s)
	}
	if _, dup := p[col]; dup {
		return fmt.Errorf("column %q given twice", col)
	}
	p[col] = val
	return nil
}

// sizeFlag is a byte size flag that accepts units.
type sizeFlag struct{ n int64 }

func (s *sizeFlag) String() string { return fmt.Sprint(s.n) }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	s.n = n
	return nil
}

func (c *command) tableOptimize(ctx context.Context, args []string) int {
	fs := newFlagSet("table optimize")
	var target sizeFlag
	where := partitionFilter{}
	fs.Var(&target, "target-size", "")
	fs.Var(where, "where", "")
	dryRun := fs.Bool("dry-run", false, "")
	path, code, done := c.parseTableArgs(fs, "optimize", args)
	if done {
		return code
	}
	t, closeTable, err := openTable(ctx, path)
	if err != nil {
		return c.fail("optimize", path, err)
	}
	defer closeTable()
	opts := delta.OptimizeOptions{TargetFileSize: target.n, DryRun: *dryRun}
	if len(where) > 0 {
		s, err := t.Snapshot(ctx)
		if err != nil {
			return c.fail("optimize", path, err)
		}
		for col := range where {
			if !containsString(s.Metadata.PartitionColumns, col) {
				return c.fail("optimize", path, fmt.Errorf("--where %s: %q is not a partition column (partition columns: %s)",
					col, col, orNone(s.Metadata.PartitionColumns)))
			}
		}
		opts.Partition = where
	}
	res, err := t.Optimize(ctx, opts)
	if err != nil {
		return c.fail("optimize", path, err)
	}
	if err := writeOptimizeResult(c.stdout, path, *dryRun, res); err != nil {
		return c.fail("optimize", path, err)
	}
	return ExitOK
}

// writeOptimizeResult reports what OPTIMIZE did.
func writeOptimizeResult(w io.Writer, path string, dryRun bool, r *delta.OptimizeResult) error {
	var b strings.Builder
	switch {
	case r.FilesRemoved == 0:
		fmt.Fprintf(&b, "optimize %s: nothing to compact at version %d (%d %s considered)\n",
			path, r.ReadVersion, r.FilesConsidered, plural(r.FilesConsidered, "file", "files"))
	case dryRun:
		fmt.Fprintf(&b, "optimize %s (dry run): would compact %d %s (%s) in %d %s of %d %s at version %d\n",
			path, r.FilesRemoved, plural(r.FilesRemoved, "file", "files"), formatSize(r.BytesRemoved),
			r.Bins, plural(r.Bins, "bin", "bins"), r.Partitions, plural(r.Partitions, "partition", "partitions"), r.ReadVersion)
		for _, p := range r.Removed {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	default:
		fmt.Fprintf(&b, "optimize %s: committed version %d\n", path, r.Version)
		fmt.Fprintf(&b, "  removed %d %s (%s), added %d %s (%s), in %d %s of %d %s\n",
			r.FilesRemoved, plural(r.FilesRemoved, "file", "files"), formatSize(r.BytesRemoved),
			r.FilesAdded, plural(r.FilesAdded, "file", "files"), formatSize(r.BytesAdded),
			r.Bins, plural(r.Bins, "bin", "bins"), r.Partitions, plural(r.Partitions, "partition", "partitions"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// orNone joins list with ", ", or says "none".
func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
