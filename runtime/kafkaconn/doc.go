// Package kafkaconn holds the connection settings that the Kafka source
// (runtime/source/kafka) and the Kafka sink (runtime/sink/kafka) share:
// the bootstrap brokers, TLS, SASL authentication and the secrets SASL
// reads its password from.
//
// A [Conn] turns into franz-go client options with [Conn.Opts]:
//
//	conn := kafkaconn.Conn{
//		Brokers: []string{"my-namespace.servicebus.windows.net:9093"},
//		TLS:     &tls.Config{MinVersion: tls.VersionTLS12}, // the system's roots
//		SASL: &kafkaconn.SASL{
//			Mechanism: kafkaconn.SASLPlain,
//			User:      "$ConnectionString",
//			Password:  kafkaconn.SecretFromEnv("EVENTHUBS_CONNECTION_STRING"),
//		},
//	}
//	opts, err := conn.Opts()
//
// That is also how Azure Event Hubs' Kafka endpoint is reached: SASL
// PLAIN over TLS, with the user "$ConnectionString" and the namespace's
// connection string as the password.
//
// # Secrets
//
// A [Secret] is read from an environment variable ([SecretFromEnv]), a
// file ([SecretFromFile]) or given as a value ([SecretValue]). It is
// resolved each time a connection authenticates, so a rotated file is
// picked up without a restart, and it is never shown: its String,
// GoString and LogValue say where it comes from, not what it is, and
// errors never include it.
//
// # SASL
//
// [SASL] supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (Spark's
// kafka.sasl.mechanism values), through franz-go's pkg/sasl/plain and
// pkg/sasl/scram. PLAIN sends the password as it is: combine it with TLS.
//
// # TLS
//
// [LoadTLS] builds a *tls.Config from PEM files: a CA bundle (the
// system's roots when empty) and, for mutual TLS, a client certificate
// and key. A nil Conn.TLS means plaintext connections.
package kafkaconn
