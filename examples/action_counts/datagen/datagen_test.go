package datagen

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestFileDeterministicAndShaped(t *testing.T) {
	o := Options{Seed: 3, Events: 500}
	a, b := o.File(4), o.File(4)
	if !bytes.Equal(a.Content, b.Content) {
		t.Fatal("the same options and number gave different files")
	}
	if c := (Options{Seed: 4, Events: 500}).File(4); bytes.Equal(a.Content, c.Content) {
		t.Fatal("another seed gave the same file")
	}
	if a.Name != "events-00004.json" {
		t.Errorf("name %q", a.Name)
	}
	lines := bytes.Split(bytes.TrimSuffix(a.Content, []byte("\n")), []byte("\n"))
	if len(lines) != 500 || len(a.Events) != 500 {
		t.Fatalf("%d lines, %d events, want 500", len(lines), len(a.Events))
	}
	from := DefaultStart.Add(4 * time.Hour).Unix()
	var prev int64
	opens := 0
	for i, l := range lines {
		var e struct {
			Time   int64  `json:"time"`
			Action string `json:"action"`
		}
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
		if e.Time != a.Events[i].Time || e.Action != a.Events[i].Action {
			t.Fatalf("line %d %q, event %+v", i+1, l, a.Events[i])
		}
		if e.Time < from || e.Time >= from+3600 || e.Time < prev {
			t.Fatalf("line %d: time %d outside [%d, %d) or before the previous %d", i+1, e.Time, from, from+3600, prev)
		}
		prev = e.Time
		if e.Action == "Open" {
			opens++
		} else if e.Action != "Close" {
			t.Fatalf("line %d: action %q", i+1, e.Action)
		}
	}
	if opens < 200 || opens > 300 {
		t.Errorf("%d opens of 500", opens)
	}
}

func TestLateEvents(t *testing.T) {
	o := Options{Seed: 1, Events: 1000, Span: 10 * time.Minute, Late: 10, LateBy: 20 * time.Minute}
	f := o.File(2)
	late := 0
	from := DefaultStart.Add(20 * time.Minute).Unix()
	for _, e := range f.Events {
		switch {
		case e.Late:
			late++
			if e.Time < from-20*60 || e.Time >= from+600-1 {
				t.Errorf("late event at %d, not within 20m before [%d, %d)", e.Time, from, from+600)
			}
		case e.Time < from || e.Time >= from+600:
			t.Errorf("on-time event at %d outside [%d, %d)", e.Time, from, from+600)
		}
	}
	if late < 60 || late > 140 {
		t.Errorf("%d late events of 1000, want about 100", late)
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "events")
	files := Options{Seed: 1, Events: 10}.Files(0, 3)
	if err := WriteAll(context.Background(), dir, files, 0); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var prev time.Time
	for i, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !info.ModTime().After(prev) {
			t.Errorf("%s: modification time %v not after the previous file's %v", e.Name(), info.ModTime(), prev)
		}
		prev = info.ModTime()
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, files[i].Content) {
			t.Errorf("%s: content differs", e.Name())
		}
	}
	if want := []string{"events-00000.json", "events-00001.json", "events-00002.json"}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v (no temporary files left)", names, want)
	}
}
