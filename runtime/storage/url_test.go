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

func TestJoinLocation(t *testing.T) {
	for _, c := range []struct{ loc, elem, want string }{
		{"data/tables/t", "_quarantine", filepath.Join("data", "tables", "t", "_quarantine")},
		{"/abs/t/", "q", filepath.Join("/abs", "t", "q")},
		{"file:///abs/t", "_quarantine", "file:///abs/t/_quarantine"},
		{"s3://bucket/tables/t", "_quarantine", "s3://bucket/tables/t/_quarantine"},
		{"s3://bucket/tables/t/", "_quarantine", "s3://bucket/tables/t/_quarantine"},
		{"s3://bucket", "quarantine", "s3://bucket/quarantine"},
		{"s3://bucket/t?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-east-1", "_q", "s3://bucket/t/_q?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-east-1"},
		{"gs://b/p", "a/b", "gs://b/p/a/b"},
	} {
		if got := JoinLocation(c.loc, c.elem); got != c.want {
			t.Errorf("JoinLocation(%q, %q) = %q, want %q", c.loc, c.elem, got, c.want)
		}
	}
}
