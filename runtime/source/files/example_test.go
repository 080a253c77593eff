package files_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	devicestatus "github.com/streamgen/streamgen/generated_test/device_status/want"
	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// A source over an input directory, with malformed lines quarantined
// beside the output table: one batch read by hand, as a Runner does.
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
	table, _ := storage.NewLocal(filepath.Join(dir, "table"))
	cp, err := checkpoint.Open(ctx, cpStore, checkpoint.Logger(discard))
	if err != nil {
		panic(err)
	}
	src, err := files.New(ctx, input, cp, 0,
		func() streamimpl.Decoder[devicestatus.DeviceStatus] { return devicestatus.NewDeviceStatusDecoder() },
		files.Glob("*.jsonl"), files.MaxFilesPerTrigger(100),
		files.QuarantineTo(files.NewFileQuarantine(table, discard)), files.Logger(discard))
	if err != nil {
		panic(err)
	}
	end, _ := src.LatestOffset(ctx, nil)
	fmt.Println("offset", string(end))
	st, err := src.Read(ctx, nil, end, func(r *devicestatus.DeviceStatus, o files.Origin) error {
		fmt.Printf("%s:%d %s %s\n", o.File, o.Line, r.Device, r.Status)
		return nil
	})
	fmt.Printf("%+v %v\n", st, err)
	q, _ := table.List(ctx, "_quarantine/")
	fmt.Println(len(q), "quarantine file")
	// Output:
	// offset {"logOffset":0}
	// a.jsonl:1 Dev1 ok
	// {Rows:1 Malformed:1 Quarantined:1 Dropped:0 Bytes:45 Files:1} <nil>
	// 1 quarantine file
}
