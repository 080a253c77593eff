package kafkaconn

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Secret is a password or connection string read from outside the
// program: an environment variable or a file, resolved each time a
// connection authenticates (so a rotated file is picked up). Its String,
// GoString and LogValue never show the secret, only where it comes from.
// The zero Secret is unset: Resolve fails.
type Secret struct {
	env, file string
	value     *string
}

// SecretFromEnv is the secret held by the environment variable name.
func SecretFromEnv(name string) Secret { return Secret{env: name} }

// SecretFromFile is the secret held by the file at path, without
// surrounding whitespace (a trailing newline is dropped).
func SecretFromFile(path string) Secret { return Secret{file: path} }

// SecretValue is a secret given directly, for values a program obtained
// elsewhere (a vault client) and for tests.
func SecretValue(v string) Secret { return Secret{value: &v} }

// IsSet reports whether the secret says where its value comes from.
func (s Secret) IsSet() bool { return s.value != nil || s.env != "" || s.file != "" }

// Resolve returns the secret. Its errors say where the secret was looked
// for, never what it is.
func (s Secret) Resolve() (string, error) {
	switch {
	case s.value != nil:
		return *s.value, nil
	case s.env != "":
		v, ok := os.LookupEnv(s.env)
		if !ok || v == "" {
			return "", fmt.Errorf("kafka: secret: environment variable %s is not set", s.env)
		}
		return v, nil
	case s.file != "":
		b, err := os.ReadFile(s.file)
		if err != nil {
			return "", fmt.Errorf("kafka: secret: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("kafka: secret: file %s is empty", s.file)
		}
		return v, nil
	}
	return "", fmt.Errorf("kafka: secret: not set")
}

// String says where the secret comes from, never what it is.
func (s Secret) String() string {
	switch {
	case s.value != nil:
		return "secret(value redacted)"
	case s.env != "":
		return "secret(env " + s.env + ")"
	case s.file != "":
		return "secret(file " + s.file + ")"
	}
	return "secret(unset)"
}

// GoString is String, so that %#v does not print the secret either.
func (s Secret) GoString() string { return s.String() }

// LogValue implements slog.LogValuer with String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
