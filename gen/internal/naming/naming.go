// Package naming turns the names users write in schemas and specs
// ("device_id", "SensorReading", "in-progress") into Go identifiers, file
// names and package names, through one initialism table: device_id →
// DeviceID, sensor_reading → SensorReading, user_urls → UserURLs.
//
// Every function is pure and deterministic; gen/plan calls them once per
// name and reports collisions itself.
package naming

import (
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialisms are the words written in all capitals in Go identifiers
// (the list of golint and Go's Code Review Comments, plus a few streaming
// words).
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "CSV": true,
	"DNS": true, "EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true,
	"ID": true, "IP": true, "JSON": true, "LHS": true, "QPS": true, "RAM": true,
	"RHS": true, "RPC": true, "SASL": true, "SLA": true, "SMTP": true, "SQL": true,
	"SSH": true, "TCP": true, "TLS": true, "TTL": true, "UDP": true, "UI": true,
	"UID": true, "UUID": true, "URI": true, "URL": true, "UTF8": true, "VM": true,
	"XML": true, "XMPP": true, "XSRF": true, "XSS": true,
}

// IsInitialism reports whether word (any case) is in the initialism table.
func IsInitialism(word string) bool { return initialisms[strings.ToUpper(word)] }

// Words splits s into words: at every character that is neither a letter
// nor a digit, at lower→upper case changes ("deviceId" → device, Id), and
// before the last capital of a run followed by lower case ("HTTPServer" →
// HTTP, Server), keeping a plural "s" on an initialism ("DeviceIDs" →
// Device, IDs). Digits stay with the word before them.
func Words(s string) []string {
	var words []string
	rs := []rune(s)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, string(rs[start:end]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			// deviceId, sensor2Value
			flush(i)
			start = i
		case unicode.IsLower(r) && unicode.IsUpper(prev) && i-1 > start:
			// HTTPServer: the run's last capital starts the next word,
			// unless this is the plural s of an initialism (IDs).
			if r == 's' && (i+1 == len(rs) || !unicode.IsLower(rs[i+1])) && IsInitialism(string(rs[start:i])) {
				continue
			}
			flush(i - 1)
			start = i - 1
		}
	}
	flush(len(rs))
	return words
}

// word renders one word in MixedCaps: an initialism (or its plural) in
// capitals, any other word with a capital first letter and the rest in
// lower case.
func word(w string) string {
	if IsInitialism(w) {
		return strings.ToUpper(w)
	}
	if n := len(w); n > 2 && (w[n-1] == 's' || w[n-1] == 'S') && IsInitialism(w[:n-1]) {
		return strings.ToUpper(w[:n-1]) + "s"
	}
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + strings.ToLower(w[size:])
}

// Pascal returns s as an exported Go identifier: "device_id" → "DeviceID",
// "sensor-reading" → "SensorReading", "ACTION" → "Action". It returns ""
// when s has no letter or digit. A result that would not be exported,
// because it starts with a digit or a letter without case, gets an "X" in
// front ("1st" → "X1st", "名前" → "X名前").
func Pascal(s string) string {
	var b strings.Builder
	for _, w := range Words(s) {
		b.WriteString(word(w))
	}
	out := b.String()
	if out != "" && !token.IsExported(out) {
		out = "X" + out
	}
	return out
}

// Suffix returns s Pascal-cased for use after another identifier, where a
// leading digit is fine: "1st" → "1st", "in-progress" → "InProgress".
func Suffix(s string) string {
	var b strings.Builder
	for _, w := range Words(s) {
		b.WriteString(word(w))
	}
	return b.String()
}

// Camel returns s as an unexported Go identifier: "device_id" →
// "deviceID", "URLPath" → "urlPath", "Event" → "event". A Go keyword gets
// an underscore appended ("type" → "type_").
func Camel(s string) string {
	ws := Words(s)
	if len(ws) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(ws[0]))
	for _, w := range ws[1:] {
		b.WriteString(word(w))
	}
	out := b.String()
	if r, _ := utf8.DecodeRuneInString(out); unicode.IsDigit(r) {
		out = "x" + out
	}
	if IsKeyword(out) {
		out += "_"
	}
	return out
}

// Snake returns s in lower snake case, for file names: "SensorReading" →
// "sensor_reading", "DeviceID" → "device_id".
func Snake(s string) string {
	ws := Words(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return strings.Join(ws, "_")
}

// PackageName returns s as a Go package name: lower case letters and
// digits only ("action_counts" → "actioncounts"). A name that would be
// empty, start with a digit or be a keyword gets "pkg" in front.
func PackageName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || unicode.IsDigit(rune(out[0])) || IsKeyword(out) {
		out = "pkg" + out
	}
	return out
}

// Receiver returns the receiver name for methods of the type named
// goName: the lower-cased first letters of its first two words
// ("SensorReading" → "sr", "Event" → "e", "DeviceIDStatus" → "di"). A
// receiver that would be a keyword, a predeclared identifier or the name
// of a package generated code may import (io, os) keeps only its first
// letter.
func Receiver(goName string) string {
	var b strings.Builder
	for i, w := range Words(goName) {
		if i == 2 {
			break
		}
		r, _ := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToLower(r))
	}
	out := b.String()
	if out == "" {
		return "x"
	}
	if IsKeyword(out) || IsPredeclared(out) || out == "io" || out == "os" {
		r, _ := utf8.DecodeRuneInString(out)
		out = string(r)
	}
	return out
}

// IsKeyword reports whether s is a Go keyword.
func IsKeyword(s string) bool { return token.Lookup(s).IsKeyword() }

// predeclared are the universe scope's identifiers.
var predeclared = map[string]bool{
	"any": true, "append": true, "bool": true, "byte": true, "cap": true, "clear": true,
	"close": true, "comparable": true, "complex": true, "complex64": true, "complex128": true,
	"copy": true, "delete": true, "error": true, "false": true, "float32": true,
	"float64": true, "imag": true, "int": true, "int8": true, "int16": true, "int32": true,
	"int64": true, "iota": true, "len": true, "make": true, "max": true, "min": true,
	"new": true, "nil": true, "panic": true, "print": true, "println": true, "real": true,
	"recover": true, "rune": true, "string": true, "true": true, "uint": true,
	"uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true,
}

// IsPredeclared reports whether s is an identifier of Go's universe scope
// (int, len, nil...).
func IsPredeclared(s string) bool { return predeclared[s] }
