// Streamgen generates typed streaming pipelines that write Delta Lake
// tables, and inspects and maintains Delta tables.
//
// Usage:
//
//	streamgen <command> [arguments]
//
// The commands are:
//
//	generate [-o DIR] [--package NAME] [--omit-version] SPEC...
//	        generate the Go package of each pipeline spec (records,
//	        decoders, Delta schemas); run from //go:generate
//	check [--checkpoint DIR] [--table PATH] SPEC...
//	        check specs and their schemas; print diagnostics only. With
//	        --checkpoint or --table: whether the pipeline can restart on
//	        that checkpoint and Delta table (allowed, allowed with table
//	        evolution, refused, with the reasons); exit 1 if refused
//	diff [-o DIR] SPEC...
//	        list generated files that are stale, missing or extra, with a
//	        unified diff; exit 1 if any
//	init NAME
//	        scaffold schemas/NAME.json, pipelines/NAME.yaml and
//	        internal/PACKAGE/gen.go with its //go:generate line
//	ir --json SPEC...
//	        print the validated pipeline model (the IR) as JSON
//	table show PATH [--version N | --timestamp T] [--format table|csv|jsonl] [--limit N]
//	        print the rows of the Delta table at PATH (a directory, a
//	        file:// URL, or s3://bucket/prefix, gs://bucket/prefix or
//	        azblob://container/prefix), at its latest version or as of a
//	        version or time
//	table describe PATH [--version N] [--format text|json]
//	        print the version, commit time, id, schema, partition columns,
//	        protocol, configuration, file and record counts and streaming
//	        transactions of the table
//	table history PATH [--limit N] [--format text|json]
//	        print the commits of the table, newest first
//	table optimize PATH [--target-size SIZE] [--where COL=VALUE]...
//	        compact small files into files of about SIZE (128MiB, 1GB...)
//	table vacuum PATH [--retain DURATION] [--dry-run] [--force]
//	        delete data files the table stopped referencing more than
//	        DURATION (default 168h, 7 days) ago
//	version
//	        print the streamgen version
//	help [command]
//	        print help for a command
//
// Every table command takes such a PATH. Object stores take their
// credentials from each cloud's standard chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY or AWS_PROFILE; Application Default Credentials;
// AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY...); for MinIO or another
// S3-compatible store set AWS_ENDPOINT_URL_S3 and AWS_REGION, or put
// ?endpoint=http://host:9000&region=us-east-1 in the URL.
//
// Flags may come before or after PATH and SPEC arguments. The exit status
// is 0 on success, 1 for a user or data error (a spec or schema error,
// printed as file:line:col: path: message; stale generated files; a path
// that is not a Delta table, a corrupt log), and 2 for a usage error (an
// unknown command or flag, a bad value).
//
// Output formats of table show: "table" is an aligned text table with a
// header in which null prints as NULL; "csv" is RFC 4180 with a header line
// and null as an empty field; "jsonl" is one JSON object per row with keys
// in schema order. Timestamps print as RFC 3339 in UTC with six fraction
// digits only when the fraction is non-zero, dates as YYYY-MM-DD, binary as
// base64; in jsonl, decimals are exact JSON numbers and nested values nested
// JSON. Rows come in file order (the active files sorted by path), then row
// order: they are not sorted.
//
// Examples:
//
//	streamgen init action_counts
//	streamgen generate -o internal/actioncounts pipelines/action_counts.yaml
//	streamgen diff -o internal/actioncounts pipelines/action_counts.yaml
//	streamgen table show tables/iot_status --limit 5
//	streamgen table show tables/iot_status --timestamp 2024-05-01 --format jsonl
//	streamgen table describe tables/iot_status
//	streamgen table history tables/iot_status --limit 10
//	streamgen table optimize tables/iot_status --target-size 128MiB
//	streamgen table vacuum tables/iot_status --retain 168h --dry-run
package main

import (
	"os"

	"github.com/streamgen/streamgen/cmd/streamgen/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
