// Package planprint is the plan fingerprint of a streaming pipeline: what
// a restart on the same checkpoint and Delta table must agree with, and
// the rules, Spark's and Delta's, that decide whether it does.
//
// A [Plan] records, in order, the sources (kind, identity, record
// schema, options), the row-at-a-time steps, the stateful operators
// (grouping keys, window, aggregates, watermark, state encoding version
// and layout fingerprint), the output mode and the sink (kind, table,
// partitioning, output schema, options). Every element carries its
// position in the spec for messages; positions never take part in a
// comparison.
//
// The generator fills a Plan from gen/ir and embeds its record ([Encode])
// in the generated code. At start the generated binary calls
// [CheckAndRecord] with the checkpoint's storage; `streamgen check SPEC
// --checkpoint DIR --table PATH` calls [Load] and [Compare] and prints the
// [Verdict] ([Verdict.Report]). Both compare the recorded plan with the new
// one and with the table's schema:
//
//	old, err := planprint.Load(ctx, cp.Storage())    // nil: new checkpoint
//	v := planprint.Compare(old, cur, tableSchema)    // tableSchema nil: no table yet
//	if err := v.Err(); err != nil { … refuse to start … }
//
// # Record
//
// The record lives at streamgen/plan.json in the checkpoint, replaced
// atomically (storage.Storage.Put) when an accepted plan differs. It is
// indented JSON, fields in a fixed order, map keys sorted, so equal plans
// have equal bytes:
//
//	{
//	  "version": 1,
//	  "pipeline": "device_counts",
//	  "sources": [
//	    {
//	      "kind": "kafka",
//	      "subscribe": ["readings"],
//	      "schema": [{"name": "device", "type": "string", "pos": "schemas/reading.json:4:5"}, …],
//	      "options": {"maxOffsetsPerTrigger": "1000"},
//	      "pos": "streamgen.yaml:4:5"
//	    }
//	  ],
//	  "operators": [{"kind": "aggregate", "keys": […], "aggregates": […], "stateVersion": 3, …}],
//	  "outputMode": "update",
//	  "sink": {"kind": "delta", "table": "s3://b/counts", "schema": […]}
//	}
//
// Types are written as Spark's schema JSON writes them: "long", or
// {"type":"array","elementType":"string","containsNull":true}. "version"
// is [FormatVersion]; [Decode] reads older versions and refuses newer ones
// with a message asking for an upgrade (or a new checkpoint), and refuses
// unknown fields and kinds: a record is never misread.
//
// # What a source is
//
// A source's kind (files, kafka, delta, rate) and its identity are what
// its offsets in the checkpoint are offsets of: for files the format and
// the path glob, for Kafka the subscription (subscribe topics as a set,
// subscribePattern, or assign), for Delta the table location, for rate
// nothing. Everything else is an option.
//
// # Rules
//
// Sources (Spark: "changes in the number or type of input sources are not
// allowed"; changes in their parameters depend):
//
//	change                                        verdict   why / way forward
//	number of sources                             refused   offsets are per source / new checkpoint
//	kind of a source                              refused   offsets mean nothing to another kind / new checkpoint
//	files format or path; Kafka subscription;     refused   offsets are of the old input / new checkpoint
//	  Delta source table
//	options (rate limits, bootstrap servers,      allowed
//	  onMalformed, Kafka value format, …)
//	startingOffsets/Version/Timestamp             allowed   only a new checkpoint starts there
//	record schema (column added, removed,         allowed   new input is decoded with it; rejects go to onMalformed
//	  changed)
//
// Steps and stateful operators (Spark: changes in projections and filters
// are allowed; changes in stateful operations are not):
//
//	filters, projections, map steps               allowed
//	number or kind of stateful operators          refused   no state for a new operator / new checkpoint
//	grouping keys (names, types, order,           refused   state is keyed by the old keys / new checkpoint
//	  nullability)
//	aggregates (function, input, output name,     refused   state holds the old accumulators / new checkpoint
//	  type, nullability; count)
//	window (kind, column, size, slide, gap,       refused   state is keyed by the old windows / new checkpoint
//	  start offset; added or removed)
//	watermark delay                               allowed   the watermark never moves back
//	watermark added or removed                    allowed   eviction starts or stops
//	watermark column                              refused   the watermark evicting state came from it / new checkpoint
//	state encoding version                        refused   the build decodes its own version only / older release or new checkpoint
//	state layout fingerprint (when nothing above  refused   the state store would refuse the files / new checkpoint
//	  explains it)
//	output mode, with a stateful operator         refused   rows would be written twice or never / new checkpoint
//	output mode, without one                      allowed
//
// Sink (Spark: a file sink may become a Kafka sink, not the reverse; a
// Kafka sink may become a foreach sink and back; a file sink's directory
// cannot change; its options and a Kafka topic can):
//
//	any kind → delta                              refused   the table would lack earlier rows / new checkpoint
//	delta → kafka, foreachBatch, memory, console; allowed   the new sink gets the rows from now on
//	  among those
//	Delta table location                          refused   / keep it, copy the table (backfill), or new checkpoint
//	Delta partitionBy                             refused   partition columns cannot change / new table or backfill
//	mergeSchema and other options, Kafka topic    allowed
//
// Output columns of a Delta sink against the table's schema (the table is
// the truth: it may have evolved since the record). streamgen's Delta
// writer writes every table column with its exact type, and evolves a
// table only by appending nullable columns (mergeSchema):
//
//	nullable column added, mergeSchema on         allowed with table evolution (the commit updates metaData)
//	nullable column added, mergeSchema off        refused   / set mergeSchema: true, or a new table
//	non-nullable column added                     refused   old rows have no value / make it nullable, or a new table
//	column removed                                refused   / keep it in the output, or a new table / backfill
//	column named in another case                  refused   Delta names are case-insensitive / use the table's spelling
//	nullable output into a NOT NULL column        refused   / make it required, or DROP NOT NULL
//	type widened (see below)                      refused   needs the typeWidening table feature, which the writer lacks
//	type narrowed (table wider than the output)   refused   the writer writes exact types / convert in a select step
//	any other type change                         refused   / a new table, or backfill
//
// Nested types are compared by their Spark simple form (as the writer
// does), so only top-level columns evolve. Without a table (nil: it does
// not exist yet, the first commit creates it) and for the other sinks,
// output column changes are allowed.
//
// Type widening follows Delta's typeWidening feature (Delta 4.0):
//
//	from                  automatic (schema evolution)     manual (ALTER TABLE only)
//	byte                  short, integer, long             double, decimal(≥3+s, s)
//	short                 integer, long                    double, decimal(≥5+s, s)
//	integer               long                             double, decimal(≥10+s, s)
//	long                  -                                decimal(≥20+s, s)
//	float                 double                           -
//	decimal(p, s)         decimal(p+k1, s+k2), k1≥k2≥0     -
//	date                  timestamp_ntz                    -
//
// streamgen's writer does not support the typeWidening table feature
// (it writes protocol 1/2 tables, and refuses tables with features it
// lacks), so every widening is refused with the zero [Rules]. With
// Rules.TypeWidening, the automatic ones are allowed with table evolution
// when mergeSchema is on, and the manual ones are refused with the ALTER
// TABLE statement to run. The types streamgen generates are string,
// integer (int32), long (int64), double, boolean, timestamp, date, arrays
// and structs, so of these only integer → long is reachable today.
//
// # Messages
//
// [Verdict.String] and [Verdict.Report] print one line per change:
//
//	streamgen.yaml:14:7: grouping keys: refused: [device string] → [device string, site string]; the state of the checkpoint is keyed by the old keys. Way forward: start a new checkpoint (--checkpoint DIR) …
//
// The position is the element's in the new spec, or in the recorded plan
// when it was removed.
package planprint
