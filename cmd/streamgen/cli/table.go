package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	// The table commands are a developer tool: every object store is
	// linked in (about 55 MB more binary: 30 MB without, 85 MB with).
	_ "github.com/streamgen/streamgen/runtime/storage/cloud"
)

const tableUsage = `Usage: streamgen table <command> PATH [flags]

Inspect and maintain the Delta table at PATH. Flags may come before or
after PATH. PATH is a directory, a file:// URL, or an object-store URL:

	s3://bucket/prefix          S3 and S3-compatible stores (MinIO...)
	gs://bucket/prefix          Google Cloud Storage
	azblob://container/prefix   Azure Blob Storage

Credentials come from each cloud's standard chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY or AWS_PROFILE; Application Default Credentials;
AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY...). For MinIO or another
S3-compatible store, set AWS_ENDPOINT_URL_S3=http://host:9000 and
AWS_REGION, or give ?endpoint=http://host:9000&region=us-east-1 in the URL.

Commands:

	show        print the rows of the table
	describe    print the schema, protocol, configuration and file statistics
	history     print the commit history, newest first
	optimize    compact small files into larger ones
	vacuum      delete data files the table no longer references

Run 'streamgen help table <command>' for details on a command.
`

// tableSubUsage maps each table subcommand to its usage text.
var tableSubUsage = map[string]string{
	"show":     showUsage,
	"describe": describeUsage,
	"history":  historyUsage,
	"optimize": optimizeUsage,
	"vacuum":   vacuumUsage,
}

func (c *command) table(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(c.stderr, "streamgen table: missing command\n\n%s", tableUsage)
		return ExitUsage
	}
	switch sub := args[0]; sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.stdout, tableUsage)
		return ExitOK
	case "show":
		return c.tableShow(ctx, args[1:])
	case "describe":
		return c.tableDescribe(ctx, args[1:])
	case "history":
		return c.tableHistory(ctx, args[1:])
	case "optimize":
		return c.tableOptimize(ctx, args[1:])
	case "vacuum":
		return c.tableVacuum(ctx, args[1:])
	default:
		fmt.Fprintf(c.stderr, "streamgen table: unknown command %q\n\n%s", sub, tableUsage)
		return ExitUsage
	}
}

// parseTableArgs parses the flags of "table <sub>" and returns its one
// PATH argument. done reports that the command must return code.
func (c *command) parseTableArgs(fs *flag.FlagSet, sub string, args []string) (path string, code int, done bool) {
	name := "table " + sub
	usage := tableSubUsage[sub]
	var pos []string
	if code, done := c.parse(fs, name, usage, args, &pos); done {
		return "", code, true
	}
	switch len(pos) {
	case 0:
		return "", c.usageError(name, usage, "missing PATH"), true
	case 1:
		return pos[0], 0, false
	default:
		return "", c.usageError(name, usage, fmt.Sprintf("unexpected argument %q after PATH", pos[1])), true
	}
}

// fail prints "streamgen table <sub> <path>: <err>" on stderr and returns
// [ExitError].
func (c *command) fail(sub, path string, err error) int {
	fmt.Fprintf(c.stderr, "streamgen: table %s %s: %v\n", sub, path, err)
	return ExitError
}

// openStore opens the storage a table PATH names with [storage.OpenURL]:
// a local directory for a bare path or a file:// URL, an object store for
// s3://, gs:// or azblob://.
func openStore(ctx context.Context, path string) (storage.Storage, error) {
	st, err := storage.OpenURL(ctx, path)
	if err != nil {
		return nil, trimLocation(err, path)
	}
	return st, nil
}

// trimLocation drops the `storage: "PATH": ` prefix of an OpenURL error:
// the CLI's message names PATH already.
func trimLocation(err error, path string) error {
	if msg, ok := strings.CutPrefix(err.Error(), fmt.Sprintf("storage: %q: ", path)); ok {
		return &trimmedError{msg: msg, err: err}
	}
	return err
}

type trimmedError struct {
	msg string
	err error
}

func (e *trimmedError) Error() string { return e.msg }
func (e *trimmedError) Unwrap() error { return e.err }

// closeStore releases what an object store holds (its HTTP client);
// local stores hold nothing.
func closeStore(st storage.Storage) {
	if c, ok := st.(io.Closer); ok {
		_ = c.Close()
	}
}

