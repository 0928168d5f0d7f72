/**
 * @module core/run-manifest
 * The run manifest: the schema-versioned record of everything needed to reproduce a
 * run and of what it produced. It is written when the run is created and completed
 * as the run goes, so a run that dies still has what was known.
 */
import { z } from 'zod';
import { gateOutcomeSchema, gateSchema } from './gates.js';
import { DATA_FORMATS, dataColumnSchema } from './lake.js';
import { executedBySchema, submissionSchema } from './queue.js';
import { triggerSchema } from './trigger-schema.js';

export const MANIFEST_SCHEMA_VERSION = 1;

export const RUN_STATUSES = ['queued', 'preparing', 'running', 'succeeded', 'failed', 'canceled', 'lost'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses a run can still leave; the others are final. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'preparing', 'running'];
export const isActive = (s: RunStatus): boolean => ACTIVE_STATUSES.includes(s);

export const STAGE_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'canceled', 'skipped'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

const blobRef = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() });
export type BlobRef = z.infer<typeof blobRef>;

const jsonValue: z.ZodType<unknown> = z.unknown();

const gitCode = z.object({
  kind: z.literal('git'),
  /** Path of the project (where reprise.yaml is) inside the repository, '' at its root. */
  subdir: z.string(),
  remoteUrl: z.string().nullable(),
  branch: z.string().nullable(),
  commit: z.string().regex(/^[0-9a-f]{40,64}$/),
  dirty: z.boolean(),
  /** `git diff --binary` of every uncommitted change, untracked files included. */
  patch: blobRef.nullable(),
  changedFiles: z.array(z.string()),
  /**
   * A tar of the commit's files (`git archive`), for a run that came in a bundle: it is
   * reproduced from this where no repository has the commit. Absent otherwise.
   */
  archive: blobRef.optional(),
});

