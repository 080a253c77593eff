package kafka_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/kafka"
)

func TestSASL(t *testing.T) {
	admin := scram.Auth{User: "admin", Pass: "admin-pw"}.AsSha256Mechanism()
	e := newEnvWith(t, []kgo.Opt{kgo.SASL(admin)}, kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", "admin", "admin-pw"),
		kfake.Superuser("PLAIN", "plain-user", "plain-pw"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "pw-256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pw-512"))
	e.createTopic("t", 1)
	e.produceReadings("t", 0, "a", 3)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw-512\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STREAMGEN_TEST_KAFKA_PW", "pw-256")
	cases := []struct {
		mech, user string
		pw         kafka.Secret
		ok         bool
	}{
		{kafka.SASLPlain, "plain-user", kafka.SecretValue("plain-pw"), true},
		{kafka.SASLScramSHA256, "scram256", kafka.SecretFromEnv("STREAMGEN_TEST_KAFKA_PW"), true},
		{kafka.SASLScramSHA512, "scram512", kafka.SecretFromFile(pwFile), true},
		{kafka.SASLPlain, "plain-user", kafka.SecretValue("wrong"), false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%v", c.mech, c.user, c.ok), func(t *testing.T) {
			e.cpDir = t.TempDir()
			s := e.source(kafka.Subscribe("t"), kafka.StartingOffsets("earliest"), kafka.SASL(c.mech, c.user, c.pw),
				kafka.ClientOpts(kgo.RequestRetries(1)))
			ctx := context.Background()
			start, err := s.InitialOffset(ctx)
			if !c.ok {
				if err == nil {
					t.Fatal("authenticated with a wrong password")
				}
				if strings.Contains(err.Error(), "wrong") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			end := latest(t, s, start)
			if rows, _ := read(t, s, start, end); len(rows) != 3 {
				t.Errorf("read %d rows, want 3", len(rows))
			}
		})
	}
}

func TestSecretNeverShown(t *testing.T) {
	sec := kafka.SecretValue("hunter2")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "password", sec)
	for _, s := range []string{sec.String(), fmt.Sprintf("%v %+v %#v %s", sec, sec, sec, sec), buf.String()} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("secret shown: %s", s)
		}
	}
	if v, err := sec.Resolve(); err != nil || v != "hunter2" {
		t.Errorf("Resolve = %q, %v", v, err)
	}
}

func TestLoadTLS(t *testing.T) {
	c, err := kafka.LoadTLS("", "", "")
	if err != nil || c == nil || c.RootCAs != nil {
		t.Errorf("LoadTLS with system roots = %v, %v", c, err)
	}
	if _, err := kafka.LoadTLS("", "cert.pem", ""); err == nil {
		t.Error("LoadTLS accepted a certificate without a key")
	}
	bad := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(bad, []byte("not pem"), 0o600)
	if _, err := kafka.LoadTLS(bad, "", ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("LoadTLS with a bad CA: %v", err)
	}
}

func TestQuarantineMalformed(t *testing.T) {
	e := newEnv(t)
	e.createTopic("t", 2)
	e.produce("t", 0, `{"device":"a","temp":1}`, `{"temp":2}`)
	e.produce("t", 1, `oops`)
	q := quarantine.NewMemory()
	cp := e.checkpoint()
	s := e.sourceOn(cp, kafka.Subscribe("t"), kafka.StartingOffsets("earliest"),
		kafka.OnMalformed(kafka.QuarantineMalformed), kafka.QuarantineTo(q))
	start := initial(t, s)
	logOffsets(t, cp, 0, start) // an empty batch 0
	end := latest(t, s, start)
	logOffsets(t, cp, 1, end)
	for range 2 { // a re-run is quarantined once
		rows, st := read(t, s, start, end)
		if len(rows) != 1 || st.Quarantined != 2 || st.Metrics()["numQuarantinedRows"] != "2" {
			t.Errorf("%d rows, stats %+v", len(rows), st)
		}
	}
	bs := q.Batches()
	if len(bs) != 1 || bs[0].Version != 1 || bs[0].QueryID != cp.ID() || bs[0].Source != 0 {
		t.Fatalf("quarantine batches = %+v", bs)
	}
	got := bs[0].Records
	if len(got) != 2 || got[0].File != "kafka:t/0" || got[0].Offset != 1 || string(got[0].Raw) != `{"temp":2}` ||
		got[1].File != "kafka:t/1" || got[1].Offset != 0 || string(got[1].Raw) != "oops" || got[0].Line != 0 {
		t.Errorf("quarantine records = %+v", got)
	}
	// A range the checkpoint never logged cannot be keyed.
	_, err := s.Read(context.Background(), start, json.RawMessage(`{"t":{"0":2,"1":0}}`), func(*reading, *kafka.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no batch in the checkpoint's offsets log") {
		t.Errorf("unlogged range: err = %v", err)
	}
}
