/**
 * @module adapters/data-source/duckdb/duckdb-snapshot-reader
 * A snapshot file read back as columns by DuckDB in its sandbox (which may read that one
 * file only): numeric columns cast to DOUBLE, everything else to text. What a version's
 * reference profile is made from.
 */
import type { DataFormat } from '../../../core/lake.js';
import type { FileColumn, SnapshotReader } from '../../../ports/data-source.js';
import { DuckSandbox, sqlIdentifier, sqlString } from './duckdb-sandbox.js';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$/i;

export class DuckdbSnapshotReader implements SnapshotReader {
  async columns(file: string, format: DataFormat): Promise<FileColumn[]> {
    const box = await DuckSandbox.open({ files: [file] });
    try {
      const from =
        format === 'parquet' ? `read_parquet(${sqlString(file)})` : format === 'jsonl' ? `read_json(${sqlString(file)}, format = 'newline_delimited')` : `read_csv(${sqlString(file)}, header = true)`;
      const schema = await box.schemaOf(`SELECT * FROM ${from}`);
      if (schema.length === 0) return [];
      const numeric = schema.map((c) => NUMERIC.test(c.type));
      const select = schema.map((c, i) => `CAST(${sqlIdentifier(c.name)} AS ${numeric[i] ? 'DOUBLE' : 'VARCHAR'})`).join(', ');
      const reader = await box.conn.runAndReadAll(`SELECT ${select} FROM ${from}`);
      const cols = reader.getColumns();
      return schema.map((c, i) => {
        const raw = cols[i] ?? [];
        if (numeric[i]) {
          const values = new Float64Array(raw.length);
          for (let j = 0; j < raw.length; j++) {
            const v = raw[j];
            values[j] = typeof v === 'number' ? v : NaN;
          }
          return { name: c.name, values };
        }
        return { name: c.name, values: raw.map((v) => (v === null || v === undefined ? null : String(v))) };
      });
    } finally {
      box.close();
    }
  }
}
