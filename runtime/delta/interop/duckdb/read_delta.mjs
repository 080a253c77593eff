// read_delta.mjs: an INDEPENDENT, MINIMAL Delta Lake reader written in
// DuckDB SQL. It is a test oracle for runtime/delta (see
// TestDuckDBReadsOurTables), NOT production code: it shares no code with
// streamgen, and it supports only what a plain table needs (reader
// version 1, classic single-file checkpoints, no deletion vectors, no
// column mapping). DuckDB's own `delta` extension is deliberately not used
// (it needs a download); the built-in parquet and json extensions are.
//
// Usage: node read_delta.mjs TABLE_DIR
//
// Output, one JSON object per line:
//   {"protocol": {...}}            the newest protocol action
//   {"metaData": {...}}            the newest metaData action
//   {"snapshot": {"version", "checkpoint", "commits", "files"}}
//                                  how the state was built, and the active
//                                  files (percent-decoded, sorted)
//   {"typeMismatches": [...]}      data columns whose Parquet type, as
//                                  DuckDB reads it, is not the Delta type
//   {"row": {...}}                 one per table row, keyed by column name
//   {"stats": {"files", "checks", "problems"}}
//                                  add.stats checked against the data files
//                                  (see section 5)
//
// Rows are rendered canonically from the Delta schema: integers as JSON
// numbers, float/double as strings in JavaScript's shortest round-trip
// exponential form ("1.5e+0", "-0e+0", "NaN", "Infinity"), decimals as
// strings with exactly `scale` fraction digits, dates "YYYY-MM-DD",
// timestamps "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC; timestamp_ntz without the
// Z), binary as lower-case hex, structs as objects, arrays as arrays, maps
// as arrays of [key, value] pairs in file order.
//
// The @duckdb/node-api package is loaded from $STREAMGEN_DUCKDB_DIR (the
// directory where `npm ci` ran) if set, else from next to this script.
// package-lock.json pins it; its entries for the other platforms' optional
// @duckdb/node-bindings-* packages (which `npm ci` checks for but skips on
// linux-x64) were added by hand, as the registry reachable here serves
// only the linux-x64 ones: keep them when regenerating the lock.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(
  process.env.STREAMGEN_DUCKDB_DIR
    ? path.join(path.resolve(process.env.STREAMGEN_DUCKDB_DIR), 'package.json')
    : import.meta.url,
);
const duckdb = require('@duckdb/node-api');
const { DuckDBInstance, DuckDBTypeId } = duckdb;

const fail = (msg) => {
  process.stderr.write(`read_delta: ${msg}\n`);
  process.exit(1);
};

const tableDir = process.argv[2];
if (!tableDir) fail('usage: node read_delta.mjs TABLE_DIR');
const root = path.resolve(tableDir);
const logDir = path.join(root, '_delta_log');

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;
const sqlIdent = (s) => `"${String(s).replaceAll('"', '""')}"`;
const sqlList = (xs) => `[${xs.map(sqlString).join(', ')}]`;
const logFile = (v, suffix) => path.join(logDir, `${String(v).padStart(20, '0')}.${suffix}`);

// --- 1. Which log files: the checkpoint named by _last_checkpoint, then
// every JSON commit after it (they must be contiguous).
let checkpoint = null;
const hintPath = path.join(logDir, '_last_checkpoint');
if (fs.existsSync(hintPath)) {
  const hint = JSON.parse(fs.readFileSync(hintPath, 'utf8'));
  if (hint.parts) fail('multi-part checkpoints are not supported');
  checkpoint = Number(hint.version);
  if (!fs.existsSync(logFile(checkpoint, 'checkpoint.parquet'))) {
    fail(`_last_checkpoint names version ${checkpoint}, but its checkpoint file is missing`);
  }
}
const commits = fs
  .readdirSync(logDir)
  .filter((n) => /^\d{20}\.json$/.test(n))
  .map((n) => Number(n.slice(0, 20)))
  .filter((v) => checkpoint === null || v > checkpoint)
  .sort((a, b) => a - b);
commits.forEach((v, i) => {
  const want = (checkpoint === null ? 0 : checkpoint + 1) + i;
  if (v !== want) fail(`log is not contiguous: found commit ${v}, expected ${want}`);
});
if (checkpoint === null && commits.length === 0) fail(`${root} is not a Delta table`);
const version = commits.length ? commits[commits.length - 1] : checkpoint;

const instance = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});
const db = await instance.connect();
const run = (sql) => db.run(sql);
const all = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS();
await run(`SET TimeZone = 'UTC'`);

