import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDataSourceContract, runLakeContract } from '../../../ports/data-source.contract.js';
import { DuckdbLake } from './duckdb-lake.js';

function freshLake(): { lake: DuckdbLake; dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-lake-'));
  return { lake: new DuckdbLake(join(dir, 'lake')), dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

runLakeContract('DuckdbLake', async () => freshLake());

runDataSourceContract('DuckdbLake', async () => {
  const { lake, dir, cleanup } = freshLake();
  let n = 0;
  return {
    source: lake,
    arrive: async (table, rows) => {
      const file = join(dir, `arrival-${n++}.csv`);
      writeFileSync(file, `id,label,score\n${rows.map((r) => `${r.id},${r.label},${r.score.toFixed(2)}`).join('\n')}\n`);
      return (await lake.append(table, file, { by: 'contract' })).committedAt;
    },
    cleanup,
  };
});

describe('DuckdbLake: an as-of a little ahead of its clock', () => {
  it('is answered once the clock has passed it, with every commit stamped before it, and the same answer later', async () => {
    const { lake, dir, cleanup } = freshLake();
    try {
      writeFileSync(join(dir, 'a.csv'), 'id\n1\n');
      writeFileSync(join(dir, 'b.csv'), 'id\n2\n');
      await lake.append('t', join(dir, 'a.csv'), { by: 'test' });
      const asOf = Date.now() + 400;
      const sql = 'SELECT id FROM t ORDER BY id';
      const [early, commit] = await Promise.all([lake.preview({ sql, asOf }, 10), lake.append('t', join(dir, 'b.csv'), { by: 'test' })]);
      expect(commit.committedAt).toBeLessThanOrEqual(asOf);
      expect(Date.now()).toBeGreaterThan(asOf);
      expect(early.rows.map((r) => Number(r[0]))).toEqual([1, 2]);
      await lake.append('t', join(dir, 'a.csv'), { by: 'test' });
      expect((await lake.preview({ sql, asOf }, 10)).rows).toEqual(early.rows);
    } finally {
      await lake.close();
      await cleanup();
    }
  });
});
