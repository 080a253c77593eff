package streamimpl

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// stdJSON returns v as encoding/json writes it with SetEscapeHTML(false).
func stdJSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quo"te`, `back\slash`, "\x00\x01\x1f\x7f", "\b\f\n\r\t", "<a href='x'>&amp;</a>",
		"\u2028\u2029", "héllo wörld ✓ 🎉", "\xff", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "/",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "\"", "\\", "\x00", "\n", "\x1f", "é", "\u2028", "\xff", "\xe2\x80", "🎉", "<", "&"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		got := string(AppendJSONString([]byte("x"), s))
		if want := "x" + stdJSON(t, s); got != want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
		// What is written reads back as s with invalid UTF-8 replaced.
		var sc Scanner
		sc.Reset([]byte(got[1:]))
		back, err := sc.String()
		if err != nil || string(back) != validUTF8(s) {
			t.Errorf("scanning %s: %q, %v; want %q", got[1:], back, err, validUTF8(s))
		}
	}
}

func TestAppendJSONFloat64MatchesEncodingJSON(t *testing.T) {
	cases := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99999e-7, 1e-7, 1e20, 1e21, 123456789e13, 1e-300,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -math.MaxFloat64, 1.5e300, 5e-324, 0.000001234}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		cases = append(cases, math.Float64frombits(rng.Uint64()), rng.NormFloat64()*math.Pow(10, float64(rng.IntN(60)-30)))
	}
	for _, f := range cases {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			if got := string(AppendJSONFloat64(nil, f)); got != "null" {
				t.Errorf("AppendJSONFloat64(%v) = %s, want null", f, got)
			}
			continue
		}
		got := string(AppendJSONFloat64(nil, f))
		if want := stdJSON(t, f); got != want {
			t.Errorf("AppendJSONFloat64(%v) = %s, want %s", f, got, want)
		}
		var sc Scanner
		sc.Reset([]byte(got))
		back, err := sc.Float64()
		if err != nil || math.Float64bits(back) != math.Float64bits(f) {
			t.Errorf("scanning %s: %v, %v; want %v", got, back, err, f)
		}
	}
}

func TestAppendJSONTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	times := []time.Time{
		time.Unix(minUnixSec, 0), time.Unix(maxUnixSec, 999999999), time.Unix(0, 0), time.Unix(-1, 1), time.Unix(1, 100),
		time.Date(2024, 2, 29, 12, 0, 0, 120000000, time.FixedZone("x", -5*3600)),
	}
	for range 5000 {
		times = append(times, time.Unix(minUnixSec+rng.Int64N(maxUnixSec-minUnixSec), rng.Int64N(1e9)))
	}
	for _, tm := range times {
		got := string(AppendJSONTime(nil, tm))
		if want := stdJSON(t, tm.UTC()); got != want {
			t.Errorf("AppendJSONTime(%v) = %s, want %s", tm, got, want)
		}
		var sc Scanner
		sc.Reset([]byte(got))
		back, err := sc.TimeRFC3339()
		if err != nil || !back.Equal(tm) || back != tm.UTC() {
			t.Errorf("scanning %s: %v, %v; want %v", got, back, err, tm)
		}
		for _, c := range []struct {
			enc  func([]byte, time.Time) []byte
			dec  func(*Scanner) (time.Time, error)
			unit time.Duration
		}{
			{AppendJSONEpochSeconds, (*Scanner).TimeEpochSeconds, time.Second},
			{AppendJSONEpochMillis, (*Scanner).TimeEpochMillis, time.Millisecond},
		} {
			b := c.enc(nil, tm)
			sc.Reset(b)
			back, err := c.dec(&sc)
			// Rounded down to the unit (towards the past, also before 1970).
			want := tm.UTC().Truncate(c.unit)
			if err != nil || back != want {
				t.Errorf("epoch %s of %v: %v, %v; want %v", b, tm, back, err, want)
			}
		}
	}
}

func TestAppendJSONDate(t *testing.T) {
	for d := delta.DateValue(-719528 - 400); d <= 2932896+400; d++ {
		got := string(AppendJSONDate(nil, d))
		if want := `"` + d.Time().Format("2006-01-02") + `"`; got != want {
			t.Fatalf("AppendJSONDate(%d) = %s, want %s", d, got, want)
		}
		var sc Scanner
		sc.Reset([]byte(got))
		back, err := sc.Date()
		inRange := d >= -719528 && d <= 2932896
		if inRange && (err != nil || back != d) {
			t.Fatalf("scanning %s: %v, %v; want %d", got, back, err, d)
		}
		if !inRange && err == nil {
			t.Fatalf("scanning %s: no error", got)
		}
	}
}

func TestAppendJSONAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	tm := time.Unix(1700000000, 123456789)
	n := testing.AllocsPerRun(100, func() {
		b := AppendJSONString(buf[:0], "a \"quoted\" \xff line\n\u2028")
		b = AppendJSONFloat64(b, 1.25e-9)
		b = AppendJSONTime(b, tm)
		b = AppendJSONEpochMillis(b, tm)
		b = AppendJSONDate(b, 19000)
		_ = b
	})
	if n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// validUTF8 replaces each byte of invalid UTF-8 in s by U+FFFD, as
// encoding/json does.
func validUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
