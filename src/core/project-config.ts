/**
 * @module core/project-config
 * `reprise.yaml`: its schema, and parsing that reports every problem with the key
 * and the line it is on.
 */
import { z } from 'zod';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { parseByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';
import { RepriseError } from './errors.js';
import { AS_OF_SUBMIT, DATA_NAME, dataQueryConfigSchema, dataSourceConfigSchema, LAKE_SOURCE, SOURCE_NAME } from './data-query.js';
import { gateSchema } from './gates.js';
import { parseIsoTime } from './iso-time.js';
import { QUEUE_NAME } from './queue.js';

export const CONFIG_FILE = 'reprise.yaml';

export const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path inside the project: relative, and never climbing out of it. */
const projectPath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
    message: 'must be a relative path inside the project (no leading "/" and no "..")',
  });

const stageSchema = z.strictObject({
  name: z.string().regex(STAGE_NAME, 'must be letters, digits, "-" or "_", starting with a letter or digit'),
  cmd: z.string().trim().min(1, 'must not be empty'),
  env: z.record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), z.string()).optional(),
});

function oneOrMore<T extends z.ZodType<string>>(item: T) {
  return z.union([item, z.array(item).min(1)]);
}

/** pip options: they shape how a virtualenv is built, so they mean nothing with system: true. */
export const PIP_OPTION_KEYS = ['index_url', 'extra_index_url', 'find_links', 'no_index'] as const;

const projectConfigObject = z.strictObject({
    name: z.string().regex(STAGE_NAME, 'must be letters, digits, "-" or "_"').optional(),
    params: projectPath.optional(),
    seed: z.number().int('must be a whole number').min(0).max(2 ** 31 - 1).optional(),
    env: z
      .strictObject({
        python: z.string().regex(/^\d+(\.\d+){0,2}$/, 'must be a version like "3.11"').optional(),
        requirements: oneOrMore(projectPath).optional(),
        system: z.boolean().optional(),
        index_url: z.string().min(1).optional(),
        extra_index_url: oneOrMore(z.string().min(1)).optional(),
        find_links: oneOrMore(z.string().min(1)).optional(),
        no_index: z.boolean().optional(),
      })
      .optional(),
    stages: z.array(stageSchema).min(1, 'must list at least one stage'),
    outputs: z.array(projectPath).optional(),
    model: z.strictObject({ path: projectPath.optional(), name: z.string().min(1).optional() }).optional(),
    reproduce: z
      .strictObject({
        tolerance: z.record(z.string().min(1), z.number().nonnegative('must be 0 or more').finite('must be a finite number')).optional(),
        ignore: z.array(z.string().min(1, 'must not be empty')).optional(),
      })
      .optional(),
    gates: z.array(gateSchema).optional(),
    retention: z
      .strictObject({
        failed: z.string().refine(isDuration, 'must be a duration like 7d, 12h or 0'),
      })
      .optional(),
    /** Databases queries may read besides the lake, by name. */
    sources: z.record(z.string().regex(SOURCE_NAME, 'a source name is letters, digits, "-" or "_", starting with a letter'), dataSourceConfigSchema).optional(),
    /** Data queries pinned to a time, materialized for the stages. */
    data: z.record(z.string().regex(DATA_NAME, 'a data name is letters, digits or "_", starting with a letter'), dataQueryConfigSchema).optional(),
    /** The container image a merge to the linked branch builds (and pushes to `registry`). */
    image: z
      .strictObject({
        engine: z.enum(['docker', 'podman']).optional(),
        registry: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, 'must be a registry and repository prefix like ghcr.io/team or registry.example.com:5000/ml')
          .optional(),
      })
      .nullable()
      .optional(),
    /**
     * How a promoted version of the model answers predictions (`reprise serve`): a command
     * speaking JSON lines, run in the version's recorded environment and code.
     */
    serve: z
      .strictObject({
        cmd: z.string().trim().min(1, 'must not be empty'),
        workers: z.number().int('must be a whole number').min(1).max(64).optional(),
        timeout: z.string().refine(isPositiveDuration, 'must be a duration like 30s or 2m').optional(),
        start_timeout: z.string().refine(isPositiveDuration, 'must be a duration like 2m').optional(),
        /** The `data:` query whose snapshot is the training data profiled at promotion (default: the first). */
        data: z.string().regex(DATA_NAME, 'a data name is letters, digits or "_", starting with a letter').optional(),
        /** The column of that snapshot the model predicts: the reference of the predictions, left out of the features. */
        target: z.string().min(1).optional(),
      })
      .optional(),
    /** Where `reprise submit` queues the run and what it needs from a worker. */
    resources: z
      .strictObject({
        queue: z.string().regex(QUEUE_NAME, 'must be 1 to 64 letters, digits, ".", "_" or "-"').optional(),
        gpus: z.number().int('must be a whole number').min(0).max(64).optional(),
        /** What a cluster executor (Ray, Kubernetes) reserves for the run. */
        cpus: z.number().positive('must be above 0').max(1024).optional(),
        memory: z
          .union([z.string(), z.number()])
          .superRefine((v, ctx) => {
            const r = parseByteSize(v);
            if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
          })
          .transform((v) => parseByteSize(v) as number)
          .optional(),
        priority: z.number().int('must be a whole number').min(-1000).max(1000).optional(),
        retries: z.number().int('must be a whole number').min(0).max(100).optional(),
      })
      .optional(),
});

