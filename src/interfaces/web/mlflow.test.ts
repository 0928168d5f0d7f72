import { describe, expect, it } from 'vitest';
import { clientLinkTarget, datasetSourceText, splitClientTags } from './mlflow.js';

const RUN = '01jabcdefghjkmnpqrstvwxyz0';

describe("the MLflow client's links", () => {
  it('name a run or an experiment', () => {
    expect(clientLinkTarget(`#/experiments/3/runs/${RUN}`)).toEqual({ kind: 'run', experiment: '3', runId: RUN });
    expect(clientLinkTarget('#/experiments/0')).toEqual({ kind: 'experiment', experiment: '0' });
    expect(clientLinkTarget('#/experiments/12/')).toEqual({ kind: 'experiment', experiment: '12' });
  });

  it("ignore what MLflow's own UI adds after the run, and a query", () => {
    expect(clientLinkTarget(`#/experiments/3/runs/${RUN}/artifacts`)).toEqual({ kind: 'run', experiment: '3', runId: RUN });
    expect(clientLinkTarget(`#/experiments/3/runs/${RUN.toUpperCase()}?o=1`)).toEqual({ kind: 'run', experiment: '3', runId: RUN });
    expect(clientLinkTarget('#/experiments/3?searchFilter=x')).toEqual({ kind: 'experiment', experiment: '3' });
    expect(clientLinkTarget('#/experiments/3/traces')).toEqual({ kind: 'experiment', experiment: '3' });
    expect(clientLinkTarget('#/experiments/3/runs/')).toEqual({ kind: 'experiment', experiment: '3' });
  });

  it('leave every other hash alone', () => {
    for (const hash of ['', '#', '#/', '#/models/iris', '#/experiments/abc', '#/experiments/', '#experiments/1', '#/experiments/%zz', '#top']) {
      expect(clientLinkTarget(hash)).toBeNull();
    }
  });
});

describe("the client's tags", () => {
  it("are kept apart from the user's, each group sorted", () => {
    const { own, client } = splitClientTags({ team: 'vision', 'mlflow.user': 'bob', 'mlflow.source.name': 'train.py', alpha: '1', mlflowish: 'x' });
    expect(own).toEqual([
      ['alpha', '1'],
      ['mlflowish', 'x'],
      ['team', 'vision'],
    ]);
    expect(client).toEqual([
      ['mlflow.source.name', 'train.py'],
      ['mlflow.user', 'bob'],
    ]);
  });
});

describe("a dataset's source", () => {
  it('reads as its location when the JSON has one', () => {
    expect(datasetSourceText('{"uri": "/data/iris.csv"}')).toBe('/data/iris.csv');
    expect(datasetSourceText('{"url": "https://example.com/iris.csv"}')).toBe('https://example.com/iris.csv');
  });

  it('reads as compact JSON otherwise, or as given when it is not JSON', () => {
    expect(datasetSourceText('{ "tags": {"a": 1} }')).toBe('{"tags":{"a":1}}');
    expect(datasetSourceText('not json')).toBe('not json');
  });
});
