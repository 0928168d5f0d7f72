import { describe, expect, it } from 'vitest';
import { RepriseError } from '../errors.js';
import {
  compileEntityFilter,
  compileEntityOrder,
  EXPERIMENT_SEARCH,
  LOGGED_MODEL_SEARCH,
  MODEL_VERSION_SEARCH,
  REGISTERED_MODEL_SEARCH,
  type EntitySearchSchema,
  type SearchableEntity,
} from './entity-search.js';
import { thrown } from '../../../test/helpers/errors.js';

type Named = SearchableEntity & { readonly id: string };

function entity(id: string, attrs: SearchableEntity['attrs'], tags: SearchableEntity['tags'] = {}): Named {
  return { id, attrs, tags };
}

/** The ids of the entities a filter keeps, in the order given. */
function kept(list: readonly Named[], filter: string, schema: EntitySearchSchema): string[] {
  const keep = compileEntityFilter(filter, schema);
  return list.filter(keep).map((e) => e.id);
}

/** The ids in the order an order_by and tiebreak give. */
function sorted(list: readonly Named[], orderBy: string[], schema: EntitySearchSchema, tiebreak: { key: string; desc: boolean }[]): string[] {
  return [...list].sort(compileEntityOrder(orderBy, schema, tiebreak)).map((e) => e.id);
}

function filterError(filter: string, schema: EntitySearchSchema, position: number, token: string): RepriseError {
  const e = thrown(() => compileEntityFilter(filter, schema));
  expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
  expect(e.details).toEqual({ filter, position, token });
  const [first, quoted, carets] = e.message.split('\n');
  expect(first).toContain(`at column ${position + 1};`);
  expect(quoted).toBe(`  ${filter}`);
  expect(carets).toBe(`  ${' '.repeat(position)}${'^'.repeat(Math.max(1, token.length))}`);
  return e;
}

function orderError(orderBy: string[], schema: EntitySearchSchema, entry: number, position: number, token: string): RepriseError {
  const e = thrown(() => compileEntityOrder(orderBy, schema, []));
  expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
  expect(e.details).toEqual({ orderBy: orderBy[entry], position, token });
  const [, quoted, carets] = e.message.split('\n');
  expect(quoted).toBe(`  ${orderBy[entry]}`);
  expect(carets).toBe(`  ${' '.repeat(position)}${'^'.repeat(Math.max(1, token.length))}`);
  return e;
}

