/**
 * @module core/params
 * `-p key=value` overrides: values parse as JSON where they parse, dotted keys reach
 * into nested objects, and every failure names the override at fault.
 */
import { RepriseError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type Params = { [k: string]: JsonValue };

export interface ParamOverride {
  /** As typed, e.g. `optim.lr=0.01`. */
  readonly raw: string;
  readonly path: readonly string[];
  readonly value: JsonValue;
}

const SEGMENT = /^[^.=\s][^.=]*$/;
/** Names that would reach JavaScript's object machinery instead of a param. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

export function parseOverride(raw: string): ParamOverride {
  const eq = raw.indexOf('=');
  if (eq < 0) {
    throw new RepriseError('REPRISE_ERR_PARAMS_OVERRIDE_INVALID', `-p ${JSON.stringify(raw)}: expected key=value`, {
      hint: 'for example: -p epochs=2 -p optim.lr=0.01',
      details: { override: raw },
    });
  }
  const key = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1);
  const path = key.split('.');
  if (key === '' || path.some((s) => !SEGMENT.test(s) || RESERVED.has(s))) {
    throw new RepriseError(
      'REPRISE_ERR_PARAMS_OVERRIDE_INVALID',
      `-p ${JSON.stringify(raw)}: invalid key ${JSON.stringify(key)} (use names separated by dots, like optim.lr)`,
      { details: { override: raw } },
    );
  }
  return { raw, path, value: parseValue(text) };
}

/** JSON where it parses (`2`, `[64,32]`, `true`, `"x"`), else the text itself. */
export function parseValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function describe(v: JsonValue | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** A deep copy of `base` with every override applied, in order. */
export function applyOverrides(base: Params, overrides: readonly ParamOverride[]): Params {
  const out = structuredClone(base);
  for (const o of overrides) {
    let node: JsonValue = out;
    for (let i = 0; i < o.path.length - 1; i++) {
      const seg = o.path[i]!;
      const container: JsonValue = node;
      let child: JsonValue | undefined;
      if (Array.isArray(container)) {
        const idx = arrayIndex(seg, container.length);
        if (idx === undefined) throw notAContainer(o, i, container);
        child = container[idx];
      } else if (container !== null && typeof container === 'object') {
        child = Object.hasOwn(container, seg) ? container[seg] : undefined;
        if (child === undefined) {
          child = {};
          container[seg] = child;
        }
      } else {
        throw notAContainer(o, i, container);
      }
      if (child === null || typeof child !== 'object') throw notAContainer(o, i + 1, child);
      node = child;
    }
    const last = o.path[o.path.length - 1]!;
    if (Array.isArray(node)) {
      const idx = arrayIndex(last, node.length);
      if (idx === undefined) throw notAContainer(o, o.path.length - 1, node);
      node[idx] = o.value;
    } else if (node !== null && typeof node === 'object') {
      node[last] = o.value;
    }
  }
  return out;
}

function arrayIndex(seg: string, length: number): number | undefined {
  if (!/^\d+$/.test(seg)) return undefined;
  const idx = Number(seg);
  return idx < length ? idx : undefined;
}

function notAContainer(o: ParamOverride, depth: number, found: JsonValue | undefined): RepriseError {
  const at = o.path.slice(0, depth).join('.');
  return new RepriseError(
    'REPRISE_ERR_PARAMS_OVERRIDE_INVALID',
    `-p ${JSON.stringify(o.raw)}: cannot set ${o.path.join('.')} because ${at} is ${describe(found)}`,
    { details: { override: o.raw, key: at } },
  );
}

/** Overrides as `key=value` text for listings, in the order given. */
export function describeOverrides(overrides: readonly { key: string; value: unknown }[]): string {
  return overrides.map((o) => `${o.key}=${typeof o.value === 'string' ? o.value : JSON.stringify(o.value)}`).join(' ');
}

/** A param as search sees it: one leaf of the params tree under its dotted key. */
export type ParamValue = string | number | boolean | null;

/**
 * The params tree as dotted keys (`optimizer.lr`), the form filters and the MLflow API
 * use. Lists are kept whole, as JSON text; an empty object disappears.
 */
export function flattenParams(values: Params, prefix = '', into: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  for (const [k, v] of Object.entries(values)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenParams(v, key, into);
    else into[key] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return into;
}
