// duckdb_copy.mjs: the baseline for BenchmarkEvents/duckdb, DuckDB
// on one thread converting the events JSON lines files to one zstd
// Parquet file. It prints the number of rows written.
//
// Usage: node duckdb_copy.mjs NODE_MODULES_DIR 'DIR/*.json' OUT.parquet
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, glob, out] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
await db.run(`COPY (SELECT * FROM read_json(${quote(glob)}, format = 'newline_delimited',
  columns = {time: 'BIGINT', action: 'VARCHAR'})) TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd)`);
const rows = (await db.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${quote(out)})`)).getRowObjectsJS();
console.log(String(rows[0].n));
