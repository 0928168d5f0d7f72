/**
 * @module services/store-migration
 * `reprise migrate`: a whole store moved to other backends (a laptop's SQLite and blob
 * folder to a team's PostgreSQL and S3 bucket), then checked: every table's row count
 * and every blob's bytes, hashed on the way. Rows and blobs already copied are left
 * alone, so an interrupted migration run again finishes the job. A target is filled from
 * one source only: it must hold no runs, or an earlier copy of the same source.
 */
import { RepriseError } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { StoreTableSink, StoreTableSource } from '../ports/metadata-store.js';

export interface MigrationDeps {
  readonly source: StoreTableSource;
  readonly sink: StoreTableSink;
  readonly sourceBlobs: BlobStore;
  readonly targetBlobs: BlobStore;
  /** Names the source in the target's record of it (and in messages). */
  readonly sourceName: string;
  readonly say?: (message: string) => void;
}

export interface MigrationReport {
  readonly tables: readonly { readonly name: string; readonly rows: number; readonly copied: number }[];
  readonly blobs: { readonly count: number; readonly copied: number; readonly bytesCopied: number };
  /** Whether this run found an earlier, interrupted one to finish. */
  readonly resumed: boolean;
  readonly seconds: number;
}

const ROWS_PER_PAGE = 2_000;
const BLOBS_AT_ONCE = 4;

export class StoreMigration {
  readonly #d: MigrationDeps;

  constructor(d: MigrationDeps) {
    this.#d = d;
  }

  async run(): Promise<MigrationReport> {
    const started = Date.now();
    const resumed = await this.#claimTarget();
    const blobs = await this.#copyBlobs();
    const tables = await this.#copyTables();
    await this.#d.sink.finishCopy();
    await this.#verify(tables);
    return { tables, blobs, resumed, seconds: (Date.now() - started) / 1000 };
  }

  /** Refuses a target filled from elsewhere; records this source on a fresh one. */
  async #claimTarget(): Promise<boolean> {
    const { sink, sourceName } = this.#d;
    const earlier = await sink.copiedFrom();
    if (earlier === sourceName) {
      this.#d.say?.(`finishing an earlier migration from ${sourceName}`);
      return true;
    }
    if (earlier !== null) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `the target was filled from another store (${earlier}), not from ${sourceName}`, {
        hint: 'migrate into an empty database; to add some runs to a server that has others, use `reprise export` and `reprise import`',
      });
    }
    if ((await sink.countRows('runs')) > 0) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'the target database holds runs already: `reprise migrate` fills an empty one', {
        hint: 'to add some runs to a server that has others, use `reprise export` and `reprise import`',
      });
    }
    await sink.markCopiedFrom(sourceName);
    return false;
  }

  /** Every blob not yet in the target, streamed across and hashed on the way. */
  async #copyBlobs(): Promise<MigrationReport['blobs']> {
    const { sourceBlobs, targetBlobs, say } = this.#d;
    let count = 0;
    let copied = 0;
    let bytesCopied = 0;
    const inFlight = new Set<Promise<void>>();
    const copyOne = async (sha: string): Promise<void> => {
      const size = (await sourceBlobs.stat(sha))?.size;
      const there = await targetBlobs.stat(sha);
      if (there && there.size === size) return;
      const ref = await targetBlobs.putStream(await sourceBlobs.stream(sha));
      if (ref.sha256 !== sha) {
        throw new RepriseError('REPRISE_ERR_MIGRATE_MISMATCH', `blob ${sha} of the source is damaged: its bytes hash to ${ref.sha256}`, { details: { blob: sha } });
      }
      copied++;
      bytesCopied += ref.size;
    };
    for await (const sha of sourceBlobs.list()) {
      count++;
      const p = copyOne(sha).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= BLOBS_AT_ONCE) await Promise.race(inFlight);
      if (count % 500 === 0) say?.(`blobs: ${count} looked at, ${copied} copied`);
    }
    await Promise.all(inFlight);
    say?.(`blobs: ${count}, ${copied} copied (${(bytesCopied / 2 ** 20).toFixed(1)} MiB)`);
    return { count, copied, bytesCopied };
  }

  async #copyTables(): Promise<{ name: string; rows: number; copied: number }[]> {
    const { source, sink, say } = this.#d;
    const out: { name: string; rows: number; copied: number }[] = [];
    for (const name of await source.tableNames()) {
      let copied = 0;
      let rows = 0;
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<StoreTableSource['readRows']>> = await source.readRows(name, after, ROWS_PER_PAGE);
        rows += page.rows.length;
        if (page.rows.length > 0) copied += await sink.writeRows(name, page.rows);
        after = page.next;
      } while (after !== null);
      say?.(`${name}: ${rows} row(s), ${copied} copied`);
      out.push({ name, rows, copied });
    }
    return out;
  }

  /** Counts compared table by table, and every blob looked for in the target. */
  async #verify(tables: readonly { name: string; rows: number }[]): Promise<void> {
    const { source, sink, sourceBlobs, targetBlobs } = this.#d;
    for (const t of tables) {
      const [want, got] = await Promise.all([source.countRows(t.name), sink.countRows(t.name)]);
      if (want !== got) {
        throw new RepriseError('REPRISE_ERR_MIGRATE_MISMATCH', `table ${t.name}: the source has ${want} row(s), the target ${got}`, { details: { table: t.name, source: want, target: got } });
      }
    }
    for await (const sha of sourceBlobs.list()) {
      const [want, got] = await Promise.all([sourceBlobs.stat(sha), targetBlobs.stat(sha)]);
      if (want && got?.size !== want.size) {
        throw new RepriseError('REPRISE_ERR_MIGRATE_MISMATCH', `blob ${sha}: ${got ? `${got.size} bytes in the target, ${want.size} in the source` : 'missing from the target'}`, { details: { blob: sha } });
      }
    }
  }
}