function isPositiveDuration(text: string): boolean {
  return isDuration(text) && parseDuration(text, 'serve') > 0;
}

function isDuration(text: string): boolean {
  try {
    parseDuration(text, 'retention.failed');
    return true;
  } catch {
    return false;
  }
}

export const projectConfigSchema = projectConfigObject.superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.stages.forEach((s, i) => {
      const first = seen.get(s.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: `duplicates the name of stages[${first}]` });
      } else {
        seen.set(s.name, i);
      }
    });
    const dataNames = new Map<string, string>();
    for (const [name, q] of Object.entries(cfg.data ?? {})) {
      const other = dataNames.get(name.toUpperCase());
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['data', name], message: `differs from "${other}" only in case; both would be REPRISE_DATA_${name.toUpperCase()}` });
      }
      dataNames.set(name.toUpperCase(), name);
      const source = q.source ?? LAKE_SOURCE;
      if (source !== LAKE_SOURCE && !(cfg.sources && Object.hasOwn(cfg.sources, source))) {
        const declared = Object.keys(cfg.sources ?? {});
        ctx.addIssue({ code: 'custom', path: ['data', name, 'source'], message: `unknown source "${source}" (known: ${[LAKE_SOURCE, ...declared].join(', ')})` });
      }
      if (q.as_of !== undefined && q.as_of !== AS_OF_SUBMIT && parseIsoTime(q.as_of.trim()) === undefined) {
        ctx.addIssue({ code: 'custom', path: ['data', name, 'as_of'], message: `must be "${AS_OF_SUBMIT}" or an ISO 8601 time such as 2026-11-20T14:00:00Z, got ${JSON.stringify(q.as_of)}` });
      }
    }
    if (cfg.serve?.data !== undefined && !(cfg.data && Object.hasOwn(cfg.data, cfg.serve.data))) {
      ctx.addIssue({ code: 'custom', path: ['serve', 'data'], message: `names no query under data: (known: ${Object.keys(cfg.data ?? {}).join(', ') || 'none'})` });
    }
    if (cfg.env?.system) {
      for (const key of PIP_OPTION_KEYS) {
        if (cfg.env[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['env', key], message: 'has no effect with system: true (nothing is installed); remove one of them' });
        }
      }
    }
  });

export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type StageConfig = ProjectConfig['stages'][number];

