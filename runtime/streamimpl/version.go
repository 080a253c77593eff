// Package streamimpl is imported only by code that streamgen generates:
// the generator/runtime version handshake and the helpers generated
// decoders call. Its API may change between streamgen versions; user code
// should not import it.
package streamimpl

// GenVersion is the version of the generated-code contract that this
// runtime's generator emits. It changes whenever generated code starts to
// need something new from the runtime, or stops working with an old one.
const GenVersion = 1

// MinVersion is the oldest generated-code version this runtime supports.
const MinVersion = 1

// MaxVersion is the newest generated-code version this runtime supports.
const MaxVersion = GenVersion

// EnforceVersion is used by generated code to fail compilation when it
// and the runtime drift apart. Each generated package contains
//
//	const (
//		_ = streamimpl.EnforceVersion(1 - streamimpl.MinVersion)
//		_ = streamimpl.EnforceVersion(streamimpl.MaxVersion - 1)
//	)
//
// where 1 is the GenVersion it was generated for: a negative constant
// converted to this unsigned type is a compile error ("constant -1
// overflows EnforceVersion"), naming this type, whose doc says what to do:
// regenerate the code with the streamgen matching the runtime
// (`go generate ./...`), or update the runtime module.
type EnforceVersion uint
