package kafka

import (
	"crypto/tls"

	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/streamgen/streamgen/runtime/kafkaconn"
)

// The connection settings live in runtime/kafkaconn, shared with the
// Kafka sink; the names below keep this package's API.

// Secret is a password or connection string read from outside the
// program: an environment variable or a file, resolved each time a
// connection authenticates (so a rotated file is picked up). Its String,
// GoString and LogValue never show the secret, only where it comes from.
// It is [kafkaconn.Secret].
type Secret = kafkaconn.Secret

// SecretFromEnv is the secret held by the environment variable name.
func SecretFromEnv(name string) Secret { return kafkaconn.SecretFromEnv(name) }

// SecretFromFile is the secret held by the file at path, without
// surrounding whitespace (a trailing newline is dropped).
func SecretFromFile(path string) Secret { return kafkaconn.SecretFromFile(path) }

// SecretValue is a secret given directly, for values a program obtained
// elsewhere (a vault client) and for tests.
func SecretValue(v string) Secret { return kafkaconn.SecretValue(v) }

// The SASL mechanisms SASL accepts.
const (
	SASLPlain       = kafkaconn.SASLPlain
	SASLScramSHA256 = kafkaconn.SASLScramSHA256
	SASLScramSHA512 = kafkaconn.SASLScramSHA512
)

// saslCfg is the SASL option's setting.
type saslCfg struct{ kafkaconn.SASL }

// SASL authenticates with the mechanism (SASLPlain, SASLScramSHA256 or
// SASLScramSHA512; Spark's kafka.sasl.mechanism), the user name and the
// password. Combine it with TLS: PLAIN sends the password as it is. For
// Azure Event Hubs' Kafka endpoint (port 9093), use SASLPlain with the
// user "$ConnectionString" and the namespace's connection string as the
// password, with TLS(nil).
func SASL(mechanism, user string, password Secret) Opt {
	return opt(func(c *cfg) {
		c.sasl = &saslCfg{kafkaconn.SASL{Mechanism: mechanism, User: user, Password: password}}
	})
}

func (s *saslCfg) validate() error { return s.SASL.Validate() }

// mechanismFor returns the franz-go mechanism, resolving the password at
// each authentication.
func (s *saslCfg) mechanismFor() sasl.Mechanism { return s.SASL.KgoMechanism() }

// LoadTLS returns a TLS configuration trusting the PEM certificates in
// caFile (the system's roots when caFile is ""), presenting the client
// certificate in certFile and keyFile when both are set (mutual TLS).
// It is [kafkaconn.LoadTLS].
func LoadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	return kafkaconn.LoadTLS(caFile, certFile, keyFile)
}
