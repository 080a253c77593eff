package files

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/storage"
)

// Opt configures New.
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

// MalformedPolicy says what happens to a line the decoder rejects.
type MalformedPolicy int

// The malformed-line policies.
const (
	// QuarantineMalformed hands the line to the quarantine writer and
	// counts it (the default).
	QuarantineMalformed MalformedPolicy = iota
	// DropMalformed counts the line and drops it.
	DropMalformed
	// FailMalformed stops the query with the file, line and reason.
	FailMalformed
)

// String returns "quarantine", "drop" or "fail".
func (p MalformedPolicy) String() string {
	switch p {
	case QuarantineMalformed:
		return "quarantine"
	case DropMalformed:
		return "drop"
	case FailMalformed:
		return "fail"
	}
	return fmt.Sprintf("MalformedPolicy(%d)", int(p))
}

// ParseMalformedPolicy parses "quarantine", "drop" or "fail".
func ParseMalformedPolicy(s string) (MalformedPolicy, error) {
	for _, p := range []MalformedPolicy{QuarantineMalformed, DropMalformed, FailMalformed} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("files: onMalformed %q: want quarantine, drop or fail", s)
}

// CleanMode is Spark's cleanSource option: what happens to the files of
// committed batches.
type CleanMode int

// The clean modes.
const (
	// CleanOff leaves the files in place (the default).
	CleanOff CleanMode = iota
	// CleanArchive moves them under SourceArchiveDir.
	CleanArchive
	// CleanDelete deletes them.
	CleanDelete
)

// String returns "off", "archive" or "delete".
func (m CleanMode) String() string {
	switch m {
	case CleanOff:
		return "off"
	case CleanArchive:
		return "archive"
	case CleanDelete:
		return "delete"
	}
	return fmt.Sprintf("CleanMode(%d)", int(m))
}

// ParseCleanMode parses "off", "archive" or "delete".
func ParseCleanMode(s string) (CleanMode, error) {
	for _, m := range []CleanMode{CleanOff, CleanArchive, CleanDelete} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("files: cleanSource %q: want off, archive or delete", s)
}

type cfg struct {
	glob        string
	maxFiles    int
	maxBytes    int64
	latestFirst bool
	maxFileAge  time.Duration
	clean       CleanMode
	archive     storage.Storage
	malformed   MalformedPolicy
	quarantine  quarantine.Writer
	logger      *slog.Logger
}

// Glob sets the pattern of the files to read, relative to the root (see
// the package documentation), overriding the default "*".
func Glob(pattern string) Opt { return opt(func(c *cfg) { c.glob = pattern }) }

// MaxFilesPerTrigger limits a batch to n files (Spark's
// maxFilesPerTrigger); 0, the default, means no limit.
func MaxFilesPerTrigger(n int) Opt { return opt(func(c *cfg) { c.maxFiles = n }) }

// MaxBytesPerTrigger limits a batch to files totalling at most n bytes,
// but always takes at least one file (Spark's maxBytesPerTrigger); 0, the
// default, means no limit. Unlike Spark it may be combined with
// MaxFilesPerTrigger: a batch stops at the first limit reached.
func MaxBytesPerTrigger(n int64) Opt { return opt(func(c *cfg) { c.maxBytes = n }) }

// LatestFirst makes each batch take the newest files first (Spark's
// latestFirst), for catching up on recent data before a backlog.
func LatestFirst(on bool) Opt { return opt(func(c *cfg) { c.latestFirst = on }) }

// MaxFileAge ignores files older than the newest file already read minus
// d (Spark's maxFileAge); 0, the default, means no limit. It is ignored
// when MaxFilesPerTrigger and LatestFirst are both set, as in Spark.
func MaxFileAge(d time.Duration) Opt { return opt(func(c *cfg) { c.maxFileAge = d }) }

// CleanSource sets what happens to the files of committed batches
// (Spark's cleanSource), overriding the default CleanOff. CleanArchive
// needs SourceArchiveDir.
func CleanSource(m CleanMode) Opt { return opt(func(c *cfg) { c.clean = m }) }

// SourceArchiveDir sets where CleanArchive moves files: each keeps its
// path relative to the root under dir (Spark's sourceArchiveDir). dir may
// be any store (a local directory, an object-store prefix), but must not
// be the root, inside it (unless under a hidden directory such as
// "_archive", which is never read) or contain it: see the package
// documentation, "Cleaning the source".
func SourceArchiveDir(dir storage.Storage) Opt { return opt(func(c *cfg) { c.archive = dir }) }

// OnMalformed sets the policy for lines the decoder rejects, overriding
// the default QuarantineMalformed.
func OnMalformed(p MalformedPolicy) Opt { return opt(func(c *cfg) { c.malformed = p }) }

// QuarantineTo sets where QuarantineMalformed writes malformed lines,
// typically a quarantine.Delta table beside the sink; it is required with
// that policy.
func QuarantineTo(q quarantine.Writer) Opt { return opt(func(c *cfg) { c.quarantine = q }) }

// Logger sets the logger, overriding slog.Default().
func Logger(l *slog.Logger) Opt { return opt(func(c *cfg) { c.logger = l }) }

func (c *cfg) validate() error {
	switch {
	case c.maxFiles < 0:
		return fmt.Errorf("files: MaxFilesPerTrigger must not be negative, got %d", c.maxFiles)
	case c.maxBytes < 0:
		return fmt.Errorf("files: MaxBytesPerTrigger must not be negative, got %d", c.maxBytes)
	case c.maxFileAge < 0:
		return fmt.Errorf("files: MaxFileAge must not be negative, got %v", c.maxFileAge)
	case c.logger == nil:
		return fmt.Errorf("files: Logger is nil")
	case c.clean < CleanOff || c.clean > CleanDelete:
		return fmt.Errorf("files: invalid CleanSource %v", c.clean)
	case c.clean == CleanArchive && c.archive == nil:
		return fmt.Errorf("files: CleanSource(archive) needs SourceArchiveDir")
	case c.malformed < QuarantineMalformed || c.malformed > FailMalformed:
		return fmt.Errorf("files: invalid OnMalformed %v", c.malformed)
	case c.malformed == QuarantineMalformed && c.quarantine == nil:
		return fmt.Errorf("files: OnMalformed(quarantine) needs a quarantine writer (QuarantineTo); use OnMalformed(DropMalformed) or FailMalformed to go without")
	}
	if _, err := parseGlob(c.glob); err != nil {
		return err
	}
	return nil
}
