package kafkaconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultClientID is the client ID Conn.Opts sets when Conn.ClientID is
// empty.
const DefaultClientID = "streamgen"

// Conn says how to reach a Kafka cluster: the bootstrap brokers, TLS and
// SASL. The zero value of each optional field means: no TLS, no SASL,
// client ID DefaultClientID.
type Conn struct {
	// Brokers are the bootstrap servers, "host:port" (Spark's
	// kafka.bootstrap.servers); at least one is needed.
	Brokers []string
	// TLS encrypts connections with this configuration (see LoadTLS;
	// &tls.Config{} uses the system's roots and the broker's host
	// name). Nil means plaintext.
	TLS *tls.Config
	// SASL authenticates connections. Nil means no authentication.
	SASL *SASL
	// ClientID identifies the client in the brokers' logs and quotas;
	// empty means DefaultClientID.
	ClientID string
}

// Validate checks that there is a broker and that SASL is valid.
func (c Conn) Validate() error {
	if len(c.Brokers) == 0 {
		return fmt.Errorf("kafka: no bootstrap brokers")
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			return fmt.Errorf("kafka: empty bootstrap broker in %q", c.Brokers)
		}
	}
	if c.SASL != nil {
		if err := c.SASL.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Opts validates the connection and returns the franz-go client options
// for it: seed brokers, client ID, TLS dialing and SASL. Append other
// options after them.
func (c Conn) Opts() ([]kgo.Opt, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	id := c.ClientID
	if id == "" {
		id = DefaultClientID
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.ClientID(id)}
	if c.TLS != nil {
		t := c.TLS.Clone()
		if t.MinVersion == 0 {
			t.MinVersion = tls.VersionTLS12
		}
		opts = append(opts, kgo.DialTLSConfig(t))
	}
	if c.SASL != nil {
		opts = append(opts, kgo.SASL(c.SASL.KgoMechanism()))
	}
	return opts, nil
}

// String describes the connection for logs and errors: the brokers, and
// whether TLS and which SASL mechanism and user are used (never the
// password).
func (c Conn) String() string {
	var b strings.Builder
	b.WriteString(strings.Join(c.Brokers, ","))
	if c.TLS != nil {
		b.WriteString(" tls")
	}
	if c.SASL != nil {
		fmt.Fprintf(&b, " sasl=%s user=%s", strings.ToUpper(c.SASL.Mechanism), c.SASL.User)
	}
	return b.String()
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
