package generated_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The scratch module of TestStateVariants: one schema, a user map
// function, and three pipelines whose key and state shapes the golden
// cases do not cover: a session window over a nullable column, nullable
// float and timestamp keys without a window, and a map step's user type
// (with an int field read as int64) feeding a tumbling window. Aggregates
// over nullable and optional (not required) fields have nullable results.
var stateVariantFiles = map[string]string{
	"schemas/ping.json": `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Ping",
  "type": "object",
  "properties": {
    "ts": {"type": ["string", "null"], "format": "date-time"},
    "user": {"type": "string"},
    "score": {"type": ["number", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "n": {"type": "integer"},
    "bonus": {"type": "integer"}
  },
  "required": ["ts", "user", "score", "at", "n"]
}
`,
	"userfn/userfn.go": `// Package userfn is a user's map function.
package userfn

import "time"

// In is the row Enrich reads.
type In struct {
	User string
	N    int64
	TS   *time.Time
	At   *time.Time
}

// Out is the row Enrich returns.
type Out struct {
	User string     ` + "`json:\"user\"`" + `
	N    int        ` + "`json:\"n\"`" + `
	TS   time.Time  ` + "`json:\"ts\"`" + `
	At   *time.Time ` + "`json:\"at\"`" + `
}

// Enrich copies a row, defaulting a null time to the epoch.
func Enrich(in In) Out {
	o := Out{User: in.User, N: int(in.N), At: in.At}
	if in.TS != nil {
		o.TS = *in.TS
	}
	return o
}
`,
	"sessions.yaml": `name: sessions
source:
  files: {path: data, format: json, schema: schemas/ping.json}
steps:
  - groupBy: {keys: [user], window: {column: ts, gap: 5m}}
    aggregate: {n: count(), total: sum(n), best: max(score)}
sink:
  memory: {outputMode: complete}
`,
	"nullkeys.yaml": `name: null_keys
source:
  files: {path: data, format: json, schema: schemas/ping.json}
steps:
  - groupBy: {keys: [score, at]}
    aggregate:
      n: count()
      first_ts: min(ts)
      bonus_n: count(bonus)
      bonus_sum: sum(bonus)
      bonus_avg: avg(bonus)
      bonus_min: min(bonus)
      bonus_max: max(bonus)
      bonus_first: first(bonus)
      bonus_last: last(bonus)
      bonus_distinct: count_distinct(bonus)
      bonus_approx: approx_count_distinct(bonus)
sink:
  memory: {outputMode: update}
`,
	"mapped.yaml": `name: mapped
source:
  files: {path: data, format: json, schema: schemas/ping.json}
steps:
  - map: {func: example.com/agg/userfn.Enrich}
  - groupBy: {keys: [user], window: {column: ts, size: 1m}}
    aggregate: {total: sum(n), mean: avg(n), distinct: count_distinct(n), approx: approx_count_distinct(n), earliest: min(at)}
sink:
  memory: {outputMode: update}
`,
	"internal/sessions/variant_test.go": `package sessions

import (
	"testing"
	"time"
)

func TestSession(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	score := func(f float64) *float64 { return &f }
	if _, ok := SessionsKeyOf(&Ping{User: "a"}); ok {
		t.Error("a row without a time has a key")
	}
	// The key holds the row's time as its session's start (the
	// operator moves it to the start of the session the row joins).
	k, ok := SessionsKeyOf(&Ping{User: "a", Ts: at(0)})
	if !ok || k.User != "a" || k.WindowStart != t0 {
		t.Fatalf("key %+v, %v", k, ok)
	}
	var k2 SessionsKey
	if err := k2.UnmarshalBinary(k.AppendBinary(nil)); err != nil || k2 != k {
		t.Fatalf("key round trip %+v, %v", k2, err)
	}
	// The state holds the session's end: the latest event plus the gap.
	var s, o SessionsState
	s.Add(&Ping{User: "a", Ts: at(time.Minute), N: 2, Score: score(1)})
	s.Add(&Ping{User: "a", Ts: at(0), N: 3})
	if s.WindowEnd != t0.Add(6*time.Minute) {
		t.Fatalf("session end %v", s.WindowEnd)
	}
	o.Add(&Ping{User: "a", Ts: at(10 * time.Minute), N: 1, Score: score(5)})
	s.Merge(&o)
	res := s.Result(&k)
	if res.Best == nil || *res.Best != 5 {
		t.Errorf("best %v, want 5", res.Best)
	}
	res.Best = nil
	want := SessionsResult{User: "a", WindowStart: t0, WindowEnd: t0.Add(15 * time.Minute), N: 3, Total: 6}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	// max over a session whose scores are all null is null.
	var none SessionsState
	none.Add(&Ping{User: "a", Ts: at(0), N: 1})
	if res := none.Result(&k); res.Best != nil || res.N != 1 || res.Total != 1 {
		t.Errorf("all-null result %+v, want a nil Best", res)
	}
	b := s.AppendBinary(nil)
	var s2 SessionsState
	if err := s2.UnmarshalBinary(b); err != nil || s2 != s {
		t.Fatalf("round trip %+v, %v", s2, err)
	}
	for n := range len(b) {
		if s2.UnmarshalBinary(b[:n]) == nil {
			t.Fatalf("truncated to %d bytes decoded", n)
		}
	}
}
`,
	"internal/nullkeys/variant_test.go": `package nullkeys

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestNullableKeys(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tm := func(v time.Time) *time.Time { return &v }
	enc := func(p Ping) []byte {
		k, ok := NullKeysKeyOf(&p)
		if !ok {
			t.Fatal("no key")
		}
		var k2 NullKeysKey
		if err := k2.UnmarshalBinary(k.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k2.AppendBinary(nil), k.AppendBinary(nil)) {
			t.Fatal("round trip changed the key")
		}
		return k.AppendBinary(nil)
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	same := [][2]Ping{
		{{Score: f(0)}, {Score: f(math.Copysign(0, -1))}},
		{{Score: f(math.NaN())}, {Score: f(-math.NaN())}},
		{{At: tm(t0)}, {At: tm(t0.In(time.FixedZone("X", 3600)))}},
		{{}, {}},
	}
	for _, c := range same {
		if !bytes.Equal(enc(c[0]), enc(c[1])) {
			t.Errorf("%+v and %+v: different keys", c[0], c[1])
		}
	}
	differ := [][2]Ping{
		{{Score: f(0)}, {}},
		{{At: tm(time.Unix(0, 0))}, {}},
		{{At: tm(t0)}, {At: tm(t0.Add(1))}},
	}
	for _, c := range differ {
		if bytes.Equal(enc(c[0]), enc(c[1])) {
			t.Errorf("%+v and %+v: equal keys", c[0], c[1])
		}
	}
	var s NullKeysState
	s.Add(&Ping{Ts: tm(t0.Add(time.Hour))})
	s.Add(&Ping{Ts: tm(t0)})
	s.Add(&Ping{})
	var k NullKeysKey
	res := s.Result(&k)
	if res.N != 3 || res.FirstTs == nil || !res.FirstTs.Equal(t0) {
		t.Errorf("result %+v", res)
	}
	// bonus is optional (not required): every aggregate over it is null,
	// or 0 for the counts, when no row has it.
	if res.BonusN != 0 || res.BonusDistinct != 0 || res.BonusApprox != 0 {
		t.Errorf("counts over an absent field: %+v", res)
	}
	for name, p := range map[string]*int64{"sum": res.BonusSum, "min": res.BonusMin, "max": res.BonusMax, "first": res.BonusFirst, "last": res.BonusLast} {
		if p != nil {
			t.Errorf("%s(bonus) = %d, want nil", name, *p)
		}
	}
	if res.BonusAvg != nil {
		t.Errorf("avg(bonus) = %v, want nil", *res.BonusAvg)
	}
	b := s.AppendBinary(nil)
	var s2 NullKeysState
	if err := s2.UnmarshalBinary(b); err != nil || s2.Result(&k).BonusSum != nil {
		t.Fatalf("round trip of the all-null state: %v", err)
	}
	i := func(v int64) *int64 { return &v }
	s.Add(&Ping{Bonus: i(4)})
	s.Add(&Ping{Bonus: i(-2)})
	s.Add(&Ping{})
	res = s.Result(&k)
	got := []any{res.BonusN, *res.BonusSum, *res.BonusAvg, *res.BonusMin, *res.BonusMax, *res.BonusFirst, *res.BonusLast, res.BonusDistinct, res.BonusApprox}
	want := []any{int64(2), int64(2), 1.0, int64(-2), int64(4), int64(4), int64(-2), int64(2), int64(2)}
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("bonus aggregates %v, want %v", got, want)
			break
		}
	}
}
`,
	"internal/mapped/variant_test.go": `package mapped

import (
	"testing"
	"time"

	"example.com/agg/userfn"
)

func TestMapped(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 30, 0, time.UTC)
	early := t0.Add(-time.Hour)
	rows := []userfn.Out{{User: "a", N: 2, TS: t0}, {User: "a", N: 2, TS: t0.Add(10 * time.Second), At: &early}, {User: "a", N: 5, TS: t0}}
	var s MappedState
	var k MappedKey
	for i := range rows {
		k2, ok := MappedKeyOf(&rows[i])
		if !ok || (i > 0 && k2 != k) {
			t.Fatalf("key %+v", k2)
		}
		k = k2
		s.Add(&rows[i])
	}
	res := s.Result(&k)
	if res.Earliest == nil || !res.Earliest.Equal(early) {
		t.Errorf("earliest %v, want %v", res.Earliest, early)
	}
	res.Earliest = nil
	want := MappedResult{User: "a", WindowStart: t0.Add(-30 * time.Second), WindowEnd: t0.Add(30 * time.Second), Total: 9, Mean: 3, Distinct: 2, Approx: 2}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
}
`,
}

// TestStateVariants generates the pipelines of stateVariantFiles into a
// scratch module that replaces this module with the working tree, and
// runs go vet and the hand-written tests there.
func TestStateVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module (-short)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/agg\n\ngo 1.26\n\nrequire github.com/streamgen/streamgen v0.0.0\n\nreplace github.com/streamgen/streamgen => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
	for name, content := range stateVariantFiles {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, c := range []struct{ spec, pkg string }{{"sessions.yaml", "sessions"}, {"nullkeys.yaml", "nullkeys"}, {"mapped.yaml", "mapped"}} {
		run("go", "run", "github.com/streamgen/streamgen/cmd/streamgen", "generate", "-o", "internal/"+c.pkg, c.spec)
	}
	run("go", "vet", "./...")
	run("go", "test", "-count=1", "./...")
}
