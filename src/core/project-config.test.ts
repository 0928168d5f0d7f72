import { describe, expect, it } from 'vitest';
import { RepriseError } from './errors.js';
import { parseProjectConfig, type ConfigProblem } from './project-config.js';

/** Lines joined with newlines, so line numbers in a fixture are easy to count. */
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function rejection(text: string): RepriseError & { details: { file: string; problems: ConfigProblem[] } } {
  try {
    parseProjectConfig(text);
  } catch (e) {
    expect(e).toBeInstanceOf(RepriseError);
    return e as RepriseError & { details: { file: string; problems: ConfigProblem[] } };
  }
  throw new Error('expected the config to be rejected');
}

const MINIMAL_STAGES = ['stages:', '  - name: train', '    cmd: python train.py'];

const problemsOf = (text: string): ConfigProblem[] => rejection(text).details.problems;

describe('parseProjectConfig: valid files', () => {
  it('reads every supported key', () => {
    const cfg = parseProjectConfig(
      yaml(
        'name: mnist-demo',
        'params: params.yaml',
        'seed: 42',
        'env:',
        '  python: "3.11"',
        '  requirements:',
        '    - requirements.txt',
        '    - dev/requirements.txt',
        'stages:',
        '  - name: prepare',
        '    cmd: python prepare.py',
        '  - name: train',
        '    cmd: python train.py --epochs 2',
        '    env:',
        '      CUDA_VISIBLE_DEVICES: "0"',
        'outputs:',
        '  - out/',
        '  - reports/summary.json',
        'model:',
        '  path: out/model',
        '  name: mnist-cnn',
      ),
    );
    expect(cfg).toEqual({
      name: 'mnist-demo',
      params: 'params.yaml',
      seed: 42,
      env: { python: '3.11', requirements: ['requirements.txt', 'dev/requirements.txt'] },
      stages: [
        { name: 'prepare', cmd: 'python prepare.py' },
        { name: 'train', cmd: 'python train.py --epochs 2', env: { CUDA_VISIBLE_DEVICES: '0' } },
      ],
      outputs: ['out/', 'reports/summary.json'],
      model: { path: 'out/model', name: 'mnist-cnn' },
    });
  });

  it('needs nothing but stages', () => {
    expect(parseProjectConfig(yaml(...MINIMAL_STAGES))).toEqual({ stages: [{ name: 'train', cmd: 'python train.py' }] });
  });
});

describe('parseProjectConfig: unknown keys', () => {
  it('rejects an unknown top-level key with its line and the allowed keys', () => {
    const e = rejection(yaml('name: demo', ...MINIMAL_STAGES, 'bogus: 1'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.message).toContain('reprise.yaml:5: bogus: unknown key "bogus"');
    expect(e.message).toContain('allowed: name, params, seed, env, stages, outputs, model');
    expect(e.details.problems).toEqual([{ key: 'bogus', line: 5, message: expect.stringContaining('unknown key "bogus"') }]);
  });

  it('rejects an unknown stage key with its line and the keys a stage allows', () => {
    const e = rejection(
      yaml('stages:', '  - name: prep', '    cmd: a', '  - name: train', '    cmd: python train.py', '    gpu: true'),
    );
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.message).toContain('reprise.yaml:6: stages[1].gpu: unknown key "gpu"');
    expect(e.message).toContain('allowed: name, cmd, env)');
    expect(e.details.problems).toEqual([{ key: 'stages[1].gpu', line: 6, message: expect.any(String) }]);
  });

  it('rejects an unknown key inside env with the keys env allows', () => {
    const e = rejection(yaml('env:', '  python: "3.11"', '  conda: x', ...MINIMAL_STAGES));
    expect(e.message).toContain('reprise.yaml:3: env.conda: unknown key "conda" (allowed: python, requirements, system, index_url, extra_index_url, find_links, no_index)');
    expect(e.details.problems[0]).toMatchObject({ key: 'env.conda', line: 3 });
  });
});

