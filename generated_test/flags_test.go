package generated_test

import "flag"

// update rewrites the expected outputs of every test in this package:
// golden packages under <case>/want/ and the stderr sections of
// errors/*.txtar. One flag for the package: define no other.
var update = flag.Bool("update", false, "rewrite golden outputs and expected diagnostics")