// --- 2. Every action as (version, seq, kind, ...): JSON commits are read
// as text and split into lines so that line order is known; the
// checkpoint is read with read_parquet. Action bodies are kept as JSON.
const sources = [];
if (commits.length) {
  await run(`CREATE TEMP TABLE commit_lines AS
    SELECT CAST(regexp_extract(filename, '(\\d{20})\\.json$', 1) AS BIGINT) AS version,
           generate_subscripts(lines, 1) AS seq,
           unnest(lines) AS line
    FROM (SELECT filename, string_split(replace(content, chr(13), ''), chr(10)) AS lines
          FROM read_text(${sqlList(commits.map((v) => logFile(v, 'json')))}))`);
  await run(`CREATE TEMP TABLE commit_actions AS
    SELECT version, seq, CAST(line AS JSON) AS j FROM commit_lines WHERE trim(line) <> ''`);
  for (const kind of ['add', 'remove', 'protocol', 'metaData']) {
    sources.push(`SELECT version, seq, '${kind}' AS kind, json_extract(j, '$.${kind}') AS body
      FROM commit_actions WHERE json_type(j, '$.${kind}') = 'OBJECT'`);
  }
}
if (checkpoint !== null) {
  const cp = `read_parquet(${sqlString(logFile(checkpoint, 'checkpoint.parquet'))})`;
  for (const kind of ['add', 'remove', 'protocol', 'metaData']) {
    sources.push(`SELECT ${checkpoint}::BIGINT AS version, 0::BIGINT AS seq, '${kind}' AS kind,
      to_json(${sqlIdent(kind)}) AS body FROM ${cp} WHERE ${sqlIdent(kind)} IS NOT NULL`);
  }
}
await run(`CREATE TEMP TABLE actions AS ${sources.join('\nUNION ALL\n')}`);

// --- 3. Reconcile: per kind of singleton action, and per (decoded) file
// path, the action with the highest (version, seq) wins.
const latest = async (kind) => {
  const r = await all(`SELECT CAST(body AS VARCHAR) AS body FROM actions WHERE kind = '${kind}'
    ORDER BY version DESC, seq DESC LIMIT 1`);
  if (!r.length) fail(`no ${kind} action in the log`);
  return JSON.parse(r[0].body);
};
const protocol = await latest('protocol');
const metaData = await latest('metaData');
if (protocol.minReaderVersion > 1) fail(`reader version ${protocol.minReaderVersion} is not supported`);
const conf = metaData.configuration ?? {};
if ((conf['delta.columnMapping.mode'] ?? 'none') !== 'none') fail('column mapping is not supported');

await run(`CREATE TEMP TABLE active AS
  SELECT rel, ${sqlString(root + '/')} || rel AS file, pv, stats FROM (
    SELECT kind, url_decode(json_extract_string(body, '$.path')) AS rel,
           json_extract_string(body, '$.stats') AS stats,
           CAST(json_extract(body, '$.partitionValues') AS MAP(VARCHAR, VARCHAR)) AS pv,
           row_number() OVER (PARTITION BY url_decode(json_extract_string(body, '$.path')) ORDER BY version DESC, seq DESC) AS rn
    FROM actions WHERE kind IN ('add', 'remove'))
  WHERE rn = 1 AND kind = 'add'`);
const badPaths = await all(`SELECT count(*) AS n FROM active WHERE rel IS NULL OR rel LIKE '%://%' OR rel LIKE '/%'`);
if (badPaths[0].n > 0n) fail('absolute or missing add paths are not supported');
const dvs = await all(`SELECT count(*) AS n FROM actions WHERE kind = 'add' AND json_extract_string(body, '$.deletionVector') IS NOT NULL`);
if (dvs[0].n > 0n) fail('deletion vectors are not supported');
const files = await all(`SELECT rel, file, stats FROM active ORDER BY rel`);

const out = (obj) => process.stdout.write(toJSON(obj) + '\n');
out({ protocol });
out({ metaData });
out({ snapshot: { version, checkpoint, commits, files: files.map((f) => f.rel) } });

// --- 4. Data: read the active files with read_parquet (no hive
// partitioning: partition values come from add.partitionValues only) and
// add the partition columns, cast to their Delta types.
const schema = JSON.parse(metaData.schemaString);
const partCols = new Set(metaData.partitionColumns ?? []);

// duckType maps a Delta type to DuckDB SQL (used for partition casts).
function duckType(t) {
  if (typeof t === 'string') {
    const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
    if (m) return `DECIMAL(${m[1]}, ${m[2]})`;
    const prim = {
      string: 'VARCHAR', long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT',
      float: 'FLOAT', double: 'DOUBLE', boolean: 'BOOLEAN', binary: 'BLOB', date: 'DATE',
      timestamp: 'TIMESTAMPTZ', timestamp_ntz: 'TIMESTAMP',
    }[t];
    if (prim) return prim;
  }
  fail(`type ${JSON.stringify(t)} cannot be a partition column here`);
}

