// duckdb_windowed.mjs: the baseline for BenchmarkWindowedCount,
// DuckDB on one thread counting the events JSON lines files per action and
// 1-hour window, the result written to one zstd Parquet file (as our
// pipeline commits it to a Delta table). It prints the number of groups
// and the sum of their counts.
//
// Usage: node duckdb_windowed.mjs NODE_MODULES_DIR 'DIR/*.json' OUT.parquet
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, glob, out] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
await db.run(`COPY (SELECT action, time_bucket(INTERVAL 1 hour, to_timestamp(time)) AS w, count(*) AS count
  FROM read_json(${quote(glob)}, format = 'newline_delimited', columns = {time: 'BIGINT', action: 'VARCHAR'})
  GROUP BY ALL) TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd)`);
const rows = (await db.runAndReadAll(`SELECT count(*)::BIGINT AS n, sum(count)::BIGINT AS s FROM read_parquet(${quote(out)})`)).getRowObjectsJS();
console.log(`${rows[0].n} ${rows[0].s}`);