describe('experiments', () => {
  const experiments = [
    entity('0', { experiment_id: 0, name: 'Default', creation_time: 100, last_update_time: 900 }),
    entity('1', { experiment_id: 1, name: 'mnist', creation_time: 300, last_update_time: 300 }, { team: 'vision' }),
    entity('2', { experiment_id: 2, name: 'MNIST-big', creation_time: 300, last_update_time: 500 }, { team: 'Vision', owner: 'ada' }),
    entity('10', { experiment_id: 10, name: 'cifar_10', creation_time: 200, last_update_time: 200 }),
  ];

  it('matches everything with a blank filter', () => {
    expect(kept(experiments, '', EXPERIMENT_SEARCH)).toEqual(['0', '1', '2', '10']);
    expect(kept(experiments, '   ', EXPERIMENT_SEARCH)).toEqual(['0', '1', '2', '10']);
  });

  it('compares names as text: =, !=, LIKE letter for letter and ILIKE ignoring case', () => {
    expect(kept(experiments, "name = 'mnist'", EXPERIMENT_SEARCH)).toEqual(['1']);
    expect(kept(experiments, "name != 'mnist'", EXPERIMENT_SEARCH)).toEqual(['0', '2', '10']);
    expect(kept(experiments, "name LIKE 'mnist%'", EXPERIMENT_SEARCH)).toEqual(['1']);
    expect(kept(experiments, "name ILIKE 'mnist%'", EXPERIMENT_SEARCH)).toEqual(['1', '2']);
    expect(kept(experiments, "name like '%_10'", EXPERIMENT_SEARCH)).toEqual(['10']);
    // Patterns are anchored at both ends, and other characters are not special.
    expect(kept(experiments, "name LIKE 'mnis'", EXPERIMENT_SEARCH)).toEqual([]);
    expect(kept(experiments, "name LIKE 'cifar.10'", EXPERIMENT_SEARCH)).toEqual([]);
    expect(kept(experiments, "name LIKE 'MNIST_big'", EXPERIMENT_SEARCH)).toEqual(['2']);
  });

  it('compares creation_time and last_update_time as numbers', () => {
    expect(kept(experiments, 'creation_time >= 300', EXPERIMENT_SEARCH)).toEqual(['1', '2']);
    expect(kept(experiments, 'creation_time < 300 AND last_update_time > 500', EXPERIMENT_SEARCH)).toEqual(['0']);
    expect(kept(experiments, 'last_update_time = 200', EXPERIMENT_SEARCH)).toEqual(['10']);
    expect(kept(experiments, 'last_update_time != 200', EXPERIMENT_SEARCH)).toEqual(['0', '1', '2']);
    expect(kept(experiments, 'attributes.creation_time <= 100', EXPERIMENT_SEARCH)).toEqual(['0']);
  });

  it('filters on tags, with != also matching experiments without the tag', () => {
    expect(kept(experiments, "tags.team = 'vision'", EXPERIMENT_SEARCH)).toEqual(['1']);
    expect(kept(experiments, "tags.team != 'vision'", EXPERIMENT_SEARCH)).toEqual(['0', '2', '10']);
    expect(kept(experiments, "tags.team ILIKE 'VIS%'", EXPERIMENT_SEARCH)).toEqual(['1', '2']);
    expect(kept(experiments, "tags.team LIKE '%'", EXPERIMENT_SEARCH)).toEqual(['1', '2']);
    expect(kept(experiments, "tags.`owner` = 'ada' and tags.team LIKE 'V%'", EXPERIMENT_SEARCH)).toEqual(['2']);
    // A key that is also an object's own property name is just a key.
    expect(kept(experiments, "tags.constructor != 'x'", EXPERIMENT_SEARCH)).toEqual(['0', '1', '2', '10']);
    expect(kept(experiments, "tags.constructor LIKE '%'", EXPERIMENT_SEARCH)).toEqual([]);
  });

  it('orders by each orderable key, then by the tiebreak, whatever order the list came in', () => {
    const tiebreak = [{ key: 'experiment_id', desc: false }];
    // Ids order as numbers: 2 before 10.
    expect(sorted(experiments, ['experiment_id'], EXPERIMENT_SEARCH, [])).toEqual(['0', '1', '2', '10']);
    expect(sorted(experiments, ['experiment_id DESC'], EXPERIMENT_SEARCH, [])).toEqual(['10', '2', '1', '0']);
    expect(sorted(experiments, ['name'], EXPERIMENT_SEARCH, tiebreak)).toEqual(['0', '2', '10', '1']);
    expect(sorted(experiments, ['last_update_time DESC'], EXPERIMENT_SEARCH, tiebreak)).toEqual(['0', '2', '1', '10']);
    for (const list of [experiments, [...experiments].reverse()]) {
      expect(sorted(list, ['creation_time DESC'], EXPERIMENT_SEARCH, tiebreak)).toEqual(['1', '2', '10', '0']);
      expect(sorted(list, ['creation_time'], EXPERIMENT_SEARCH, [{ key: 'experiment_id', desc: true }])).toEqual(['0', '10', '2', '1']);
      expect(sorted(list, [], EXPERIMENT_SEARCH, [{ key: 'creation_time', desc: true }, ...tiebreak])).toEqual(['1', '2', '10', '0']);
    }
  });

  it('names the token at fault', () => {
    expect(filterError("experiment_id = '1'", EXPERIMENT_SEARCH, 0, 'experiment_id').message).toContain(
      'unknown attribute "experiment_id" of experiments at column 1; expected one of name, creation_time, last_update_time, or tags.<key>',
    );
    expect(filterError("params.x = '1'", EXPERIMENT_SEARCH, 0, 'params.x').message).toContain('unknown field "params.x"');
    expect(filterError("creation_time > '5'", EXPERIMENT_SEARCH, 16, "'5'").message).toContain('creation_time is a number');
    expect(filterError('name = 5', EXPERIMENT_SEARCH, 7, '5').message).toContain('compared with text');
    expect(filterError("name < 'b'", EXPERIMENT_SEARCH, 5, '<').message).toContain('< does not apply to name');
    expect(filterError("name IN ('a')", EXPERIMENT_SEARCH, 5, 'IN').message).toContain('IN does not apply to name');
    expect(filterError('creation_time LIKE 5', EXPERIMENT_SEARCH, 14, 'LIKE').message).toContain('one of =, !=, <, <=, >, >=');
    expect(filterError("tags.a < 'b'", EXPERIMENT_SEARCH, 7, '<').message).toContain('< does not apply to tags.a');
    expect(filterError("name = 'a' OR name = 'b'", EXPERIMENT_SEARCH, 11, 'OR').message).toContain('OR is not supported');
    expect(orderError(['name', 'tags.x'], EXPERIMENT_SEARCH, 1, 0, 'tags.x').message).toContain(
      'experiments cannot be ordered by "tags.x" at column 1; expected one of name, experiment_id, creation_time, last_update_time',
    );
    expect(orderError(['name', 'name DESC'], EXPERIMENT_SEARCH, 1, 0, 'name').message).toContain('duplicate order_by field "name"');
    expect(orderError(['name up'], EXPERIMENT_SEARCH, 0, 5, 'up').message).toContain('expected ASC, DESC or the end');
  });
});

