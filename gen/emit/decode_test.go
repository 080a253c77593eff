package emit_test

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/emit"
	"github.com/streamgen/streamgen/gen/emit/internal/decodefixture"
	"github.com/streamgen/streamgen/gen/plan"
)

// renderDecoder renders r's decoder as a file of package p.
func renderDecoder(t *testing.T, r *plan.Record) []byte {
	t.Helper()
	src, err := decodefixture.Render("p", emit.Decoder(r))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestDecoderDeterministicAndFormatted(t *testing.T) {
	records := append([]*plan.Record{decodefixture.Event(), decodefixture.SensorReading(), decodefixture.Many()}, decodefixture.AllTypes()...)
	for _, r := range records {
		a, b := renderDecoder(t, r), renderDecoder(t, r)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings differ", r.GoName)
		}
		formatted, err := format.Source(a)
		if err != nil || !bytes.Equal(formatted, a) {
			t.Errorf("%s: not gofmt-clean (%v)", r.GoName, err)
		}
		for _, want := range []string{
			"func New" + r.DecoderName + "() *" + r.DecoderName,
			"func (d *" + r.DecoderName + ") Decode(data []byte, dst *" + r.GoName + ") error",
			"func decode" + r.GoName + "(s *streamimpl.Scanner, a *streamimpl.Arena, dst *" + r.GoName + ") error",
		} {
			if !bytes.Contains(a, []byte(want)) {
				t.Errorf("%s: no %q in\n%s", r.GoName, want, a)
			}
		}
		if bytes.Contains(a, []byte(`"encoding/json"`)) || bytes.Contains(a, []byte(`"reflect"`)) {
			t.Errorf("%s: decoder uses encoding/json or reflect", r.GoName)
		}
	}
}

