package command

import (
	"io"

	"github.com/streamgen/streamgen/runtime/monitor"
	"github.com/streamgen/streamgen/runtime/stream"
)

// newProgressBar returns the progress-bar listener writing to w.
func newProgressBar(w io.Writer) stream.Listener { return monitor.NewProgressBar(w) }