const folderCode = z.object({
  kind: z.literal('folder'),
  subdir: z.string(),
  /** A JSON list of {path, mode, sha256, size}; each file is a blob of its own. */
  snapshot: blobRef,
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export const codeSchema = z.discriminatedUnion('kind', [gitCode, folderCode]);
export type CodeVersion = z.infer<typeof codeSchema>;
export type GitCodeVersion = z.infer<typeof gitCode>;
export type FolderCodeVersion = z.infer<typeof folderCode>;

export const environmentSchema = z.object({
  python: z.object({ path: z.string(), version: z.string() }).nullable(),
  os: z.object({ platform: z.string(), type: z.string(), release: z.string() }),
  arch: z.string(),
  cpu: z.object({ model: z.string(), cores: z.number().int() }),
  memoryBytes: z.number().int(),
  gpus: z.array(z.object({ name: z.string(), memoryMiB: z.number().nullable(), driver: z.string().nullable() })),
  hostname: z.string(),
  user: z.string(),
  repriseVersion: z.string(),
  nodeVersion: z.string(),
  requirements: z.array(z.object({ path: z.string(), sha256: z.string() })),
  /** The container image the run ran in, when it ran in one: from REPRISE_IMAGE (and REPRISE_IMAGE_DIGEST). */
  image: z.object({ ref: z.string(), digest: z.string().nullable() }).nullable(),
  /** The environment the stages ran in; null until it is prepared. */
  resolved: z
    .object({
      kind: z.enum(['venv', 'system']),
      /** The environment key; null for the system interpreter. */
      hash: z.string().nullable(),
      /** `requirements`, `lock` (reprise run --lock) or `system`. */
      source: z.enum(['requirements', 'lock', 'system']),
      path: z.string().nullable(),
      pythonVersion: z.string(),
      pipVersion: z.string().nullable(),
      /** `pip freeze --all` of the environment actually used. */
      lock: blobRef,
      /** The lock file the run was told to build from, when it was. */
      lockInput: blobRef.nullable(),
      pip: z.object({
        indexUrl: z.string().nullable(),
        extraIndexUrls: z.array(z.string()),
        findLinks: z.array(z.string()),
        noIndex: z.boolean(),
      }),
      cacheHit: z.boolean(),
      rebuiltBecause: z.string().nullable(),
      buildMs: z.number().nullable(),
      /** What preparing the environment added to the run's start, hit or build. */
      prepareMs: z.number(),
    })
    .nullable(),
});
export type EnvironmentFacts = z.infer<typeof environmentSchema>;

const stageRecord = z.object({
  name: z.string(),
  cmd: z.string(),
  status: z.enum(STAGE_STATUSES),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  logs: z.object({ stdout: blobRef, stderr: blobRef, combined: blobRef }).nullable(),
});
export type StageRecord = z.infer<typeof stageRecord>;

const jsonNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

/** A series folded into its last value (highest step), min, max and count. */
export interface MetricSummary {
  readonly last: number;
  readonly lastStep: number;
  /** UTC ms of the last point, where the store keeps it. */
  readonly lastTs?: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

/** The same, as the manifest holds it (see core/json-number). */
export const manifestMetricSchema = z.object({
  last: jsonNumber,
  lastStep: z.number().int(),
  min: jsonNumber,
  max: jsonNumber,
  count: z.number().int(),
});
export type ManifestMetric = z.infer<typeof manifestMetricSchema>;

export const artifactSchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string() });
export type Artifact = z.infer<typeof artifactSchema>;

/**
 * One data query of the run, pinned when the run was started or queued and filled in
 * once materialized: what was asked of which source as of which time, and what came back.
 */
export const dataInputSchema = z.object({
  /** Its key under `data:`; stages find the file in REPRISE_DATA_<NAME>. */
  name: z.string(),
  source: z.object({
    name: z.string(),
    kind: z.enum(['lake', 'postgres']),
    /** A PostgreSQL source's connection string without its password; null for the lake. */
    url: z.string().nullable(),
    timeColumn: z.string().nullable(),
  }),
  query: z.string(),
  /** UTC ms: the rows committed at or before it are read. */
  asOf: z.number().int(),
  /** `submit`, or the time as reprise.yaml gave it. */
  pinnedAs: z.string(),
  format: z.enum(DATA_FORMATS),
  /** The tables the query reads. */
  tables: z.array(z.string()),
  /** Null until materialized. */
  snapshot: z
    .object({
      rows: z.number().int().nonnegative(),
      schema: z.array(dataColumnSchema),
      /** sha256 over the schema and the rows as a multiset: the same rows give the same hash whatever their order or file format. */
      contentHash: z.string(),
      /** The materialized file, stored once for every run that read the same bytes. */
      blob: blobRef,
      materializedAt: z.number().int(),
      ms: z.number().nonnegative(),
      /** `query`: run against the source; `recorded`: a reproduction's copy of the original's file. */
      from: z.enum(['query', 'recorded']),
      /** A reproduction's check of the source against the original's hash. */
      check: z.enum(['matched', 'source-unavailable']).nullable(),
    })
    .nullable(),
});
export type DataInput = z.infer<typeof dataInputSchema>;

export const runManifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  run: z.object({
    id: z.string(),
    name: z.string(),
    project: z.string(),
    dev: z.boolean(),
    createdAt: z.number(),
    /** The run this one reproduces (`reprise reproduce`), absent otherwise. */
    reproduces: z.string().optional(),
  }),
  /** How the run was queued (`reprise submit`, `reprise sweep`, a retry); absent for a run started in the foreground. */
  submission: submissionSchema.optional(),
  /** What started the run (core/trigger); absent in runs older than triggers, whose fields imply it (triggerOf). */
  trigger: triggerSchema.optional(),
  /** Null for a run a client opened from outside (the MLflow API): no code was recorded. */
  code: codeSchema.nullable(),
  /** The data queries of `data:`, pinned; absent for a project that declares none. */
  data: z.array(dataInputSchema).optional(),
  params: z.object({
    /** The params file, relative to the project; null when the project declares none. */
    file: z.string().nullable(),
    values: z.record(z.string(), jsonValue),
    overrides: z.array(z.object({ key: z.string(), value: jsonValue })),
    hash: z.string(),
  }),
  /** Null for a run a client opened from outside: the machine it ran on is not known. */
  environment: environmentSchema.nullable(),
  pipeline: z.object({
    configFile: z.string(),
    stages: z.array(z.object({ name: z.string(), cmd: z.string() })),
    seed: z.number().int(),
    seedSource: z.enum(['config', 'flag', 'generated']),
    executor: z.string(),
    host: z.string(),
    /** `reproduce:` of reprise.yaml: how a reproduction of this run is judged. */
    reproduce: z.object({ tolerance: z.record(z.string(), z.number()), ignore: z.array(z.string()) }).optional(),
    /** `gates:` of reprise.yaml, as the run's code declared them ([] for none); absent in runs older than gates. */
    gates: z.array(gateSchema).optional(),
    /** `retention:` of reprise.yaml: how long a failed run's artifacts stay before gc may take them. */
    retention: z.object({ failed: z.string(), failedMs: z.number().int().nonnegative() }).optional(),
    /** `serve:` of reprise.yaml, how a promoted version answers predictions; null when it declared none, absent in runs older than serving. */
    serve: z
      .object({
        cmd: z.string(),
        workers: z.number().int().positive(),
        timeoutMs: z.number().int().positive(),
        startTimeoutMs: z.number().int().positive(),
        data: z.string().nullable(),
        target: z.string().nullable(),
      })
      .nullable()
      .optional(),
  }),
  execution: z.object({
    /** The worker that claimed it from the queue; absent for a run started in the foreground. */
    worker: executedBySchema.optional(),
    startedAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    stages: z.array(stageRecord),
  }),
  outputs: z.object({
    metrics: z.record(z.string(), manifestMetricSchema),
    metricsFile: blobRef.nullable(),
    metricProblems: z.object({
      count: z.number().int(),
      examples: z.array(z.object({ line: z.number().int(), problem: z.string() })),
    }),
    /** What was read from the event files written under REPRISE_TB_DIR; absent when there were none. */
    tensorboard: z
      .object({
        files: z.number().int(),
        records: z.number().int(),
        skipped: z.number().int(),
        examples: z.array(z.object({ file: z.string(), offset: z.number().int(), problem: z.string() })),
      })
      .optional(),
    artifacts: z.array(artifactSchema),
    model: z.object({ path: z.string(), name: z.string().nullable(), files: z.number().int(), bytes: z.number().int() }).nullable(),
    /** The gates evaluated once the run succeeded (or later by `reprise gate`); absent otherwise. */
    gate: gateOutcomeSchema.optional(),
  }),
  status: z.enum(RUN_STATUSES),
  failure: z
    .object({
      stage: z.string().nullable(),
      exitCode: z.number().int().nullable(),
      message: z.string(),
      stderrTail: z.array(z.string()),
    })
    .nullable(),
});

export type RunManifest = z.infer<typeof runManifestSchema>;