export interface ConfigProblem {
  /** Dotted path of the key, e.g. `stages[1].cmd`. */
  readonly key: string;
  /** 1-based line in the file, when known. */
  readonly line: number | undefined;
  readonly message: string;
}

/** Parses and validates the text of a reprise.yaml; `file` is only used in messages. */
export function parseProjectConfig(text: string, file: string = CONFIG_FILE): ProjectConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      key: '',
      line: lines.linePos(e.pos[0]).line,
      message: e.message.split('\n')[0] ?? e.message,
    }));
    throw configError('REPRISE_ERR_CONFIG_SYNTAX', file, problems);
  }
  const data: unknown = doc.toJS() ?? {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw configError('REPRISE_ERR_CONFIG_INVALID', file, [
      { key: '', line: 1, message: 'the file must be a mapping of keys (name, params, stages, ...)' },
    ]);
  }
  // reportInput: messages quote the value that was given.
  const result = projectConfigSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describeIssue(issue, doc, lines));
  throw configError('REPRISE_ERR_CONFIG_INVALID', file, problems);
}

function configError(code: 'REPRISE_ERR_CONFIG_SYNTAX' | 'REPRISE_ERR_CONFIG_INVALID', file: string, problems: ConfigProblem[]): RepriseError {
  const lines = problems.map((p) => `  ${file}${p.line ? `:${p.line}` : ''}: ${p.key ? `${p.key}: ` : ''}${p.message}`);
  const what = code === 'REPRISE_ERR_CONFIG_SYNTAX' ? 'is not valid YAML' : 'is invalid';
  return new RepriseError(code, `${file} ${what}:\n${lines.join('\n')}`, { details: { file, problems } });
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue, doc: Document, lines: LineCounter): ConfigProblem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0] ?? '';
    const allowed = allowedKeys(path);
    return {
      key: formatPath([...path, unknown]),
      line: keyLine(doc, lines, path, unknown),
      message: `unknown key${issue.keys.length > 1 ? `s ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : ` ${JSON.stringify(unknown)}`}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
    };
  }
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  if (issue.code === 'invalid_type' && node === undefined) {
    const parent = path.slice(0, -1);
    return {
      key: formatPath(path),
      line: nodeLine(doc.getIn(parent, true), lines) ?? 1,
      message: `missing required key ${JSON.stringify(String(path[path.length - 1]))}`,
    };
  }
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    message = issue.expected === 'int' && typeof issue.input === 'number'
      ? `must be a whole number, got ${issue.input}`
      : `expected ${issue.expected}, got ${describeInput(issue.input)}`;
  }
  return { key: formatPath(path), line: nodeLine(node, lines), message };
}

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function nodeLine(node: unknown, lines: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}

function keyLine(doc: Document, lines: LineCounter, mapPath: (string | number)[], key: string): number | undefined {
  const map = mapPath.length === 0 ? doc.contents : doc.getIn(mapPath, true);
  if (isMap(map)) {
    for (const pair of map.items) {
      const k = pair.key as { value?: unknown; range?: [number, number, number] } | null;
      if (k && String(k.value) === key && k.range) return lines.linePos(k.range[0]).line;
    }
    return nodeLine(map, lines);
  }
  if (isSeq(map)) return nodeLine(map, lines);
  return undefined;
}

function allowedKeys(path: (string | number)[]): string[] | undefined {
  const shape = (s: unknown): string[] | undefined => {
    const def = (s as { shape?: Record<string, unknown> } | undefined)?.shape;
    return def ? Object.keys(def) : undefined;
  };
  if (path.length === 0) return shape(projectConfigObject);
  if (path[0] === 'stages') return shape(stageSchema);
  if (path[0] === 'gates') return shape(gateSchema);
  const child = (projectConfigObject.shape as Record<string, unknown>)[String(path[0])] as { unwrap?: () => unknown } | undefined;
  return shape(child?.unwrap?.());
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