const select = schema.fields.map((f) => {
  if (f.type === 'void') return `NULL AS ${sqlIdent(f.name)}`;
  if (!partCols.has(f.name)) return `d.${sqlIdent(f.name)}`;
  const raw = `nullif(map_extract_value(a.pv, ${sqlString(f.name)}), '')`;
  // binary partition values are the string's bytes, not a blob literal.
  const value = f.type === 'binary' ? `encode(${raw})` : `CAST(${raw} AS ${duckType(f.type)})`;
  return `${value} AS ${sqlIdent(f.name)}`;
});
const dataCols = schema.fields.filter((f) => f.type !== 'void' && !partCols.has(f.name));

if (!dataCols.length) fail('tables without data columns are not supported');
if (files.length) {
  const reader = await db.runAndReadAll(`SELECT ${select.join(', ')}
    FROM read_parquet(${sqlList(files.map((f) => f.file))},
                      hive_partitioning = false, union_by_name = true, filename = '__oracle_file') d
    JOIN active a ON a.file = d.__oracle_file`);
  const types = reader.columnTypes();
  const mismatches = [];
  schema.fields.forEach((f, i) => {
    if (dataCols.includes(f)) checkType(f.type, types[i], f.name, mismatches);
  });
  out({ typeMismatches: mismatches });
  for (const r of reader.getRows()) {
    const row = {};
    schema.fields.forEach((f, i) => { row[f.name] = render(r[i], f.type); });
    out({ row });
  }
} else {
  out({ typeMismatches: [] });
}

// --- 5. Per-file statistics (add.stats), which engines use to skip
// files: numRecords and every nullCount must be exact, and minValues /
// maxValues must bound the file's values (bounds may be loose: strings
// are cut to a prefix, timestamps to milliseconds). Checked for the
// primitive leaves reached through structs; binary and boolean have no
// min/max, arrays and maps no stats.
const leaves = [];
const collect = (fields, names) => {
  for (const f of fields) {
    const p = [...names, f.name];
    if (typeof f.type === 'object' && f.type.type === 'struct') collect(f.type.fields, p);
    else if (typeof f.type === 'string' && f.type !== 'void') leaves.push({ path: p, type: f.type });
  }
};
collect(dataCols, []);
const statsProblems = [];
let statsChecks = 0;
for (const f of files) {
  if (f.stats === null) continue;
  // A file written before a column was added (schema evolution) lacks
  // it: its rows read it as null (union_by_name above); its stats are
  // checked for the columns the file has.
  const present = new Set((await all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(f.file)}, hive_partitioning = false)`))
    .map((c) => c.column_name));
  const fileLeaves = leaves.filter(({ path }) => present.has(path[0]));
  // DuckDB's JSON functions read numbers as doubles: quote them first so
  // that decimal bounds keep every digit.
  const stats = sqlString(f.stats.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (tok) => (tok.startsWith('"') ? tok : `"${tok}"`)));
  const at = (kind, path) => `json_extract_string(${stats}, ${sqlString(['$', kind, ...path].map((n, i) => (i ? JSON.stringify(n) : n)).join('.'))})`;
  const exprs = ['count(*) AS n', `CAST(${at('numRecords', [])} AS BIGINT) AS stat_n`];
  fileLeaves.forEach(({ path, type }, i) => {
    const col = path.slice(1).reduce((e, n) => `struct_extract(${e}, ${sqlString(n)})`, sqlIdent(path[0]));
    exprs.push(`count(*) - count(${col}) AS nulls_${i}`, `CAST(${at('nullCount', path)} AS BIGINT) AS stat_nulls_${i}`);
    if (type !== 'binary' && type !== 'boolean') {
      const t = duckType(type);
      exprs.push(`min(${col}) >= CAST(${at('minValues', path)} AS ${t}) AS min_ok_${i}`,
        `max(${col}) <= CAST(${at('maxValues', path)} AS ${t}) AS max_ok_${i}`,
        `CAST(min(${col}) AS VARCHAR) AS min_${i}`, `CAST(max(${col}) AS VARCHAR) AS max_${i}`,
        `${at('minValues', path)} AS stat_min_${i}`, `${at('maxValues', path)} AS stat_max_${i}`);
    }
  });
  const [r] = await all(`SELECT ${exprs.join(', ')} FROM read_parquet(${sqlString(f.file)}, hive_partitioning = false)`);
  const problem = (msg) => statsProblems.push(`${f.rel}: ${msg}`);
  statsChecks++;
  if (r.stat_n !== r.n) problem(`numRecords ${r.stat_n}, the file has ${r.n} rows`);
  fileLeaves.forEach(({ path }, i) => {
    const name = path.join('.');
    if (r[`stat_nulls_${i}`] !== null) {
      statsChecks++;
      if (r[`stat_nulls_${i}`] !== r[`nulls_${i}`]) problem(`${name}: nullCount ${r[`stat_nulls_${i}`]}, the file has ${r[`nulls_${i}`]} nulls`);
    }
    for (const [k, cmp] of [['min', '>'], ['max', '<']]) {
      if (r[`${k}_ok_${i}`] === undefined || r[`stat_${k}_${i}`] === null || r[`${k}_${i}`] === null) continue;
      statsChecks++;
      if (!r[`${k}_ok_${i}`]) problem(`${name}: ${k}Values ${r[`stat_${k}_${i}`]}, but the file's ${k} is ${r[`${k}_${i}`]} (${cmp} the bound)`);
    }
  });
}
out({ stats: { files: files.filter((f) => f.stats !== null).length, checks: statsChecks, problems: statsProblems } });

