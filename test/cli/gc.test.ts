/**
 * Retention and `reprise gc`, end to end: a run that failed its gates is flagged, keep
 * and flag override it, gc deletes only the blobs no run that stays uses (blobs are
 * shared between runs), keeps the collected run's record and logs, and reports what it
 * freed. A gc killed with SIGKILL half way leaves every kept run whole, and the next gc
 * finishes the work.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath, reprise, repriseJson, sandbox, SERVER_MODE, startReprise, type Sandbox } from '../helpers/cli.js';
import { gatedProject } from '../helpers/gated-project.js';

const TIMEOUT = 180_000;

/** The sha256 of every artifact of a run, by path. */
function artifactsOf(run: any): Map<string, string> {
  return new Map(run.artifacts.map((a: any) => [a.path, a.sha256]));
}

describe('retention and gc', () => {
  let sb: Sandbox;
  let dir: string;

  beforeAll(async () => {
    sb = await sandbox();
    dir = gatedProject(sb, 'retained');
  });
  afterAll(() => sb.cleanup());

  it('never deletes a blob that a kept run shares, and keeps the collected run whole but for its artifacts', { timeout: TIMEOUT }, async () => {
    // Both runs write outputs f00000..f00009 with the same bytes (tag "same"), and the same shared.txt.
    for (const [name, acc] of [['keeper', 0.9], ['loser', 0.1]] as const) {
      const res = await reprise(sb, dir, ['run', '--name', name, '-p', `acc=${acc}`, '-p', 'files=10', '-p', 'tag="same"']);
      expect(res.code, res.stderr).toBe(0);
    }
    const keeper = await repriseJson(sb, dir, ['show', 'keeper']);
    const loser = await repriseJson(sb, dir, ['show', 'loser']);
    expect(loser.retention).toMatchObject({ state: 'flagged' });
    const kept = artifactsOf(keeper);
    const own = [...artifactsOf(loser)].filter(([, sha]) => ![...kept.values()].includes(sha)).map(([, sha]) => sha);
    expect(own).toEqual([artifactsOf(loser).get('model/weights.txt')]);

    // Carried to another store, the run's grace period starts over from its arrival.
    const bundle = join(sb.root, 'loser.tar.gz');
    expect((await reprise(sb, dir, ['export', 'loser', '-o', bundle])).code).toBe(0);
    const other = await sandbox();
    try {
      const before = Date.now();
      await repriseJson(other, other.root, ['import', bundle]);
      const arrived = (await repriseJson(other, other.root, ['show', loser.id])).retention;
      expect(arrived).toMatchObject({ state: 'flagged', reason: 'failed its gates: acc >= 0.8; imported' });
      expect(arrived.until).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    } finally {
      await other.cleanup();
    }

    // Not due yet: gc leaves everything.
    const early = await repriseJson(sb, dir, ['gc', '--grace', '0']);
    expect(early).toMatchObject({ runsCollected: [], blobsFreed: 0 });

    // keep, then flag by hand, then a dry run that deletes nothing.
    expect((await repriseJson(sb, dir, ['keep', 'loser'])).retention).toMatchObject({ state: 'kept', manual: true });
    const flagged = await repriseJson(sb, dir, ['flag', 'loser']);
    expect(flagged.retention).toMatchObject({ state: 'flagged', manual: true });
    expect(flagged.retention.until).toBeLessThanOrEqual(Date.now());
    const dry = await repriseJson(sb, dir, ['gc', '--dry-run', '--grace', '0']);
    expect(dry).toMatchObject({ dryRun: true, runsCollected: [{ id: loser.id, name: 'loser' }], blobsFreed: 1, blobsShared: 11 });
    expect(existsSync(blobPath(sb, own[0]!))).toBe(true);

    // Its own blob was written less than the grace period ago: kept, and the run left under way.
    const guarded = await repriseJson(sb, dir, ['gc']);
    expect(guarded).toMatchObject({ runsCollected: [{ id: loser.id }], blobsFreed: 0, blobsInUse: 1 });
    expect(existsSync(blobPath(sb, own[0]!))).toBe(true);
    expect((await repriseJson(sb, dir, ['show', 'loser'])).retention).toMatchObject({ state: 'deleted', until: null });

    const gc = await reprise(sb, dir, ['gc', '--grace', '0']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain('freed 1 blob');
    expect(gc.stdout).toContain('kept 11 blobs that runs or model versions which stay also use');
    expect(existsSync(blobPath(sb, own[0]!))).toBe(false);
    for (const sha of kept.values()) expect(existsSync(blobPath(sb, sha)), sha).toBe(true);
    // The collected run keeps its record, logs, lock and metrics; its state says what happened.
    const after = await repriseJson(sb, dir, ['show', 'loser']);
    expect(after.retention).toMatchObject({ state: 'deleted', until: expect.any(Number) });
    expect(after.metrics.acc.last).toBe(0.1);
    const logs = await reprise(sb, dir, ['logs', 'loser']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(existsSync(blobPath(sb, after.manifest.environment.resolved.lock.sha256))).toBe(true);
    const keep = await reprise(sb, dir, ['keep', 'loser']);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toContain('REPRISE_ERR_RETENTION_INVALID');

    // A second gc has nothing left to do.
    expect(await repriseJson(sb, dir, ['gc', '--grace', '0'])).toMatchObject({ runsCollected: [], blobsFreed: 0 });
  });

  // Through a server the gc runs in the server's process: killing the client does not stop it.
  it.skipIf(SERVER_MODE)('finishes on the next gc after a gc killed half way, with every kept run whole', { timeout: TIMEOUT }, async () => {
    const many = await reprise(sb, dir, ['run', '--name', 'many', '-p', 'acc=0.2', '-p', 'files=3000', '-p', 'tag="many"']);
    expect(many.code, many.stderr).toBe(0);
    const sharer = await reprise(sb, dir, ['run', '--name', 'sharer', '-p', 'acc=0.9', '-p', 'files=50', '-p', 'tag="many"']);
    expect(sharer.code, sharer.stderr).toBe(0);
    expect((await reprise(sb, dir, ['flag', 'many'])).code).toBe(0);
    const doomed = [...artifactsOf(await repriseJson(sb, dir, ['show', 'many']))].filter(([p]) => p.startsWith('outputs/') && Number(p.slice(9, 14)) >= 50);
    const keptRun = await repriseJson(sb, dir, ['show', 'sharer']);

    const child = startReprise(sb, dir, ['gc', '--grace', '0']);
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        if (/gc: [1-9]\d*\/\d+ blobs/.test(stderr)) child.kill('SIGKILL');
      });
      child.once('close', (_code, signal) => resolve(signal));
    });
    expect(await killed, `gc ended before it was killed:\n${stderr}`).toBe('SIGKILL');
    const left = doomed.filter(([, sha]) => existsSync(blobPath(sb, sha))).length;
    expect(left, 'the kill landed half way').toBeGreaterThan(0);
    expect(left).toBeLessThan(doomed.length);
    // Nothing dangles: every blob of the kept run is there.
    for (const a of keptRun.artifacts) expect(existsSync(blobPath(sb, a.sha256)), a.path).toBe(true);

    // A blob the kill caught moved aside (blobs/trash/) is put back, then decided again.
    const trash = join(sb.storeHome, 'blobs', 'trash');
    const parked = existsSync(trash) ? readdirSync(trash).length : 0;
    expect(parked).toBeLessThanOrEqual(1);

    const again = await repriseJson(sb, dir, ['gc', '--grace', '0']);
    expect(again.blobsFreed).toBe(left + parked);
    for (const [, sha] of doomed) expect(existsSync(blobPath(sb, sha))).toBe(false);
    for (const a of keptRun.artifacts) expect(existsSync(blobPath(sb, a.sha256)), a.path).toBe(true);
    expect((await repriseJson(sb, dir, ['show', 'many'])).retention.state).toBe('deleted');
    expect(existsSync(trash) ? readdirSync(trash) : []).toEqual([]);
  });
});
