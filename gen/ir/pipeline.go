package ir

import "github.com/streamgen/streamgen/gen/diag"

// Pipeline is one validated pipeline spec: source → steps → sink.
type Pipeline struct {
	// Name is the spec's name ("action_counts").
	Name string   `json:"name"`
	Pos  diag.Pos `json:"pos"`
}
