/**
 * @module core/json-number
 * JSON has no NaN or ±Infinity, yet both are legal metric values. Where a number
 * travels as JSON (manifests, `--json`, the API) those three are written as the
 * strings "NaN", "Infinity" and "-Infinity".
 */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(n: number): JsonNumber {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return n;
}

export function decodeNumber(v: JsonNumber): number {
  return typeof v === 'number' ? v : Number(v);
}
