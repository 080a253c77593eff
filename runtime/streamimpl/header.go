package streamimpl

// HeaderDecoder is a Decoder whose input files start with a header line
// (CSV). The files source hands each file's first non-empty line to
// Header before decoding the file's other lines with Decode.
type HeaderDecoder interface {
	// Header reads a file's header line. An error makes every record line of that file
	// malformed, with the header's error as the reason.
	Header(line []byte) error
}
