/**
 * @module interfaces/mlflow/request
 * The fields of an MLflow request, wherever they travel: a JSON body (POST, PATCH and
 * DELETE alike), or the query string of a GET, where everything is text and a repeated
 * field is a repeated key. Read by name, converted, and refused with MLflow's wording and
 * the field's name when missing or of the wrong kind. `run_uuid` stands in for `run_id`.
 */
import { RepriseError } from '../../core/errors.js';

export class MlflowFields {
  constructor(private readonly source: Readonly<Record<string, unknown>>) {}

  static of(body: unknown, query: unknown): MlflowFields {
    const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const q = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {};
    return new MlflowFields({ ...q, ...b });
  }

  #raw(name: string): unknown {
    const v = this.source[name];
    // A query string's repeated key where one value is meant: the first wins, as in MLflow.
    return Array.isArray(v) ? v[0] : v;
  }

  has(name: string): boolean {
    const v = this.source[name];
    return v !== undefined && v !== null;
  }

  str(name: string): string | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw invalid(`Invalid value for parameter '${name}': expected a string`, name);
  }

  requiredStr(name: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw invalid(`Missing value for required parameter '${name}'`, name);
    return v;
  }

  /** The run named by `run_id`, or by `run_uuid` as older clients send it. */
  runId(): string {
    const id = this.str('run_id') || this.str('run_uuid');
    if (!id) throw invalid(`Missing value for required parameter 'run_id'`, 'run_id');
    return id;
  }

  int(name: string): number | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': expected an integer`, name);
    return n;
  }

  requiredInt(name: string): number {
    const n = this.int(name);
    if (n === undefined) throw invalid(`Missing value for required parameter '${name}'`, name);
    return n;
  }

  /** A double: a JSON number, or "NaN", "Infinity", "-Infinity" as the client writes them. */
  num(name: string): number | undefined {
    return numberOf(this.#raw(name), name);
  }

  bool(name: string): boolean | undefined {
    const v = this.#raw(name);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': expected true or false`, name);
  }

  /** A repeated field: a JSON array, or a query key given any number of times. */
  list(name: string): unknown[] {
    const v = this.source[name];
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : [v];
  }

  strings(name: string): string[] {
    return this.list(name).map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
      throw invalid(`Invalid value for parameter '${name}[${i}]': expected a string`, `${name}[${i}]`);
    });
  }

  /** `[{key, value}]` as a record; `what` names the field in errors. */
  pairs(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    this.list(name).forEach((p, i) => {
      const f = new MlflowFields(objectAt(p, `${name}[${i}]`));
      out[f.requiredStr('key')] = f.str('value') ?? '';
    });
    return out;
  }

  /** A nested object field, read with the same rules. */
  object(name: string): MlflowFields | undefined {
    const v = this.source[name];
    if (v === undefined || v === null) return undefined;
    return new MlflowFields(objectAt(v, name));
  }

  /** Each element of a repeated message field. */
  objects(name: string): MlflowFields[] {
    return this.list(name).map((v, i) => new MlflowFields(objectAt(v, `${name}[${i}]`)));
  }
}

function numberOf(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN' || v === 'nan') return NaN;
    if (v === 'Infinity' || v === 'inf') return Infinity;
    if (v === '-Infinity' || v === '-inf') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': expected a number`, name);
}

function objectAt(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`Invalid value for parameter '${where}': expected an object`, where);
  return v as Record<string, unknown>;
}

/** A request MLflow's server would answer with INVALID_PARAMETER_VALUE. */
export function invalid(message: string, field: string): RepriseError {
  return new RepriseError('REPRISE_ERR_REQUEST_INVALID', message, { details: { field } });
}
