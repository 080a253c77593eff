package diag

import (
	"fmt"
	"testing"
)

func TestListSortsDedupsAndLimits(t *testing.T) {
	var l List
	for i := 12; i >= 1; i-- {
		l.Add(Pos{File: "p.yaml", Line: i, Col: 3}, fmt.Sprintf("steps[%d]", i), "bad %d", i)
	}
	l.Add(Pos{File: "p.yaml", Line: 1, Col: 3}, "steps[1]", "bad %d", 1) // duplicate
	l.AddHint(Pos{File: "a.json", Line: 2, Col: 9}, "properties.tme", `did you mean "time"?`, "unknown field")
	l.Sort()
	want := `a.json:2:9: properties.tme: unknown field
	did you mean "time"?
p.yaml:1:3: steps[1]: bad 1
p.yaml:2:3: steps[2]: bad 2
p.yaml:3:3: steps[3]: bad 3
p.yaml:4:3: steps[4]: bad 4
p.yaml:5:3: steps[5]: bad 5
p.yaml:6:3: steps[6]: bad 6
p.yaml:7:3: steps[7]: bad 7
p.yaml:8:3: steps[8]: bad 8
p.yaml:9:3: steps[9]: bad 9
(and 3 more errors)`
	if got := l.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if l.Len() != 13 {
		t.Errorf("Len = %d, want 13 after removing one duplicate", l.Len())
	}
	var empty List
	if empty.Err() != nil {
		t.Error("empty list must give a nil error")
	}
}

func TestPosString(t *testing.T) {
	for _, tt := range []struct {
		p    Pos
		want string
	}{
		{Pos{"a.yaml", 3, 7}, "a.yaml:3:7"},
		{Pos{"a.yaml", 3, 0}, "a.yaml:3"},
		{Pos{"a.yaml", 0, 0}, "a.yaml"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	fields := []string{"time", "action", "device_id"}
	for _, tt := range []struct{ name, want string }{
		{"acton", `did you mean "action"?`},
		{"Time", `did you mean "time"?`},
		{"deviceid", `did you mean "device_id"?`},
		{"temperature", ""},
		{"x", ""},
	} {
		if got := DidYouMean(tt.name, fields); got != tt.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestListSingularMore(t *testing.T) {
	var l List
	for i := 1; i <= MaxPrinted+1; i++ {
		l.Add(Pos{File: "s.yaml", Line: i, Col: 1}, "", "bad")
	}
	l.Sort()
	got := l.Error()
	want := "s.yaml:10:1: bad\n(and 1 more error)"
	if len(got) < len(want) || got[len(got)-len(want):] != want {
		t.Errorf("Error() ends with %q, want %q", got[max(0, len(got)-len(want)):], want)
	}
}
