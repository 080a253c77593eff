package files

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/storage"
)

// locStore is a store whose root is at loc (only URL is used).
type locStore struct {
	storage.Storage
	loc string
}

func (l locStore) URL(name string) string { return l.loc + name }

func TestCheckArchiveLocations(t *testing.T) {
	const ok, inside, contains = "", "is inside the source directory", "contains the source directory"
	for _, tc := range []struct {
		src, archive, want string
	}{
		// Object stores.
		{"s3://b/in/", "s3://b/archive/", ok},
		{"s3://b/in", "s3://b/in2", ok},
		{"s3://b/in/", "s3://b/in2/", ok},
		{"s3://b/in2/", "s3://b/in/", ok},
		{"s3://b/in/", "s3://c/in/", ok},
		{"s3://b/in/", "gs://b/in/", ok},
		{"s3://b/in/", "/b/in", ok},
		{"/b/in", "s3://b/in/", ok},
		{"s3://b/in/", "s3://b/in/", inside},
		{"s3://b/in", "s3://b/in/", inside},
		{"s3://b/in//", "s3://b/in", inside},
		{"s3://b/in/", "S3://b/in/archive/", inside},
		{"s3://b/in/", "s3://b/in/archive", inside},
		{"s3://b/in/", "s3://b/in/a/b/", inside},
		{"s3://b/in/", "s3://b/in/archive.tmp/", inside}, // files under it are read
		{"s3://b/in/", "s3://b/in/_archive/", ok},
		{"s3://b/in/", "s3://b/in/.archive", ok},
		{"s3://b/in/", "s3://b/in/x/_archive/y/", ok},
		{"s3://b/in?region=x", "s3://b/in/archive?region=x", inside},
		{"s3://b/in/", "s3://b/", contains},
		{"s3://b/in/", "s3://b", contains},
		{"s3://b/x/in/", "s3://b/x", contains},
		{"s3://b/x/in/", "s3://b/x/i", ok},
		{"azblob://c/in/", "azblob://c/in/sub/", inside},
		// Local paths.
		{"/data/in", "/data/archive", ok},
		{"/data/in", "/data/in2", ok},
		{"/data/in/", "/data/in", inside},
		{"/data/in", "/data/in/archive", inside},
		{"/data/in", "/data/in/_archive", ok},
		{"/data/in", "/data/in/../archive", ok},
		{"/data/in", "/data/in/x/../archive", inside},
		{"/data/in", "/data", contains},
		{"/data/in", "/", contains},
	} {
		err := checkArchive(locStore{loc: tc.src}, locStore{loc: tc.archive})
		switch {
		case tc.want == ok && err != nil:
			t.Errorf("source %s, archive %s: %v", tc.src, tc.archive, err)
		case tc.want != ok && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("source %s, archive %s: error %v, want it to contain %q", tc.src, tc.archive, err, tc.want)
		}
	}
	// Local stores compare by their absolute roots.
	d := t.TempDir()
	local := func(p string) storage.Storage {
		l, err := storage.NewLocal(p)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	in := local(filepath.Join(d, "in"))
	for archive, want := range map[string]string{
		filepath.Join(d, "in2"):              ok,
		filepath.Join(d, "in", "_a"):         ok,
		filepath.Join(d, "in", "a"):          inside,
		filepath.Join(d, "in") + "/":         inside,
		d:                                    contains,
		filepath.Join(d, "in", "..", "arch"): ok,
	} {
		err := checkArchive(in, local(archive))
		if (want == ok) != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("archive %s: error %v, want %q", archive, err, want)
		}
	}
}

func TestGlobListPrefix(t *testing.T) {
	for _, tc := range []struct {
		pattern, prefix, lit string
		flat                 bool
	}{
		{"*", "", "", true},
		{"*.jsonl", "", "", true},
		{"part-*.jsonl", "", "part-", true},
		{"in/part-*.json", "in/", "part-", true},
		{"a.json", "", "a.json", true},
		{"in/2026/a?.json", "in/2026/", "a", true},
		{"date=*/*.jsonl", "", "date=", false},
		{"in/date=2026-*/*.jsonl", "in/", "date=2026-", false},
		{"in/[ab]*/*.jsonl", "in/", "", false},
		{`in/x\*/*.jsonl`, "in/", "x", false},
		{"**/*.jsonl", "", "", false},
		{"in/**/*.jsonl", "in/", "", false},
		{"in/**", "in/", "", false},
	} {
		g, err := parseGlob(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if g.prefix != tc.prefix || g.lit != tc.lit || g.flat != tc.flat {
			t.Errorf("%s: prefix %q, lit %q, flat %v; want %q, %q, %v", tc.pattern, g.prefix, g.lit, g.flat, tc.prefix, tc.lit, tc.flat)
		}
	}
}