describe('registered models', () => {
  const models = [
    entity('churn', { name: 'churn', creation_timestamp: 1, last_updated_timestamp: 50 }),
    entity('prompt', { name: 'prompt', creation_timestamp: 2, last_updated_timestamp: 10 }, { 'mlflow.prompt.is_prompt': 'true' }),
    entity('Ranker', { name: 'Ranker', creation_timestamp: 3, last_updated_timestamp: 50 }, { 'mlflow.prompt.is_prompt': 'false', team: 'search' }),
    entity('ads', { name: 'ads', creation_timestamp: 4, last_updated_timestamp: 30 }, { team: 'ads' }),
  ];
  /** What MlflowClient.search_registered_models always appends. */
  const NOT_PROMPT = "tag.`mlflow.prompt.is_prompt` != 'true'";

  it("keeps models without the prompt tag under the client's prompt filter, alone or after a user's", () => {
    expect(kept(models, NOT_PROMPT, REGISTERED_MODEL_SEARCH)).toEqual(['churn', 'Ranker', 'ads']);
    expect(kept(models, `name LIKE '%R%' AND ${NOT_PROMPT}`, REGISTERED_MODEL_SEARCH)).toEqual(['Ranker']);
    expect(kept(models, `name ILIKE '%R%' AND ${NOT_PROMPT}`, REGISTERED_MODEL_SEARCH)).toEqual(['churn', 'Ranker']);
    expect(kept(models, "tags.`mlflow.prompt.is_prompt` = 'true'", REGISTERED_MODEL_SEARCH)).toEqual(['prompt']);
  });

  it('filters on name and on tags written tags. or tag.', () => {
    expect(kept(models, "name = 'ads'", REGISTERED_MODEL_SEARCH)).toEqual(['ads']);
    expect(kept(models, 'name != "ads"', REGISTERED_MODEL_SEARCH)).toEqual(['churn', 'prompt', 'Ranker']);
    expect(kept(models, "tags.team = 'search'", REGISTERED_MODEL_SEARCH)).toEqual(['Ranker']);
    expect(kept(models, "tag.team LIKE 'a%'", REGISTERED_MODEL_SEARCH)).toEqual(['ads']);
  });

  it('orders by name, and by timestamp or last_updated_timestamp (both the last update), ties broken by name', () => {
    const byName = [{ key: 'name', desc: false }];
    expect(sorted(models, ['name'], REGISTERED_MODEL_SEARCH, [])).toEqual(['Ranker', 'ads', 'churn', 'prompt']);
    expect(sorted(models, ['name DESC'], REGISTERED_MODEL_SEARCH, [])).toEqual(['prompt', 'churn', 'ads', 'Ranker']);
    for (const list of [models, [...models].reverse()]) {
      expect(sorted(list, ['timestamp DESC'], REGISTERED_MODEL_SEARCH, byName)).toEqual(['Ranker', 'churn', 'ads', 'prompt']);
      expect(sorted(list, ['last_updated_timestamp'], REGISTERED_MODEL_SEARCH, byName)).toEqual(['prompt', 'ads', 'Ranker', 'churn']);
    }
    expect(orderError(['timestamp', 'last_updated_timestamp'], REGISTERED_MODEL_SEARCH, 1, 0, 'last_updated_timestamp').message).toContain('duplicate');
  });

  it('cuts the same pages from the sorted list whatever order it came in', () => {
    const many = Array.from({ length: 30 }, (_, i) => entity(`m${String(i).padStart(2, '0')}`, { name: `m${String(i).padStart(2, '0')}`, last_updated_timestamp: i % 3 }));
    const order = (list: Named[]): string[] => sorted(list, ['timestamp DESC'], REGISTERED_MODEL_SEARCH, [{ key: 'name', desc: false }]);
    const shuffled = [...many].sort((a, b) => ((a.id.charCodeAt(2) * 7) % 10) - ((b.id.charCodeAt(2) * 7) % 10));
    const pages = (ids: string[]): string[][] => [ids.slice(0, 10), ids.slice(10, 20), ids.slice(20)];
    expect(pages(order(shuffled))).toEqual(pages(order(many)));
    expect(order(many).slice(0, 3)).toEqual(['m02', 'm05', 'm08']);
  });

  it('names the token at fault', () => {
    expect(filterError("run_id = 'x'", REGISTERED_MODEL_SEARCH, 0, 'run_id').message).toContain('unknown attribute "run_id" of registered models');
    expect(filterError("name ILIKE 'a", REGISTERED_MODEL_SEARCH, 11, "'").message).toContain('unterminated string');
    expect(orderError(['version_number'], REGISTERED_MODEL_SEARCH, 0, 0, 'version_number').message).toContain(
      'registered models cannot be ordered by "version_number"',
    );
  });
});