// checkType records where DuckDB's type of a data column differs from the
// Delta type (struct fields are matched by name, as Spark does).
function checkType(t, dt, where, errs) {
  const id = dt.typeId;
  const want = (ok, wantName) => { if (!ok) errs.push(`${where}: Delta ${JSON.stringify(t)} read by DuckDB as ${dt} (want ${wantName})`); };
  if (typeof t === 'string') {
    const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
    if (m) return want(id === DuckDBTypeId.DECIMAL && dt.width === +m[1] && dt.scale === +m[2], `DECIMAL(${m[1]},${m[2]})`);
    const ids = {
      string: 'VARCHAR', long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT',
      float: 'FLOAT', double: 'DOUBLE', boolean: 'BOOLEAN', binary: 'BLOB', date: 'DATE',
      timestamp: 'TIMESTAMP_TZ', timestamp_ntz: 'TIMESTAMP',
    };
    return want(id === DuckDBTypeId[ids[t]], ids[t]);
  }
  switch (t.type) {
    case 'struct':
      if (id !== DuckDBTypeId.STRUCT) return want(false, 'STRUCT');
      for (const f of t.fields) {
        const k = dt.entryNames.indexOf(f.name);
        if (k < 0) errs.push(`${where}.${f.name}: field missing in the Parquet struct`);
        else checkType(f.type, dt.entryTypes[k], `${where}.${f.name}`, errs);
      }
      return;
    case 'array':
      if (id !== DuckDBTypeId.LIST) return want(false, 'LIST');
      return checkType(t.elementType, dt.valueType, `${where}[]`, errs);
    case 'map':
      if (id !== DuckDBTypeId.MAP) return want(false, 'MAP');
      checkType(t.keyType, dt.keyType, `${where}.key`, errs);
      return checkType(t.valueType, dt.valueType, `${where}.value`, errs);
  }
  errs.push(`${where}: unknown Delta type ${JSON.stringify(t)}`);
}

// render turns a DuckDB value into the canonical JSON form of Delta type t
// (see the top of the file). BigInts stay exact (see toJSON).
function render(v, t) {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') {
    if (t.startsWith('decimal')) {
      const neg = v.value < 0n;
      let digits = (neg ? -v.value : v.value).toString();
      if (v.scale > 0) {
        digits = digits.padStart(v.scale + 1, '0');
        digits = `${digits.slice(0, -v.scale)}.${digits.slice(-v.scale)}`;
      }
      return (neg ? '-' : '') + digits;
    }
    switch (t) {
      case 'string': case 'boolean': return v;
      case 'long': case 'integer': case 'short': case 'byte': return BigInt(v);
      case 'float': case 'double':
        if (Number.isNaN(v) || !Number.isFinite(v)) return String(v);
        return (Object.is(v, -0) ? '-' : '') + v.toExponential();
      case 'binary': return Buffer.from(v.bytes).toString('hex');
      case 'date': return new Date(v.days * 86400000).toISOString().slice(0, 10);
      case 'timestamp': case 'timestamp_ntz': {
        let ms = v.micros / 1000n;
        let us = v.micros % 1000n;
        if (us < 0n) { us += 1000n; ms -= 1n; }
        const iso = new Date(Number(ms)).toISOString(); // ...T..:..:..mmmZ
        return iso.slice(0, -1) + String(us).padStart(3, '0') + (t === 'timestamp' ? 'Z' : '');
      }
    }
    throw new Error(`cannot render Delta type ${t}`);
  }
  switch (t.type) {
    case 'struct': {
      const o = {};
      for (const f of t.fields) o[f.name] = render(v.entries[f.name], f.type);
      return o;
    }
    case 'array': return v.items.map((x) => render(x, t.elementType));
    case 'map': return v.entries.map((e) => [render(e.key, t.keyType), render(e.value, t.valueType)]);
  }
  throw new Error(`cannot render Delta type ${JSON.stringify(t)}`);
}

// toJSON is JSON.stringify that writes BigInts as exact JSON numbers.
function toJSON(v) {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(toJSON).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJSON(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}
