/**
 * Runs as a runner would report them to the API, built on the store contract's fixture
 * (checked against the real manifest schema).
 */
import { newRunId } from '../../src/core/ids.js';
import type { RunRecord } from '../../src/core/run.js';
import { makeRunRecord } from '../../src/ports/metadata-store.contract.js';
import type { Api } from '../helpers/server.js';

export { makeRunRecord, newRunId };

/** A well-formed run id no server has seen. */
export const UNKNOWN_RUN = '01aaaaaaaaaaaaaaaaaaaaaaaa';

/**
 * A finished run (succeeded by default): a finished run is left alone by the server's
 * liveness checks, whatever host and pid it names.
 */
export function finishedRun(over: Partial<Omit<RunRecord, 'manifest'>> = {}): RunRecord {
  const createdAt = over.createdAt ?? Date.now();
  return makeRunRecord({ status: 'succeeded', createdAt, startedAt: createdAt + 10, endedAt: createdAt + 1000, heartbeatAt: createdAt + 1000, ...over });
}

/** POSTs the run and fails loudly unless it was recorded. */
export async function createRun(client: Api, run: RunRecord = finishedRun()): Promise<RunRecord> {
  const res = await client.post('/runs', run);
  if (res.status !== 201) throw new Error(`POST /runs answered ${res.status}: ${res.text}`);
  return run;
}
