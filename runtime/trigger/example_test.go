package trigger_test

import (
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime/trigger"
)

func ExampleTrigger_NextStart() {
	t := trigger.ProcessingTime(10 * time.Second)
	at := func(sec int) time.Time { return time.Date(2026, 1, 1, 10, 0, sec, 0, time.UTC) }
	// A batch started at 10:00:00 and ended at 10:00:04: wait for 10:00:10.
	fmt.Println(t.NextStart(at(4), at(0)).Format("15:04:05"))
	// It ended at 10:00:13 instead: an overrun, the next starts at once.
	fmt.Println(t.NextStart(at(13), at(0)).Format("15:04:05"))
	// That one (started 10:00:13) ends at 10:00:15: aligned again.
	fmt.Println(t.NextStart(at(15), at(13)).Format("15:04:05"))
	// Output:
	// 10:00:10
	// 10:00:13
	// 10:00:20
}

func ExampleParse() {
	for _, s := range []string{"available-now", "30s", "soon"} {
		t, err := trigger.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t.Kind(), t)
	}
	// Output:
	// availableNow available-now
	// processingTime 30s
	// trigger: unknown trigger "soon": want default, once, available-now or an interval such as 10s
}
