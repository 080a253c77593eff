package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, loc := range []string{dir, "file://" + filepath.ToSlash(dir), "file://localhost" + filepath.ToSlash(dir)} {
		s, err := OpenURL(ctx, loc)
		if err != nil {
			t.Fatalf("OpenURL(%q): %v", loc, err)
		}
		if l, ok := s.(*Local); !ok || l.Root() != dir {
			t.Errorf("OpenURL(%q) = %#v, want Local at %s", loc, s, dir)
		}
	}
	rel, err := OpenURL(ctx, "some/relative")
	if err != nil {
		t.Fatal(err)
	}
	if l := rel.(*Local); !filepath.IsAbs(l.Root()) || !strings.HasSuffix(l.Root(), filepath.FromSlash("some/relative")) {
		t.Errorf("relative path: root %s", l.Root())
	}
	// This test binary links no object store.
	for loc, want := range map[string]string{
		"":                   "empty location",
		"s3://bucket/p":      "import _ \"github.com/streamgen/streamgen/runtime/storage/s3store\"",
		"gs://bucket/p":      "gcsstore",
		"azblob://c/p":       "azurestore",
		"ftp://host/p":       "unsupported scheme",
		"file://otherhost/x": "local path",
		"mem://b":            "unsupported scheme",
	} {
		if _, err := OpenURL(ctx, loc); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpenURL(%q) = %v, want an error saying %q", loc, err, want)
		}
	}
}