describe('model versions', () => {
  const versions = [
    entity('churn/1', { name: 'churn', version_number: 1, run_id: 'r1', source_path: 'mlflow-artifacts:/1/r1/artifacts/model', creation_timestamp: 10, last_updated_timestamp: 40 }),
    entity('churn/2', { name: 'churn', version_number: 2, run_id: 'r2', source_path: 'models:/m-abc', creation_timestamp: 20, last_updated_timestamp: 20 }, { stage: 'prod' }),
    entity('churn/10', { name: 'churn', version_number: 10, run_id: null, source_path: 'runs:/r3/model', creation_timestamp: 30, last_updated_timestamp: 30 }),
    entity('ads/1', { name: 'ads', version_number: 1, run_id: 'r4', source_path: 'runs:/r4/model', creation_timestamp: 40, last_updated_timestamp: 40 }),
  ];

  it('filters on name, run_id (also IN and NOT IN), source_path and version_number', () => {
    expect(kept(versions, "name = 'churn'", MODEL_VERSION_SEARCH)).toEqual(['churn/1', 'churn/2', 'churn/10']);
    expect(kept(versions, "run_id = 'r2'", MODEL_VERSION_SEARCH)).toEqual(['churn/2']);
    expect(kept(versions, "run_id IN ('r1', 'r4', 'r9')", MODEL_VERSION_SEARCH)).toEqual(['churn/1', 'ads/1']);
    // A version without a run matches no condition on run_id.
    expect(kept(versions, "run_id NOT IN ('r1')", MODEL_VERSION_SEARCH)).toEqual(['churn/2', 'ads/1']);
    expect(kept(versions, "run_id != 'r1'", MODEL_VERSION_SEARCH)).toEqual(['churn/2', 'ads/1']);
    expect(kept(versions, "source_path LIKE 'runs:/%'", MODEL_VERSION_SEARCH)).toEqual(['churn/10', 'ads/1']);
    expect(kept(versions, "name = 'churn' and version_number >= 2", MODEL_VERSION_SEARCH)).toEqual(['churn/2', 'churn/10']);
    expect(kept(versions, 'version_number = 1', MODEL_VERSION_SEARCH)).toEqual(['churn/1', 'ads/1']);
    expect(kept(versions, "tags.stage = 'prod'", MODEL_VERSION_SEARCH)).toEqual(['churn/2']);
    expect(kept(versions, "tags.stage != 'prod'", MODEL_VERSION_SEARCH)).toEqual(['churn/1', 'churn/10', 'ads/1']);
  });

  it('reads a version number given as text as a number', () => {
    const asText = [entity('x/3', { name: 'x', version_number: '3' }), entity('x/12', { name: 'x', version_number: '12' }), entity('x/?', { name: 'x', version_number: '' })];
    expect(kept(asText, 'version_number > 5', MODEL_VERSION_SEARCH)).toEqual(['x/12']);
    expect(kept(asText, 'version_number != 5', MODEL_VERSION_SEARCH)).toEqual(['x/3', 'x/12']);
  });

  it("orders by name then version number descending (MLflow's default), and by the timestamps", () => {
    const defaults = ['name ASC', 'version_number DESC'];
    expect(sorted(versions, defaults, MODEL_VERSION_SEARCH, [])).toEqual(['ads/1', 'churn/10', 'churn/2', 'churn/1']);
    expect(sorted([...versions].reverse(), defaults, MODEL_VERSION_SEARCH, [])).toEqual(['ads/1', 'churn/10', 'churn/2', 'churn/1']);
    const tiebreak = [{ key: 'name', desc: false }, { key: 'version_number', desc: true }];
    expect(sorted(versions, ['creation_timestamp DESC'], MODEL_VERSION_SEARCH, tiebreak)).toEqual(['ads/1', 'churn/10', 'churn/2', 'churn/1']);
    expect(sorted(versions, ['last_updated_timestamp'], MODEL_VERSION_SEARCH, tiebreak)).toEqual(['churn/2', 'churn/10', 'ads/1', 'churn/1']);
  });

  it('puts entries lacking the ordered value last in either direction', () => {
    const list = [entity('a', { name: 'a', version_number: null }), entity('b', { name: 'b', version_number: 2 }), entity('c', { name: 'c', version_number: 1 })];
    expect(sorted(list, ['version_number'], MODEL_VERSION_SEARCH, [])).toEqual(['c', 'b', 'a']);
    expect(sorted(list, ['version_number DESC'], MODEL_VERSION_SEARCH, [])).toEqual(['b', 'c', 'a']);
  });

  it('names the token at fault', () => {
    expect(filterError("version_number = '1'", MODEL_VERSION_SEARCH, 17, "'1'").message).toContain('version_number is a number');
    expect(filterError("name IN ('churn')", MODEL_VERSION_SEARCH, 5, 'IN').message).toContain('IN does not apply to name');
    expect(filterError("source_path NOT IN ('x')", MODEL_VERSION_SEARCH, 12, 'NOT IN').message).toContain('one of =, !=, LIKE, ILIKE');
    expect(filterError("run_id IN ('r1', 2)", MODEL_VERSION_SEARCH, 17, '2').message).toContain('compared with text');
    expect(filterError("version = '1'", MODEL_VERSION_SEARCH, 0, 'version').message).toContain('unknown attribute "version" of model versions');
    expect(orderError(['name', 'version_number', 'name DESC'], MODEL_VERSION_SEARCH, 2, 0, 'name').message).toContain('order_by[2]: duplicate');
    expect(orderError(['source_path'], MODEL_VERSION_SEARCH, 0, 0, 'source_path').message).toContain('cannot be ordered by');
  });
});