describe('parseProjectConfig: invalid values', () => {
  it('says a stage is missing its cmd, on the line of that stage', () => {
    const e = rejection(yaml('stages:', '  - name: prep', '    cmd: a', '  - name: train'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.message).toContain('missing required key "cmd"');
    expect(e.message).toContain('reprise.yaml:4: stages[1].cmd');
    expect(e.details.problems).toEqual([{ key: 'stages[1].cmd', line: 4, message: 'missing required key "cmd"' }]);
  });

  it('says stages are missing from a file without them', () => {
    const e = rejection(yaml('name: demo'));
    expect(e.details.problems).toEqual([{ key: 'stages', line: 1, message: 'missing required key "stages"' }]);
  });

  it('locates a value of the wrong type', () => {
    const e = rejection(yaml('name: demo', 'seed: abc', ...MINIMAL_STAGES));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.message).toContain('reprise.yaml:2: seed: expected number');
    expect(e.details.problems).toEqual([{ key: 'seed', line: 2, message: expect.stringContaining('expected number') }]);
  });

  it('names the value of the wrong type it got', () => {
    const e = rejection(yaml('seed: abc', ...MINIMAL_STAGES));
    expect(e.details.problems[0]?.message).toBe('expected number, got string "abc"');
  });

  it('rejects a seed that is not a whole number', () => {
    const e = rejection(yaml('seed: 1.5', ...MINIMAL_STAGES));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.details.problems).toEqual([{ key: 'seed', line: 1, message: expect.any(String) }]);
  });

  it('explains why a fractional seed is refused', () => {
    const e = rejection(yaml('seed: 1.5', ...MINIMAL_STAGES));
    expect(e.details.problems[0]?.message).toMatch(/whole number|1\.5/);
    expect(e.details.problems[0]?.message).not.toContain('undefined');
  });

  it('rejects two stages with the same name, pointing at the second', () => {
    const e = rejection(yaml('stages:', '  - name: train', '    cmd: a', '  - name: train', '    cmd: b'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.details.problems).toEqual([{ key: 'stages[1].name', line: 4, message: 'duplicates the name of stages[0]' }]);
  });

  it('rejects an empty list of stages', () => {
    const e = rejection(yaml('name: demo', 'stages: []'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.details.problems).toEqual([{ key: 'stages', line: 2, message: 'must list at least one stage' }]);
  });

  it('rejects params and outputs paths that leave the project', () => {
    const e = rejection(
      yaml('params: ../params.yaml', ...MINIMAL_STAGES, 'outputs:', '  - out/', '  - /etc/passwd', '  - a/../../b', '  - ok/..x'),
    );
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    const message = 'must be a relative path inside the project (no leading "/" and no "..")';
    expect(e.details.problems).toEqual([
      { key: 'params', line: 1, message },
      { key: 'outputs[1]', line: 7, message },
      { key: 'outputs[2]', line: 8, message },
    ]);
    // Every problem is listed in the message, each with its own line.
    expect(e.message).toContain('reprise.yaml:1: params:');
    expect(e.message).toContain('reprise.yaml:7: outputs[1]:');
    expect(e.message).toContain('reprise.yaml:8: outputs[2]:');
  });

  it('reads reproduce rules, and names a bad tolerance and an unknown rule by key and line', () => {
    const cfg = parseProjectConfig(yaml(...MINIMAL_STAGES, 'reproduce:', '  tolerance: { val_loss: 1.0e-6 }', '  ignore: [duration, "outputs/*.log"]'));
    expect(cfg.reproduce).toEqual({ tolerance: { val_loss: 1e-6 }, ignore: ['duration', 'outputs/*.log'] });
    const bad = rejection(yaml(...MINIMAL_STAGES, 'reproduce:', '  tolerance:', '    val_loss: -1', '  skip: [x]'));
    expect(bad.details.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'reproduce.tolerance.val_loss', line: 6, message: expect.stringContaining('0 or more') }),
        expect.objectContaining({ key: 'reproduce.skip', line: 7, message: expect.stringContaining('allowed: tolerance, ignore') }),
      ]),
    );
  });

  it('rejects a file that is not a mapping', () => {
    const e = rejection(yaml('- train', '- test'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.details.problems[0]).toMatchObject({ line: 1 });
  });

  it('reads data queries and sources, and names an unknown source, a bad as_of and clashing names by key and line', () => {
    const ok = parseProjectConfig(
      'stages: [{ name: a, cmd: x }]\nsources:\n  wh: { kind: postgres, url_env: WH_URL, time_column: ingested_at }\ndata:\n  train: { query: SELECT 1 FROM t, as_of: submit }\n  events: { source: wh, query: SELECT 1 FROM e, as_of: 2026-11-01T00:00:00Z, format: csv }\n',
    );
    expect(ok.data?.events).toEqual({ source: 'wh', query: 'SELECT 1 FROM e', as_of: '2026-11-01T00:00:00Z', format: 'csv' });
    expect(ok.sources?.wh?.time_column).toBe('ingested_at');
    const bad = problemsOf(
      'stages: [{ name: a, cmd: x }]\ndata:\n  train: { source: nowhere, query: SELECT 1 }\n  Train: { query: SELECT 2, as_of: last tuesday }',
    );
    expect(bad).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'data.train.source', line: 3, message: expect.stringContaining('unknown source "nowhere" (known: lake)') }),
        expect.objectContaining({ key: 'data.Train', message: expect.stringContaining('only in case') }),
        expect.objectContaining({ key: 'data.Train.as_of', line: 4, message: expect.stringContaining('"submit" or an ISO 8601 time') }),
      ]),
    );
    expect(problemsOf('stages: [{ name: a, cmd: x }]\ndata:\n  x: { query: SELECT 3, format: xlsx }\n')[0]).toMatchObject({ key: 'data.x.format', line: 3 });
    expect(problemsOf('stages: [{ name: a, cmd: x }]\nsources:\n  wh: { kind: postgres, time_column: t }\n')[0]?.message).toContain('exactly one of url and url_env');
  });

  it('uses the file name it is given in messages', () => {
    try {
      parseProjectConfig(yaml('bogus: 1', ...MINIMAL_STAGES), 'sub/reprise.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as RepriseError).message).toContain('sub/reprise.yaml:1: bogus');
      expect((e as RepriseError).details).toMatchObject({ file: 'sub/reprise.yaml' });
    }
  });
});

