package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Secret is a password or connection string read from outside the
// program: an environment variable or a file, resolved each time a
// connection authenticates (so a rotated file is picked up). Its String,
// GoString and LogValue never show the secret, only where it comes from.
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

// Resolve returns the secret.
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

// The SASL mechanisms SASL accepts.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

type saslCfg struct {
	mechanism string
	user      string
	password  Secret
}

// SASL authenticates with the mechanism (SASLPlain, SASLScramSHA256 or
// SASLScramSHA512; Spark's kafka.sasl.mechanism), the user name and the
// password. Combine it with TLS: PLAIN sends the password as it is. For
// Azure Event Hubs' Kafka endpoint (port 9093), use SASLPlain with the
// user "$ConnectionString" and the namespace's connection string as the
// password, with TLS(nil).
func SASL(mechanism, user string, password Secret) Opt {
	return opt(func(c *cfg) { c.sasl = &saslCfg{mechanism: strings.ToUpper(mechanism), user: user, password: password} })
}

func (s *saslCfg) validate() error {
	switch s.mechanism {
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
	default:
		return fmt.Errorf("kafka: SASL mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.mechanism)
	}
	if s.user == "" {
		return fmt.Errorf("kafka: SASL %s: empty user name", s.mechanism)
	}
	if _, err := s.password.Resolve(); err != nil {
		return fmt.Errorf("kafka: SASL %s password (%v): %w", s.mechanism, s.password, err)
	}
	return nil
}

// mechanismFor returns the franz-go mechanism, resolving the password at
// each authentication.
func (s *saslCfg) mechanismFor() sasl.Mechanism {
	user, pw := s.user, s.password
	switch s.mechanism {
	case SASLPlain:
		return plain.Plain(func(context.Context) (plain.Auth, error) {
			p, err := pw.Resolve()
			return plain.Auth{User: user, Pass: p}, err
		})
	case SASLScramSHA256:
		return scram.Sha256(func(context.Context) (scram.Auth, error) {
			p, err := pw.Resolve()
			return scram.Auth{User: user, Pass: p}, err
		})
	default:
		return scram.Sha512(func(context.Context) (scram.Auth, error) {
			p, err := pw.Resolve()
			return scram.Auth{User: user, Pass: p}, err
		})
	}
}

// LoadTLS returns a TLS configuration trusting the PEM certificates in
// caFile (the system's roots when caFile is ""), presenting the client
// certificate in certFile and keyFile when both are set (mutual TLS).
func LoadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: TLS CA %s: no PEM certificate found", caFile)
		}
		c.RootCAs = pool
	}
	switch {
	case certFile != "" && keyFile != "":
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	case certFile != "" || keyFile != "":
		return nil, fmt.Errorf("kafka: TLS client certificate needs both a certificate file and a key file")
	}
	return c, nil
}