// TestDecodersInScratchModule generates the decoders and structs of the
// events, sensor reading, all-types and 70-field records into a scratch
// module that replaces this module with the working tree, and runs go vet
// and a generated differential test there: every seed and thousands of
// mutations of them decode exactly as encoding/json plus the schema
// oracle of runtime/streamimpl/internal/decodetest says.
func TestDecodersInScratchModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if keep := os.Getenv("STREAMGEN_DECODE_SCRATCH"); keep != "" {
		dir = keep // keep the module, e.g. to fuzz it: go test -fuzz FuzzAllTypes ./rec
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte("module scratch\n\ngo 1.26\n\nrequire (\n\tgithub.com/google/go-cmp v0.7.0\n\tgithub.com/streamgen/streamgen v0.0.0\n)\n\nreplace github.com/streamgen/streamgen => "+repo+"\n"))
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", sum)
	oracle, err := os.ReadFile(filepath.Join(repo, "runtime/streamimpl/internal/decodetest/oracle_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	write("rec/oracle_test.go", bytes.Replace(oracle, []byte("package decodetest"), []byte("package rec"), 1))
	write("rec/differential_test.go", []byte(scratchTest))

	records := append([]*plan.Record{decodefixture.Event(), decodefixture.SensorReading(), decodefixture.Many()}, decodefixture.AllTypes()...)
	for _, r := range records {
		src, err := decodefixture.Render("rec", append(decodefixture.Struct(r), []jen.Code(emit.Decoder(r))...))
		if err != nil {
			t.Fatalf("%s: %v", r.GoName, err)
		}
		write("rec/"+strings.ToLower(r.GoName)+".go", src)
	}

	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command(gobin, args...)
		cmd.Dir = dir
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// scratchTest is the differential test run in the scratch module.
const scratchTest = `package rec

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/streamimpl"
)

func differential[T any](t *testing.T, data []byte, decode func([]byte, *T) error) error {
	t.Helper()
	var got, want T
	gerr := decode(data, &got)
	werr := expect(data, &want)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("input %q:\ndecoder: %v\noracle:  %v", data, gerr, werr)
	}
	if gerr != nil {
		var de *streamimpl.DecodeError
		if !errors.As(gerr, &de) || de.Offset < 0 || de.Offset > len(data) || de.Msg == "" {
			t.Fatalf("input %q: bad error %#v", data, gerr)
		}
		return gerr
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("input %q: (-want +got)\n%s", data, diff)
	}
	return nil
}

const full = ` + "`" + `{"name":"n","nick":"nk","note":null,"small":2147483647,"small_opt":-2147483648,"big":9223372036854775807,"age":150,"score":-5,"ratio":0.5,"flag":true,"id":"123e4567-e89b-12d3-a456-426614174000","opt_id":null,"day":"2024-02-29","created":"2024-01-15T10:30:00Z","seen_at":1469501675,"millis":1469501675123,"level":"high","tags":["a","b\u00e9",""],"counts":[1,null,-3],"levels":["debug","info"],"matrix":[[1,2],null,[]],"location":{"lat":1.5,"lon":-2.25,"label":"home"},"origin":{"lat":0,"lon":0},"points":[{"x":1,"y":2,"at":null},{"x":3,"y":4,"at":"2024-01-15T10:30:00+01:00"}],"stops":[null,{"lat":1,"lon":2}],"unused":[null,"2024-01-15T10:30:00Z"],"extra":{"k":[1,{"z":"\ud83d\ude00"}]}}` + "`" + `

const minimal = ` + "`" + `{"name":"","note":"x","small":0,"ratio":null,"id":"123E4567-E89B-12D3-A456-426614174000","location":{"lon":0,"lat":0},"points":[]}` + "`" + `

var allSeeds = []string{
	full, minimal,
	strings.Replace(minimal, ` + "`" + `"small":0` + "`" + `, ` + "`" + `"small":2147483648` + "`" + `, 1),
	strings.Replace(minimal, ` + "`" + `"small":0` + "`" + `, ` + "`" + `"small":-2147483649` + "`" + `, 1),
	strings.Replace(minimal, ` + "`" + `"note":"x"` + "`" + `, ` + "`" + `"note":null,"note":"y"` + "`" + `, 1),
	strings.Replace(minimal, ` + "`" + `"note":"x",` + "`" + `, "", 1),
	strings.Replace(minimal, ` + "`" + `"lat":0` + "`" + `, ` + "`" + `"lat":null` + "`" + `, 1),
	strings.Replace(minimal, ` + "`" + `,"lat":0` + "`" + `, "", 1),
	strings.Replace(minimal, ` + "`" + `"points":[]` + "`" + `, ` + "`" + `"points":[{"x":1}]` + "`" + `, 1),
	strings.Replace(minimal, ` + "`" + `"points":[]` + "`" + `, ` + "`" + `"points":null` + "`" + `, 1),
	strings.Replace(minimal, ` + "`" + `"id":"123E4567` + "`" + `, ` + "`" + `"id":"123G4567` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"counts":[1,null,-3]` + "`" + `, ` + "`" + `"counts":[1,"x"]` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"tags":["a"` + "`" + `, ` + "`" + `"tags":[null` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"day":"2024-02-29"` + "`" + `, ` + "`" + `"day":"2023-02-29"` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"level":"high"` + "`" + `, ` + "`" + `"level":"HIGH"` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"levels":["debug","info"]` + "`" + `, ` + "`" + `"levels":["debug",null]` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"matrix":[[1,2],null,[]]` + "`" + `, ` + "`" + `"matrix":[[1,null]]` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"millis":1469501675123` + "`" + `, ` + "`" + `"millis":1469501675123.5` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"origin":{"lat":0,"lon":0}` + "`" + `, ` + "`" + `"origin":{"lat":0}` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"location":{` + "`" + `, ` + "`" + `"location":{"lat":"x"},"location":{` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"stops":[null,{"lat":1,"lon":2}]` + "`" + `, ` + "`" + `"stops":[{"lat":1}]` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"age":150` + "`" + `, ` + "`" + `"age":151` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"age":150` + "`" + `, ` + "`" + `"age":-1` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"score":-5` + "`" + `, ` + "`" + `"score":-6` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"score":-5` + "`" + `, ` + "`" + `"score":null` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `{"x":1,"y":2,` + "`" + `, ` + "`" + `{"x":1,"y":2,"z":3,` + "`" + `, 1),
	strings.Replace(full, ` + "`" + `"location":{"lat":1.5,` + "`" + `, ` + "`" + `"location":{"z":3,"lat":1.5,` + "`" + `, 1),
}

var eventSeeds = []string{
	` + "`" + `{"time":1469501675,"action":"Open"}` + "`" + `,
	` + "`" + `{"action":"Close","time":-1}` + "`" + `,
	` + "`" + `{"time":1469501675,"action":"Shut"}` + "`" + `,
}

var sensorSeeds = []string{
	` + "`" + `{"device_id":"sensor-0042","temperature":21.5,"timestamp":"2024-01-15T10:30:00Z"}` + "`" + `,
	` + "`" + `{"device_id":"s","temperature":-1e-7,"timestamp":"2024-01-15T10:30:00.5-08:00"}` + "`" + `,
}

// manySeed returns a Many record, leaving out field skip (or none: -1).
func manySeed(skip int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range 70 {
		if i == skip {
			continue
		}
		if b.Len() > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, ` + "`" + `"f%d":%d` + "`" + `, i, i)
	}
	b.WriteString("}")
	return b.String()
}

var tokens = []string{"null", ` + "`" + `"x"` + "`" + `, "1.5", "[", "]", "{", "}", ",", ":", ` + "`" + `"\u00e9"` + "`" + `, "-0", "1e400", "2147483648", "true", ` + "`" + `"\ud800"` + "`" + `, " ", "\xff", ` + "`" + `"2024-01-15"` + "`" + `}

// mutate returns a random mutation of s.
func mutate(rng *rand.Rand, s string) string {
	for range 1 + rng.IntN(3) {
		if len(s) == 0 {
			return s
		}
		i, j := rng.IntN(len(s)), rng.IntN(len(s))
		if i > j {
			i, j = j, i
		}
		switch rng.IntN(4) {
		case 0: // delete a range
			s = s[:i] + s[j:]
		case 1: // insert a token
			s = s[:i] + tokens[rng.IntN(len(tokens))] + s[i:]
		case 2: // duplicate a range
			s = s[:j] + s[i:j] + s[j:]
		default: // truncate
			s = s[:j]
		}
	}
	return s
}

func run[T any](t *testing.T, seeds []string, decode func([]byte, *T) error) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, seed := range seeds {
		differential(t, []byte(seed), decode)
		for range 3000 {
			differential(t, []byte(mutate(rng, seed)), decode)
		}
	}
}

func TestAllTypes(t *testing.T) { run(t, allSeeds, NewAllTypesDecoder().Decode) }

func FuzzAllTypes(f *testing.F) {
	for _, s := range allSeeds {
		f.Add([]byte(s))
	}
	dec := NewAllTypesDecoder()
	f.Fuzz(func(t *testing.T, data []byte) { differential(t, data, dec.Decode) })
}
func TestEvent(t *testing.T)    { run(t, eventSeeds, NewEventDecoder().Decode) }
func TestSensor(t *testing.T)   { run(t, sensorSeeds, NewSensorReadingDecoder().Decode) }
func TestMany(t *testing.T) {
	run(t, []string{manySeed(-1), manySeed(0), manySeed(63), manySeed(64), manySeed(69)}, NewManyDecoder().Decode)
}

func TestValidRecordsAccepted(t *testing.T) {
	dec := NewAllTypesDecoder()
	for _, s := range []string{full, minimal} {
		if err := differential(t, []byte(s), dec.Decode); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if err := differential(t, []byte(manySeed(-1)), NewManyDecoder().Decode); err != nil {
		t.Error(err)
	}
}

func TestErrorPaths(t *testing.T) {
	dec := NewAllTypesDecoder()
	for _, tt := range []struct{ in, err string }{
		{strings.Replace(minimal, ` + "`" + `"points":[]` + "`" + `, ` + "`" + `"points":[{"x":1}]` + "`" + `, 1), ` + "`" + `missing required field "points[0].y"` + "`" + `},
		{strings.Replace(minimal, ` + "`" + `,"lat":0` + "`" + `, "", 1), ` + "`" + `missing required field "location.lat"` + "`" + `},
		{strings.Replace(full, ` + "`" + `"counts":[1,null,-3]` + "`" + `, ` + "`" + `"counts":[1,"x"]` + "`" + `, 1), ` + "`" + `field "counts[1]" at byte 357: expected integer, found string` + "`" + `},
		{strings.Replace(full, ` + "`" + `"matrix":[[1,2],null,[]]` + "`" + `, ` + "`" + `"matrix":[[1,null]]` + "`" + `, 1), ` + "`" + `field "matrix[0][1]" at byte 405: null not allowed` + "`" + `},
		{strings.Replace(minimal, ` + "`" + `"small":0` + "`" + `, ` + "`" + `"small":2147483648` + "`" + `, 1), ` + "`" + `field "small" at byte 30: number 2147483648 out of range of int32` + "`" + `},
		{manySeed(65), ` + "`" + `missing required field "f65"` + "`" + `},
		{strings.Replace(full, ` + "`" + `"age":150` + "`" + `, ` + "`" + `"age":151` + "`" + `, 1), ` + "`" + `field "age" at byte 111: value 151 is greater than the maximum 150` + "`" + `},
		{strings.Replace(full, ` + "`" + `{"x":1,"y":2,` + "`" + `, ` + "`" + `{"x":1,"y":2,"z":3,` + "`" + `, 1), ` + "`" + `field "points[0].z" at byte 517: unknown field (the schema allows no other properties)` + "`" + `},
	} {
		var v AllTypes
		var err error
		if strings.HasPrefix(tt.in, ` + "`" + `{"f0"` + "`" + `) {
			var m Many
			err = NewManyDecoder().Decode([]byte(tt.in), &m)
		} else {
			err = dec.Decode([]byte(tt.in), &v)
		}
		if err == nil || err.Error() != tt.err {
			t.Errorf("%s:\n got %v\nwant %s", tt.in, err, tt.err)
		}
	}
}
`