describe('parseProjectConfig: YAML syntax', () => {
  it('reports a syntax error as REPRISE_ERR_CONFIG_SYNTAX', () => {
    const e = rejection(yaml('name: x', 'stages:', '  - name: a', '   cmd: b'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_SYNTAX');
    expect(e.message).toContain('reprise.yaml is not valid YAML');
    expect(e.details.problems.length).toBeGreaterThan(0);
  });

  it('reports a duplicated key as a syntax error', () => {
    const e = rejection(yaml('name: x', 'name: y', ...MINIMAL_STAGES));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_SYNTAX');
    expect(e.message).toContain('Map keys must be unique');
  });

  it('gives the line of a syntax error', () => {
    const indent = rejection(yaml('name: x', 'stages:', '  - name: a', '   cmd: b'));
    expect(indent.details.problems[0]?.line).toBe(4);
    expect(indent.message).toContain('reprise.yaml:4:');
    const dup = rejection(yaml('name: x', 'name: y', ...MINIMAL_STAGES));
    expect(dup.details.problems[0]?.line).toBe(2);
  });
});

describe('parseProjectConfig: gates and retention', () => {
  it('reads gates, the aggregate defaulting to last', () => {
    const cfg = parseProjectConfig(
      yaml(...MINIMAL_STAGES, 'gates:', '  - { metric: val_acc, op: ">=", value: 0.9 }', '  - metric: val_loss', '    op: "<="', '    value: 0.4', '    agg: min'),
    );
    expect(cfg.gates).toEqual([
      { metric: 'val_acc', op: '>=', value: 0.9, agg: 'last' },
      { metric: 'val_loss', op: '<=', value: 0.4, agg: 'min' },
    ]);
  });

  it('reads every gate operator', () => {
    const ops = ['>=', '>', '<=', '<', '=='];
    const cfg = parseProjectConfig(yaml(...MINIMAL_STAGES, 'gates:', ...ops.map((op) => `  - { metric: m, op: "${op}", value: 1 }`)));
    expect(cfg.gates?.map((g) => g.op)).toEqual(ops);
  });

  it('names a bad operator by key and line, listing the operators', () => {
    const e = rejection(yaml(...MINIMAL_STAGES, 'gates:', '  - { metric: acc, op: ">=", value: 0.9 }', '  - metric: loss', '    op: "=<"', '    value: 0.4'));
    expect(e.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(e.details.problems).toEqual([{ key: 'gates[1].op', line: 7, message: expect.stringContaining('>= > <= < ==') }]);
    expect(e.message).toContain('reprise.yaml:7: gates[1].op:');
  });

  it('names a bad aggregate by key and line, listing the aggregates', () => {
    const e = rejection(yaml(...MINIMAL_STAGES, 'gates:', '  - metric: loss', '    op: "<"', '    value: 1', '    agg: mean'));
    expect(e.details.problems).toEqual([{ key: 'gates[0].agg', line: 8, message: expect.stringContaining('last, min, max') }]);
    expect(e.message).toContain('reprise.yaml:8: gates[0].agg:');
  });

  it('names a gate missing its value, on the line of that gate', () => {
    const e = rejection(yaml(...MINIMAL_STAGES, 'gates:', '  - metric: loss', '    op: "<"'));
    expect(e.details.problems).toEqual([{ key: 'gates[0].value', line: 5, message: 'missing required key "value"' }]);
    expect(e.message).toContain('reprise.yaml:5: gates[0].value');
  });

  it('refuses a value that is not a number', () => {
    const e = rejection(yaml(...MINIMAL_STAGES, 'gates:', '  - { metric: loss, op: "<", value: high }'));
    expect(e.details.problems).toEqual([{ key: 'gates[0].value', line: 5, message: expect.stringContaining('expected number') }]);
  });

  it('names an unknown key inside a gate, with the keys a gate allows', () => {
    const e = rejection(yaml(...MINIMAL_STAGES, 'gates:', '  - metric: loss', '    op: "<"', '    value: 1', '    threshold: 2'));
    expect(e.details.problems).toEqual([{ key: 'gates[0].threshold', line: 8, message: expect.stringContaining('unknown key "threshold"') }]);
    expect(e.message).toContain('reprise.yaml:8: gates[0].threshold: unknown key "threshold" (allowed: metric, op, value, agg)');
  });

  it('reads retention.failed as a duration', () => {
    expect(parseProjectConfig(yaml(...MINIMAL_STAGES, 'retention: { failed: 7d }')).retention).toEqual({ failed: '7d' });
    expect(parseProjectConfig(yaml(...MINIMAL_STAGES, 'retention:', '  failed: "0"')).retention).toEqual({ failed: '0' });
  });

  it('names a retention that is not a duration, and an unknown retention key', () => {
    const bad = rejection(yaml(...MINIMAL_STAGES, 'retention: { failed: 7x }'));
    expect(bad.code).toBe('REPRISE_ERR_CONFIG_INVALID');
    expect(bad.details.problems).toEqual([{ key: 'retention.failed', line: 4, message: 'must be a duration like 7d, 12h or 0' }]);
    expect(bad.message).toContain('reprise.yaml:4: retention.failed:');
    const unknown = rejection(yaml(...MINIMAL_STAGES, 'retention:', '  failed: 7d', '  kept: 30d'));
    expect(unknown.details.problems).toEqual([{ key: 'retention.kept', line: 6, message: 'unknown key "kept" (allowed: failed)' }]);
  });
});
