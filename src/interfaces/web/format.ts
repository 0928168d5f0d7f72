/** How values read on screen: numbers, times, durations, statuses. */
import type { JsonNumber, ParamValue, RunStatus } from './api.js';
import { num } from './api.js';

export function formatNumber(v: JsonNumber | number | undefined | null, digits = 4): string {
  if (v === undefined || v === null) return '';
  const n = num(v);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return n.toLocaleString('en-US');
  // Significant digits only; JavaScript itself switches to 1e-7 style below a millionth.
  return String(Number(n.toPrecision(digits)));
}

export function formatParam(v: ParamValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v, 6);
  return String(v);
}

export function formatDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A time whole, in UTC, to the millisecond: what `--as-of` and the data pages' time box take. */
export function formatIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The first 12 hex digits of a hash (with or without its `sha256:` prefix): enough to tell hashes apart on screen. */
export function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, 12);
}

export function formatDay(ms: number): string {
  return new Date(ms).toLocaleDateString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** "3 minutes ago", for what changes while a page is open. */
export function formatAgo(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return s <= 1 ? 'just now' : `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'a minute ago' : `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? 'an hour ago' : `${h} hours ago`;
  const d = Math.round(h / 24);
  return d < 60 ? `${d} days ago` : formatDate(ms);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function runDuration(r: { startedAt: number | null; endedAt: number | null; createdAt: number; status: RunStatus }, now = Date.now()): number | null {
  const start = r.startedAt ?? r.createdAt;
  if (r.endedAt !== null) return r.endedAt - start;
  return r.status === 'running' || r.status === 'preparing' ? now - start : null;
}

/** `1 run`, `1,200 runs`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
