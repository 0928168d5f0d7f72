import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
