package files_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
)

// A source over an input directory, with malformed lines quarantined in a
// Delta table beside the output table: one batch read by hand, as a
// Runner does.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "files-example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	// Writers write elsewhere (or under a hidden name) and rename.
	os.WriteFile(filepath.Join(in, ".a.jsonl"), []byte(`{"device":"Dev1","status":"ok"}`+"\n"+`{"device":2}`+"\n"), 0o644)
	os.Rename(filepath.Join(in, ".a.jsonl"), filepath.Join(in, "a.jsonl"))

	input, _ := storage.NewLocal(in)
	cpStore, _ := storage.NewLocal(filepath.Join(dir, "checkpoint"))
	qStore, _ := storage.NewLocal(filepath.Join(dir, "table", "_quarantine"))
	cp, err := checkpoint.Open(ctx, cpStore, checkpoint.Logger(discard))
	if err != nil {
		panic(err)
	}
	qt := delta.Open(qStore)
	src, err := files.New(ctx, input, cp, 0, newDecoder,
		files.Glob("*.jsonl"), files.MaxFilesPerTrigger(100),
		files.QuarantineTo(quarantine.NewDelta(qt, quarantine.Logger(discard))), files.Logger(discard))
	if err != nil {
		panic(err)
	}
	end, _ := src.LatestOffset(ctx, nil)
	fmt.Println("offset", string(end))
	st, err := src.Read(ctx, nil, end, func(r *row, o files.Origin) error {
		fmt.Printf("%s:%d %s %s\n", o.File, o.Line, r.Device, r.Status)
		return nil
	})
	fmt.Printf("%+v %v\n", st, err)
	snap, _ := qt.Snapshot(ctx)
	rows, _ := snap.Rows(ctx)
	for _, r := range rows {
		fmt.Printf("quarantined line %v: %v: %v\n", r[2], r[4], r[6])
	}
	// Output:
	// offset {"logOffset":0}
	// a.jsonl:1 Dev1 ok
	// {Rows:1 Malformed:1 Quarantined:1 Dropped:0 Bytes:45 Files:1} <nil>
	// quarantined line 2: {"device":2}: field "device" at byte 10: expected string, found number 2
}
