// Package datagen generates the iot_status example's sample data: JSON
// lines files of device statuses {"device":"Dev1","status":"ok"}, as IoT
// devices would drop them into a folder, with optional malformed lines to
// show the pipeline's quarantine.
//
// A file's content is a pure function of the Options and its number, so
// the same seed always gives the same files, and files numbered from
// where an earlier run stopped continue it. Files are written under a
// hidden temporary name and renamed into place: the files source skips
// names starting with "." or "_", so it never reads a half-written file.
package datagen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Options say what the files hold.
type Options struct {
	// Seed seeds the random readings; the same seed gives the same files.
	Seed uint64
	// Devices is the number of devices, named Dev1 … DevN (default 5).
	Devices int
	// Lines is the number of valid readings per file (default 4).
	Lines int
	// Malformed is the number of malformed lines: files 1 … Malformed hold
	// one each, at a random position among their valid lines.
	Malformed int
}

// Reading is one valid line of a file.
type Reading struct {
	Device string `json:"device"`
	Status string `json:"status"`
}

// File is one generated file.
type File struct {
	// Number is the file's number, from 1.
	Number int
	// Name is the file's name, status-00001.json for file 1.
	Name string
	// Content is the file's JSON lines.
	Content []byte
	// Readings are the file's valid lines, in file order.
	Readings []Reading
	// Malformed are the file's malformed lines, in file order.
	Malformed []string
}

// statuses are the statuses a device reports, with their weights in
// percent.
var statuses = []struct {
	status string
	weight int
}{{"ok", 80}, {"warn", 15}, {"fail", 5}}

func (o Options) withDefaults() Options {
	if o.Devices <= 0 {
		o.Devices = 5
	}
	if o.Lines <= 0 {
		o.Lines = 4
	}
	return o
}

// File returns file number n (n ≥ 1).
func (o Options) File(n int) File {
	o = o.withDefaults()
	// The stream is the file number spread by a golden-ratio multiply, so
	// neighbouring files' streams share no structure.
	rng := rand.New(rand.NewPCG(o.Seed, uint64(n)*0x9e3779b97f4a7c15))
	f := File{Number: n, Name: fmt.Sprintf("status-%05d.json", n)}
	bad := -1
	if n <= o.Malformed {
		bad = rng.IntN(o.Lines + 1)
	}
	for i := 0; i <= o.Lines; i++ {
		if i == bad {
			line := malformedLine(rng, n, o.Devices)
			f.Malformed = append(f.Malformed, line)
			f.Content = append(append(f.Content, line...), '\n')
		}
		if i == o.Lines {
			break
		}
		r := Reading{Device: device(rng, o.Devices), Status: status(rng)}
		f.Readings = append(f.Readings, r)
		f.Content = fmt.Appendf(f.Content, "{\"device\":%s,\"status\":%s}\n", strconv.Quote(r.Device), strconv.Quote(r.Status))
	}
	return f
}

// Files returns files first … first+count-1.
func (o Options) Files(first, count int) []File {
	files := make([]File, count)
	for i := range files {
		files[i] = o.File(first + i)
	}
	return files
}

func device(rng *rand.Rand, devices int) string {
	return "Dev" + strconv.Itoa(1+rng.IntN(devices))
}

func status(rng *rand.Rand) string {
	w := rng.IntN(100)
	for _, s := range statuses {
		if w < s.weight {
			return s.status
		}
		w -= s.weight
	}
	return statuses[0].status
}

// malformedLine returns a line of file n the DeviceStatus decoder
// rejects, of each kind in turn: cut short, a number for a string, a
// required field missing, not JSON.
func malformedLine(rng *rand.Rand, n, devices int) string {
	d := strconv.Quote(device(rng, devices))
	switch (n - 1) % 4 {
	case 0:
		return `{"device":` + d + `,"status":`
	case 1:
		return `{"device":` + strconv.Itoa(1+rng.IntN(devices)) + `,"status":"ok"}`
	case 2:
		return `{"device":` + d + `}`
	default:
		return "not json"
	}
}

// Write writes f into dir (created if need be) under a hidden temporary
// name, then renames it into place.
func Write(dir string, f File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+f.Name+".tmp")
	if err := os.WriteFile(tmp, f.Content, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, f.Name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteAll writes files into dir in order, waiting interval before each
// file after the first; it stops early when ctx is done.
func WriteAll(ctx context.Context, dir string, files []File, interval time.Duration) error {
	for i, f := range files {
		if i > 0 && interval > 0 {
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := Write(dir, f); err != nil {
			return err
		}
	}
	return nil
}
