/**
 * `reprise models monitor`, `reprise alerts` and `reprise production` as a user types
 * them, embedded and (the `server` project) through a server's API: the defaults, a
 * change kept and shown, bad settings refused naming the option or field with nothing
 * changed, an unknown model or alert refused, and the empty overview. Serving itself and
 * the alerts it raises are test/serving/serving.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatedProject } from '../helpers/gated-project.js';
import { reprise, repriseJson, sandbox, SERVER_MODE, type CliResult, type Sandbox } from '../helpers/cli.js';

describe('reprise models monitor, alerts, production', () => {
  let sb: Sandbox;
  let dir: string;

  beforeAll(async () => {
    sb = await sandbox();
    dir = gatedProject(sb);
    const run = await reprise(sb, dir, ['run', '--name', 'good']);
    expect(run.code, run.stderr).toBe(0);
    const promoted = await reprise(sb, dir, ['promote', 'good']);
    expect(promoted.code, promoted.stderr).toBe(0);
  });
  afterAll(() => sb.cleanup());

  async function refused(args: readonly string[], code: string, message: string | RegExp): Promise<CliResult> {
    const res = await reprise(sb, dir, args);
    expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(2);
    expect(res.stderr).toContain(`(${code})`);
    if (typeof message === 'string') expect(res.stderr).toContain(message);
    else expect(res.stderr).toMatch(message);
    return res;
  }

  it('shows the default settings of a model never changed', async () => {
    const s = await repriseJson(sb, dir, ['models', 'monitor', 'clf']);
    expect(s).toEqual({
      sampleRate: 1,
      retentionMs: 30 * 86_400_000,
      windowMs: 3_600_000,
      minRows: 100,
      thresholds: { psi: 0.2, ks: 0.2, js: 0.2, errorRate: 0.05, latencyP99Ms: null, accuracy: null },
      webhooks: [],
    });
    const human = await reprise(sb, dir, ['models', 'monitor', 'clf']);
    expect(human.stdout).toContain('clf: sample 100% of requests, kept 30 days; drift windows of 60 min, scored from 100 rows');
    expect(human.stdout).toContain('p99 latency off');
  });

  it('keeps a change and shows it afterwards', async () => {
    const changed = await repriseJson(sb, dir, [
      'models', 'monitor', 'clf',
      '--sample-rate', '0.25', '--retention', '14d', '--window', '10m', '--min-rows', '40',
      '--threshold', 'psi=0.3', '--threshold', 'latencyP99Ms=50', '--threshold', 'accuracy=0.9',
      '--webhook', 'https://hooks.example.com/services/T0/B0/secret',
    ]);
    expect(changed).toMatchObject({ sampleRate: 0.25, retentionMs: 14 * 86_400_000, windowMs: 600_000, minRows: 40, thresholds: { psi: 0.3, ks: 0.2, latencyP99Ms: 50, accuracy: 0.9 } });
    const again = await repriseJson(sb, dir, ['models', 'monitor', 'clf']);
    expect(again.thresholds).toEqual(changed.thresholds);
    expect(again.webhooks).toHaveLength(1);
    const off = await repriseJson(sb, dir, ['models', 'monitor', 'clf', '--threshold', 'latencyP99Ms=off', '--no-webhooks']);
    expect(off.thresholds.latencyP99Ms).toBeNull();
    expect(off.webhooks).toEqual([]);
    expect(off.sampleRate).toBe(0.25);
  });

  it('refuses bad settings naming them, and changes nothing', async () => {
    const before = await repriseJson(sb, dir, ['models', 'monitor', 'clf']);
    await refused(['models', 'monitor', 'clf', '--sample-rate', '1.5'], 'REPRISE_ERR_ARG_INVALID', '--sample-rate "1.5": expected a share from 0 to 1');
    await refused(['models', 'monitor', 'clf', '--window', 'soon'], 'REPRISE_ERR_ARG_INVALID', 'window "soon": expected a duration');
    await refused(['models', 'monitor', 'clf', '--window', '10s', '--threshold', 'psi=-1'], 'REPRISE_ERR_ARG_INVALID', 'thresholds.psi:');
    await refused(['models', 'monitor', 'clf', '--threshold', 'drift=0.1'], 'REPRISE_ERR_ARG_INVALID', 'thresholds.drift: no such threshold');
    await refused(['models', 'monitor', 'clf', '--threshold', 'psi'], 'REPRISE_ERR_ARG_INVALID', '--threshold "psi": expected NAME=VALUE');
    await refused(['models', 'monitor', 'clf', '--webhook', 'ftp://example.com/x'], 'REPRISE_ERR_ARG_INVALID', 'webhooks.0:');
    await refused(['models', 'monitor', 'nope', '--window', '10m'], 'REPRISE_ERR_MODEL_NOT_FOUND', 'no registered model "nope"');
    expect(await repriseJson(sb, dir, ['models', 'monitor', 'clf'])).toEqual(before);
  });

  it('lists no alerts and no production model before anything is served, and refuses an unknown alert', async () => {
    expect(await repriseJson(sb, dir, ['alerts'])).toEqual([]);
    expect((await reprise(sb, dir, ['alerts', '--open'])).stdout.trim()).toBe('no open alerts');
    expect(await repriseJson(sb, dir, ['production'])).toEqual([]);
    expect((await reprise(sb, dir, ['production'])).stdout).toContain('no model is in production');
    await refused(['alerts', 'ack', '999'], 'REPRISE_ERR_ALERT_NOT_FOUND', '999');
    await refused(['alerts', 'ack', 'first'], 'REPRISE_ERR_ARG_INVALID', 'alert id "first": expected a number');
    const page = await repriseJson(sb, dir, ['production', 'clf']);
    expect(page.summary).toMatchObject({ model: 'clf', health: 'idle', openAlerts: 0 });
    // The run read no data snapshot: its reference profile, made at promotion, says so instead of scoring nothing silently.
    expect(page.reference).toMatchObject({ version: 1, features: [], target: null });
    expect(page.reference.error).toMatch(/^run good read no data snapshot \(data: in reprise.yaml\)/);
  });

  it('refuses to serve a run, a missing alias and a name without a version', async () => {
    if (SERVER_MODE) {
      // Through a server the store is not at hand: serving is the server's (--serve) or needs the store's address.
      await refused(['serve', 'clf@candidate', '--port', '0'], 'REPRISE_ERR_SERVE_REFUSED', 'reprise server --serve clf@candidate');
      return;
    }
    await refused(['serve', 'clf@nope', '--port', '0'], 'REPRISE_ERR_MODEL_NOT_FOUND', 'clf@nope');
    await refused(['serve', 'clf', '--port', '0'], 'REPRISE_ERR_ARG_INVALID', 'name a model version as NAME@ALIAS');
    await refused(['serve', 'good', '--port', '0'], 'REPRISE_ERR_ARG_INVALID', 'good is a run; serve the model version it became: clf@1');
  });
});