describe('logged models', () => {
  const models = [
    entity('m1', { name: 'model', model_id: 'm-1', model_type: null, status: 'LOGGED_MODEL_READY', source_run_id: 'r1', creation_timestamp: 10, last_updated_timestamp: 30 }),
    entity('m2', { name: 'model', model_id: 'm-2', model_type: 'sklearn', status: 'LOGGED_MODEL_PENDING', source_run_id: 'r2', creation_timestamp: 20, last_updated_timestamp: 20 }),
    entity('m3', { name: 'clf', model_id: 'm-3', model_type: null, status: 'LOGGED_MODEL_READY', source_run_id: 'r1', creation_timestamp: 30, last_updated_timestamp: 40 }, { k: 'v' }),
  ];

  it("finds a run's model by the artifact path the client names it by", () => {
    expect(kept(models, "name = 'model'", LOGGED_MODEL_SEARCH)).toEqual(['m1', 'm2']);
    expect(kept(models, "name = 'model' AND source_run_id = 'r1'", LOGGED_MODEL_SEARCH)).toEqual(['m1']);
    expect(kept(models, "source_run_id IN ('r2', 'r9') ", LOGGED_MODEL_SEARCH)).toEqual(['m2']);
    expect(kept(models, "status = 'LOGGED_MODEL_READY' AND creation_timestamp > 15", LOGGED_MODEL_SEARCH)).toEqual(['m3']);
    expect(kept(models, "tags.k = 'v'", LOGGED_MODEL_SEARCH)).toEqual(['m3']);
    // A model without a type matches no comparison of it.
    expect(kept(models, "model_type != 'sklearn'", LOGGED_MODEL_SEARCH)).toEqual([]);
  });

  it('orders newest first by default, or by a field either way', () => {
    const newest = [{ key: 'creation_timestamp', desc: true }];
    expect(sorted(models, [], LOGGED_MODEL_SEARCH, newest)).toEqual(['m3', 'm2', 'm1']);
    expect(sorted(models, ['last_updated_time ASC'], LOGGED_MODEL_SEARCH, newest)).toEqual(['m2', 'm1', 'm3']);
    expect(sorted(models, ['name DESC'], LOGGED_MODEL_SEARCH, newest)).toEqual(['m2', 'm1', 'm3']);
  });

  it('names an attribute logged models do not have', () => {
    expect(thrown(() => compileEntityFilter("artifact_uri = 'x'", LOGGED_MODEL_SEARCH)).code).toBe('REPRISE_ERR_FILTER_INVALID');
  });
});
