package datagen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/examples/iot_status/datagen"
	"github.com/streamgen/streamgen/examples/iot_status/iotstatus"
)

// Files are a function of the options and their number; every valid line
// decodes to its Reading with the generated decoder, every malformed line
// is rejected, and each of the first Malformed files has one.
func TestFiles(t *testing.T) {
	o := datagen.Options{Seed: 3, Devices: 4, Lines: 5, Malformed: 6}
	files := o.Files(1, 12)
	if diff := cmp.Diff(files[4:], o.Files(5, 8)); diff != "" {
		t.Errorf("Files(5, 8) differs from Files(1, 12)[4:]:\n%s", diff)
	}
	if bytes.Equal(files[0].Content, (datagen.Options{Seed: 4, Devices: 4, Lines: 5, Malformed: 6}).File(1).Content) {
		t.Error("another seed gives the same file")
	}
	dec := iotstatus.NewDeviceStatusDecoder()
	for _, f := range files {
		wantBad := 0
		if f.Number <= o.Malformed {
			wantBad = 1
		}
		if len(f.Readings) != o.Lines || len(f.Malformed) != wantBad {
			t.Errorf("%s: %d readings, %d malformed; want %d, %d", f.Name, len(f.Readings), len(f.Malformed), o.Lines, wantBad)
		}
		var got []datagen.Reading
		var bad []string
		for _, line := range strings.Split(strings.TrimSuffix(string(f.Content), "\n"), "\n") {
			var r iotstatus.DeviceStatus
			dec.Reset()
			if err := dec.Decode([]byte(line), &r); err != nil {
				bad = append(bad, line)
				continue
			}
			got = append(got, datagen.Reading{Device: r.Device, Status: r.Status})
		}
		if diff := cmp.Diff(f.Readings, got); diff != "" {
			t.Errorf("%s: decoded readings (-want +got):\n%s", f.Name, diff)
		}
		if diff := cmp.Diff(f.Malformed, bad); diff != "" {
			t.Errorf("%s: rejected lines (-want +got):\n%s", f.Name, diff)
		}
	}
}

// Write leaves only the renamed file behind.
func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "in")
	f := datagen.Options{Seed: 1}.File(1)
	if err := datagen.Write(dir, f); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != f.Name {
		t.Fatalf("dir holds %v; want only %s", entries, f.Name)
	}
	b, err := os.ReadFile(filepath.Join(dir, f.Name))
	if err != nil || !bytes.Equal(b, f.Content) {
		t.Errorf("file content %q, %v; want %q", b, err, f.Content)
	}
}
