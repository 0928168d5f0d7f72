/**
 * @module core/byte-size
 * Amounts of memory as people write them in reprise.yaml: `512Mi`, `4Gi` (Kubernetes'
 * binary suffixes), `2G`, `2GB` (decimal), or a plain number of bytes.
 */

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 2 ** 10, kib: 2 ** 10, mi: 2 ** 20, mib: 2 ** 20, gi: 2 ** 30, gib: 2 ** 30, ti: 2 ** 40, tib: 2 ** 40,
};

/** Bytes, or a sentence saying what is wrong (for the schema's message). */
export function parseByteSize(text: string | number): number | string {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text > 0 ? text : 'must be a whole number of bytes above 0, or a size like 512Mi or 4Gi';
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return 'must be a size like 512Mi, 4Gi, 2G or a number of bytes';
  const bytes = Math.round(Number(m[1]) * unit);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : 'must be above 0 and below 8 PiB';
}
