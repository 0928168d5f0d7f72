/**
 * @module core/run-note
 * A note: text a run wrote at a step under a key (TensorBoard's text summaries, the
 * SDK's notes). Markdown by convention; shown as written.
 */
import { RepriseError } from './errors.js';
import { MAX_METRIC_KEY } from './metric-wire.js';

export interface RunNote {
  readonly key: string;
  readonly step: number;
  /** UTC ms. */
  readonly ts: number;
  readonly text: string;
}

/** Longest note kept whole; longer text is refused over the API and cut when ingested from files. */
export const MAX_NOTE_TEXT = 65_536;

function invalid(field: string, problem: string): RepriseError {
  return new RepriseError('REPRISE_ERR_REQUEST_INVALID', `${field}: ${problem}`, { details: { field } });
}

/** The notes of a request body `{"notes": [{"key", "step", "ts"?, "text"}]}`, every problem named by its path. */
export function decodeNotesBody(body: unknown, now: number): RunNote[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { notes?: unknown }).notes)) {
    throw invalid('notes', 'expected {"notes": [{"key", "step", "text"}, ...]}');
  }
  return (body as { notes: unknown[] }).notes.map((n, i) => {
    const f = `notes[${i}]`;
    if (typeof n !== 'object' || n === null || Array.isArray(n)) throw invalid(f, 'expected {"key", "step", "text"}');
    const { key, step, ts, text } = n as Record<string, unknown>;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_METRIC_KEY || /[\u0000-\u001f]/.test(key)) {
      throw invalid(`${f}.key`, `expected a name of 1 to ${MAX_METRIC_KEY} characters without control characters`);
    }
    const s = step ?? 0;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw invalid(`${f}.step`, 'expected a whole number >= 0');
    if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0)) throw invalid(`${f}.ts`, 'expected a time in UTC milliseconds');
    if (typeof text !== 'string') throw invalid(`${f}.text`, 'expected text');
    if (text.length > MAX_NOTE_TEXT) throw invalid(`${f}.text`, `has ${text.length} characters; at most ${MAX_NOTE_TEXT}`);
    return { key, step: s, ts: (ts as number | undefined) ?? now, text };
  });
}
