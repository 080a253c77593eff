package kafkaconn

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The SASL mechanisms SASL accepts (Spark's kafka.sasl.mechanism values).
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// SASL authenticates connections with a user name and a password. Combine
// it with TLS: PLAIN sends the password as it is. For Azure Event Hubs'
// Kafka endpoint (port 9093), use SASLPlain with the user
// "$ConnectionString" and the namespace's connection string as the
// password, over TLS.
type SASL struct {
	// Mechanism is SASLPlain, SASLScramSHA256 or SASLScramSHA512, in any
	// case.
	Mechanism string
	// User is the user name.
	User string
	// Password is resolved at each authentication.
	Password Secret
}

// mechanism returns the upper-cased mechanism name.
func (s *SASL) mechanism() string { return strings.ToUpper(s.Mechanism) }

// Validate checks the mechanism and the user name, and that the password
// resolves (without showing it).
func (s *SASL) Validate() error {
	m := s.mechanism()
	switch m {
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
	default:
		return fmt.Errorf("kafka: SASL mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
	}
	if s.User == "" {
		return fmt.Errorf("kafka: SASL %s: empty user name", m)
	}
	if _, err := s.Password.Resolve(); err != nil {
		return fmt.Errorf("kafka: SASL %s password (%v): %w", m, s.Password, err)
	}
	return nil
}

// KgoMechanism returns the franz-go mechanism (for kgo.SASL), which
// resolves the password at each authentication. Call Validate first: an
// unknown mechanism is taken as SCRAM-SHA-512.
func (s *SASL) KgoMechanism() sasl.Mechanism {
	user, pw := s.User, s.Password
	switch s.mechanism() {
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
