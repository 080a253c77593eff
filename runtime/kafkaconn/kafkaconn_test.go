package kafkaconn_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/kafkaconn"
)

func TestSecretNeverShown(t *testing.T) {
	sec := kafkaconn.SecretValue("hunter2")
	sasl := &kafkaconn.SASL{Mechanism: kafkaconn.SASLPlain, User: "u", Password: sec}
	conn := kafkaconn.Conn{Brokers: []string{"b:9092"}, SASL: sasl}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "password", sec, "sasl", *sasl)
	for _, s := range []string{
		sec.String(), fmt.Sprintf("%v %+v %#v %s", sec, sec, sec, sec),
		fmt.Sprintf("%v %+v %#v", *sasl, *sasl, *sasl), fmt.Sprintf("%v %+v", conn, conn), buf.String(),
	} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("secret shown: %s", s)
		}
	}
	if v, err := sec.Resolve(); err != nil || v != "hunter2" {
		t.Errorf("Resolve = %q, %v", v, err)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	pw, empty := filepath.Join(dir, "pw"), filepath.Join(dir, "empty")
	os.WriteFile(pw, []byte("  s3cret\n"), 0o600)
	os.WriteFile(empty, []byte("\n"), 0o600)
	t.Setenv("STREAMGEN_TEST_KAFKACONN_PW", "from-env")
	cases := []struct {
		sec      kafkaconn.Secret
		want     string
		wantErr  string
		wantDesc string
	}{
		{kafkaconn.SecretFromEnv("STREAMGEN_TEST_KAFKACONN_PW"), "from-env", "", "secret(env STREAMGEN_TEST_KAFKACONN_PW)"},
		{kafkaconn.SecretFromEnv("STREAMGEN_TEST_KAFKACONN_UNSET"), "", "environment variable STREAMGEN_TEST_KAFKACONN_UNSET is not set", ""},
		{kafkaconn.SecretFromFile(pw), "s3cret", "", "secret(file " + pw + ")"},
		{kafkaconn.SecretFromFile(empty), "", "is empty", ""},
		{kafkaconn.SecretFromFile(filepath.Join(dir, "missing")), "", "no such file", ""},
		{kafkaconn.Secret{}, "", "not set", "secret(unset)"},
	}
	for _, c := range cases {
		got, err := c.sec.Resolve()
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: Resolve error = %v, want %q", c.sec, err, c.wantErr)
		case c.wantErr == "" && (err != nil || got != c.want):
			t.Errorf("%v: Resolve = %q, %v, want %q", c.sec, got, err, c.want)
		}
		if c.wantDesc != "" && c.sec.String() != c.wantDesc {
			t.Errorf("String = %q, want %q", c.sec.String(), c.wantDesc)
		}
	}
	if (kafkaconn.Secret{}).IsSet() || !kafkaconn.SecretValue("").IsSet() {
		t.Error("IsSet")
	}
}

func TestSASLValidate(t *testing.T) {
	pw := kafkaconn.SecretValue("p")
	cases := []struct {
		s    kafkaconn.SASL
		want string // "" for valid
	}{
		{kafkaconn.SASL{Mechanism: "plain", User: "u", Password: pw}, ""},
		{kafkaconn.SASL{Mechanism: kafkaconn.SASLScramSHA256, User: "u", Password: pw}, ""},
		{kafkaconn.SASL{Mechanism: "scram-sha-512", User: "u", Password: pw}, ""},
		{kafkaconn.SASL{Mechanism: "GSSAPI", User: "u", Password: pw}, `kafka: SASL mechanism "GSSAPI": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		{kafkaconn.SASL{Mechanism: "PLAIN", Password: pw}, "kafka: SASL PLAIN: empty user name"},
		{kafkaconn.SASL{Mechanism: "PLAIN", User: "u"}, "kafka: SASL PLAIN password (secret(unset)): kafka: secret: not set"},
	}
	for _, c := range cases {
		err := c.s.Validate()
		if (c.want == "" && err != nil) || (c.want != "" && (err == nil || err.Error() != c.want)) {
			t.Errorf("%+v: Validate = %v, want %q", c.s, err, c.want)
		}
	}
	for mech, want := range map[string]string{"plain": "PLAIN", "SCRAM-SHA-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512"} {
		s := kafkaconn.SASL{Mechanism: mech, User: "u", Password: pw}
		if got := s.KgoMechanism().Name(); got != want {
			t.Errorf("KgoMechanism(%s).Name() = %s, want %s", mech, got, want)
		}
	}
}

func TestConnOpts(t *testing.T) {
	if _, err := (kafkaconn.Conn{}).Opts(); err == nil || err.Error() != "kafka: no bootstrap brokers" {
		t.Errorf("Opts without brokers: %v", err)
	}
	if _, err := (kafkaconn.Conn{Brokers: []string{" "}}).Opts(); err == nil {
		t.Error("Opts accepted an empty broker")
	}
	c := kafkaconn.Conn{Brokers: []string{"a:9092", "b:9092"}}
	if opts, err := c.Opts(); err != nil || len(opts) != 2 {
		t.Errorf("Opts = %d options, %v; want seed brokers and client ID", len(opts), err)
	}
	c.TLS = &tls.Config{}
	c.SASL = &kafkaconn.SASL{Mechanism: "scram-sha-256", User: "me", Password: kafkaconn.SecretValue("x")}
	if opts, err := c.Opts(); err != nil || len(opts) != 4 {
		t.Errorf("Opts = %d options, %v; want 4", len(opts), err)
	}
	if c.TLS.MinVersion != 0 {
		t.Error("Opts modified the caller's TLS config")
	}
	if got, want := c.String(), "a:9092,b:9092 tls sasl=SCRAM-SHA-256 user=me"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	c.SASL.Mechanism = "nope"
	if _, err := c.Opts(); err == nil || !strings.Contains(err.Error(), `SASL mechanism "nope"`) {
		t.Errorf("Opts with a bad mechanism: %v", err)
	}
}

func TestLoadTLS(t *testing.T) {
	c, err := kafkaconn.LoadTLS("", "", "")
	if err != nil || c == nil || c.RootCAs != nil || c.MinVersion != tls.VersionTLS12 {
		t.Errorf("LoadTLS with system roots = %v, %v", c, err)
	}
	if _, err := kafkaconn.LoadTLS("", "cert.pem", ""); err == nil || !strings.Contains(err.Error(), "needs both") {
		t.Errorf("LoadTLS with a certificate without a key: %v", err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "ca.pem")
	os.WriteFile(bad, []byte("not pem"), 0o600)
	if _, err := kafkaconn.LoadTLS(bad, "", ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("LoadTLS with a bad CA: %v", err)
	}
	if _, err := kafkaconn.LoadTLS(filepath.Join(dir, "missing.pem"), "", ""); err == nil || !strings.Contains(err.Error(), "kafka: TLS CA:") {
		t.Errorf("LoadTLS with a missing CA: %v", err)
	}
	if _, err := kafkaconn.LoadTLS("", filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")); err == nil || !strings.Contains(err.Error(), "client certificate") {
		t.Errorf("LoadTLS with missing client files: %v", err)
	}
}
