/**
 * @module core/tfevents/event-encoder
 * Event records TensorBoard reads, in the encodings both of its loaders show: scalars as
 * simple values (float32, as every TensorBoard scalar is), histograms as TF2 tensors of
 * (left, right, count) rows in float64, text as string tensors, hparams as the plugin's
 * session and experiment records. Each function returns a whole framed record.
 */
import type { HistogramPoint } from '../histogram.js';
import type { ParamValue } from '../params.js';
import { frameRecord } from './record-frame.js';
import { DT, eventTypes, SESSION_STATUS } from './event-schema.js';
import type { SessionStatus } from './event-decoder.js';

const seconds = (ms: number): number => ms / 1000;

function eventRecord(event: object): Buffer {
  return frameRecord(eventTypes().Event.encode(event).finish());
}

function plugin(name: string, content?: Uint8Array): object {
  return { plugin_data: content ? { plugin_name: name, content } : { plugin_name: name } };
}

/** The first record of every file. */
export function fileVersionRecord(ts: number): Buffer {
  return eventRecord({ wall_time: seconds(ts), file_version: 'brain.Event:2' });
}

export function scalarRecord(tag: string, step: number, ts: number, value: number): Buffer {
  return eventRecord({ wall_time: seconds(ts), step, summary: { value: [{ tag, simple_value: value }] } });
}

export function histogramRecord(tag: string, p: HistogramPoint): Buffer {
  const k = p.buckets.length / 3;
  const content = new Uint8Array(p.buckets.buffer.slice(p.buckets.byteOffset, p.buckets.byteOffset + p.buckets.byteLength));
  const tensor = { dtype: DT.DOUBLE, tensor_shape: { dim: [{ size: k }, { size: 3 }] }, tensor_content: content };
  return eventRecord({ wall_time: seconds(p.ts), step: p.step, summary: { value: [{ tag, metadata: plugin('histograms'), tensor }] } });
}

export function textRecord(tag: string, step: number, ts: number, text: string): Buffer {
  const tensor = { dtype: DT.STRING, tensor_shape: {}, string_val: [Buffer.from(text, 'utf8')] };
  return eventRecord({ wall_time: seconds(ts), step, summary: { value: [{ tag, metadata: plugin('text'), tensor }] } });
}

function protoValue(v: ParamValue): object {
  if (typeof v === 'number') return { number_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (typeof v === 'string') return { string_value: v };
  return { null_value: 0 };
}

function hparamsRecord(tag: string, ts: number, data: object): Buffer {
  const content = eventTypes().HParamsPluginData.encode({ version: 0, ...data }).finish();
  return eventRecord({ wall_time: seconds(ts), summary: { value: [{ tag, metadata: plugin('hparams', content) }] } });
}

/** A trial's hparams: what makes a run directory a session of TensorBoard's HParams dashboard. */
export function sessionStartRecord(params: Readonly<Record<string, ParamValue>>, group: string, ts: number): Buffer {
  const hparams = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, protoValue(v)]));
  return hparamsRecord('_hparams_/session_start_info', ts, { session_start_info: { hparams, group_name: group, start_time_secs: seconds(ts) } });
}

export function sessionEndRecord(status: SessionStatus, ts: number): Buffer {
  return hparamsRecord('_hparams_/session_end_info', ts, { session_end_info: { status: SESSION_STATUS.indexOf(status), end_time_secs: seconds(ts) } });
}

/**
 * A file name TensorBoard and other tools recognise, sorting by creation time:
 * `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n><suffix>`.
 */
export function eventFileName(ts: number, host: string, pid: number, n: number, suffix = ''): string {
  const secs = String(Math.floor(ts / 1000)).padStart(10, '0');
  return `events.out.tfevents.${secs}.${host.replace(/[^A-Za-z0-9_.-]/g, '_')}.${pid}.${n}${suffix}`;
}

/** Whether a file is an event file, by TensorBoard's own test on its name. */
export function isEventFileName(basename: string): boolean {
  return basename.includes('tfevents') && !basename.endsWith('.profile-empty');
}