// openTable opens the table at path and checks that it is one: it has a
// _delta_log with at least one commit or checkpoint. The caller calls
// done when finished with the table.
func openTable(ctx context.Context, path string) (t *delta.Table, done func(), err error) {
	st, err := openStore(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	t = delta.Open(st)
	if _, err := t.LatestVersion(ctx); err != nil {
		err = explainOpenError(ctx, st, err)
		closeStore(st)
		return nil, nil, err
	}
	return t, func() { closeStore(st) }, nil
}

// explainOpenError turns [delta.ErrNotATable] into a message saying what
// is missing; other errors pass through.
func explainOpenError(ctx context.Context, st storage.Storage, err error) error {
	if !errors.Is(err, delta.ErrNotATable) {
		return err
	}
	if l, ok := st.(*storage.Local); ok {
		if _, serr := os.Stat(l.Root()); errors.Is(serr, fs.ErrNotExist) {
			return errors.New("not a Delta table (no such directory)")
		}
	}
	files, lerr := st.List(ctx, delta.LogDir+"/")
	if lerr == nil && len(files) > 0 {
		return errors.New("not a Delta table (_delta_log holds no commit or checkpoint)")
	}
	return errors.New("not a Delta table (no _delta_log)")
}

// snapshotFlags are the time-travel flags shared by show and describe.
type snapshotFlags struct {
	version   int64
	timestamp string
}

func (s *snapshotFlags) register(fs *flag.FlagSet, withTimestamp bool) {
	fs.Int64Var(&s.version, "version", -1, "")
	if withTimestamp {
		fs.StringVar(&s.timestamp, "timestamp", "", "")
	}
}

// check validates the flags; it returns a usage message or "".
func (s *snapshotFlags) check(fs *flag.FlagSet) (ts time.Time, msg string) {
	set := flagsSet(fs)
	if set["version"] && set["timestamp"] {
		return time.Time{}, "--version and --timestamp are mutually exclusive"
	}
	if set["version"] && s.version < 0 {
		return time.Time{}, fmt.Sprintf("invalid --version %d: versions start at 0", s.version)
	}
	if set["timestamp"] {
		t, err := parseTimestamp(s.timestamp)
		if err != nil {
			return time.Time{}, err.Error()
		}
		return t, ""
	}
	return time.Time{}, ""
}

// snapshot takes the snapshot the flags select.
func (s *snapshotFlags) snapshot(ctx context.Context, fs *flag.FlagSet, t *delta.Table, ts time.Time) (*delta.Snapshot, error) {
	set := flagsSet(fs)
	switch {
	case set["version"]:
		return t.SnapshotAt(ctx, s.version)
	case set["timestamp"]:
		return t.SnapshotAsOf(ctx, ts)
	}
	return t.Snapshot(ctx)
}

// timestampLayouts are the --timestamp forms besides RFC 3339; all are UTC.
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// parseTimestamp parses a --timestamp value: RFC 3339, or a zone-less
// date-time or date taken as UTC.
func parseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range timestampLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid --timestamp %q: want RFC 3339 (2024-05-01T12:00:00Z), \"2006-01-02 15:04:05\" (UTC) or a date (2024-05-01)", s)
}

// byteUnits maps a size suffix (lowercase) to its multiplier.
var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// parseSize parses a byte size such as 134217728, 128MiB, 1.5GB or 512kib.
// Decimal units (kB, MB, GB, TB) are powers of 1000, binary units (KiB,
// MiB, GiB, TiB) powers of 1024.
func parseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional unit (128MiB, 1GB)", s)
	}
	mult, ok := byteUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, m[2])
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	v := n * mult
	if v < 1 || v > 1<<62 {
		return 0, fmt.Errorf("invalid size %q: out of range", s)
	}
	return int64(v), nil
}

// formatSize renders n bytes for people: "1980 bytes" or "1.9 KiB".
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d %s", n, plural(int(n), "byte", "bytes"))
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// parseRetention parses a --retain duration: a Go duration (168h, 90m) or
// a whole number of days (7d).
func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(d, 10, 64)
		if err == nil && n >= 0 && n < 1<<20 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid --retain %q: want a duration such as 168h or 7d", s)
	}
	return d, nil
}
