/**
 * @module core/errors
 * The one catalogue of Reprise's errors. Every error a user can meet has a stable
 * code `REPRISE_ERR_<AREA>_<WHAT>`, a message that names the field, path or value
 * at fault, an HTTP status for the API, and an exit code for the CLI.
 * `docs/errors.md` documents every code; a test keeps the two in step.
 * Retired codes are listed in RETIRED_CODES and never reused.
 */

export interface ErrorSpec {
  /** HTTP status the API answers with. */
  readonly status: number;
  /** Process exit code the CLI ends with. */
  readonly exit: number;
}

const INPUT: ErrorSpec = { status: 400, exit: 2 };
const NOT_FOUND: ErrorSpec = { status: 404, exit: 2 };
const CONFLICT: ErrorSpec = { status: 409, exit: 2 };
const INTERNAL: ErrorSpec = { status: 500, exit: 70 };
const UNAVAILABLE: ErrorSpec = { status: 503, exit: 69 };

/** Every code, with how it surfaces. Keys are the codes themselves. */
export const ERROR_CODES = {
  REPRISE_ERR_CONFIG_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_CONFIG_SYNTAX: INPUT,
  REPRISE_ERR_CONFIG_INVALID: INPUT,
  REPRISE_ERR_INIT_EXISTS: CONFLICT,
  REPRISE_ERR_PARAMS_FILE_MISSING: INPUT,
  REPRISE_ERR_PARAMS_FILE_INVALID: INPUT,
  REPRISE_ERR_PARAMS_OVERRIDE_INVALID: INPUT,
  REPRISE_ERR_CODE_NOT_GIT: INPUT,
  REPRISE_ERR_CODE_NO_COMMIT: INPUT,
  REPRISE_ERR_CODE_GIT_FAILED: INTERNAL,
  REPRISE_ERR_CODE_PATH_UNSAFE: INPUT,
  REPRISE_ERR_CODE_COMMIT_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_RUN_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_RUN_AMBIGUOUS: INPUT,
  REPRISE_ERR_STAGE_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_METRIC_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_ARG_INVALID: INPUT,
  REPRISE_ERR_BLOB_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_STORE_SCHEMA_NEWER: CONFLICT,
  REPRISE_ERR_INTERPRETER_NOT_FOUND: INPUT,
  REPRISE_ERR_ENV_BUILD_FAILED: INPUT,
  REPRISE_ERR_IMAGE_ENGINE_UNAVAILABLE: CONFLICT,
  REPRISE_ERR_IMAGE_BUILD_FAILED: INTERNAL,
  REPRISE_ERR_FILTER_INVALID: INPUT,
  REPRISE_ERR_PARAM_IMMUTABLE: CONFLICT,
  REPRISE_ERR_RUN_STATE_CONFLICT: CONFLICT,
  REPRISE_ERR_REQUEST_INVALID: INPUT,
  REPRISE_ERR_REQUEST_TOO_LARGE: { status: 413, exit: 2 },
  REPRISE_ERR_REQUEST_MEDIA_TYPE: { status: 415, exit: 2 },
  REPRISE_ERR_ROUTE_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_PATH_UNSAFE: INPUT,
  REPRISE_ERR_ARTIFACT_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_PROJECT_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_PROJECT_EXISTS: CONFLICT,
  REPRISE_ERR_RUN_NOT_FINISHED: CONFLICT,
  REPRISE_ERR_BUNDLE_INVALID: INPUT,
  REPRISE_ERR_PROMOTION_REFUSED: CONFLICT,
  REPRISE_ERR_MODEL_INVALID: INPUT,
  REPRISE_ERR_MODEL_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_MODEL_EXISTS: CONFLICT,
  REPRISE_ERR_RUN_PINNED: CONFLICT,
  REPRISE_ERR_RETENTION_INVALID: CONFLICT,
  REPRISE_ERR_BLOB_CORRUPT: { status: 500, exit: 65 },
  REPRISE_ERR_LOG_GAP: CONFLICT,
  REPRISE_ERR_SWEEP_INVALID: INPUT,
  REPRISE_ERR_SWEEP_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_QUEUE_INVALID: INPUT,
  REPRISE_ERR_LEASE_LOST: CONFLICT,
  REPRISE_ERR_WORKER_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_DATA_TABLE_INVALID: INPUT,
  REPRISE_ERR_DATA_TABLE_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_DATA_AS_OF_INVALID: INPUT,
  REPRISE_ERR_DATA_QUERY_REFUSED: INPUT,
  REPRISE_ERR_DATA_QUERY_INVALID: INPUT,
  REPRISE_ERR_DATA_FILE_INVALID: INPUT,
  REPRISE_ERR_DATA_SCHEMA_MISMATCH: CONFLICT,
  REPRISE_ERR_DATA_TAMPERED: { status: 500, exit: 65 },
  REPRISE_ERR_DATA_SOURCE_INVALID: INPUT,
  REPRISE_ERR_DATA_SOURCE_UNAVAILABLE: UNAVAILABLE,
  REPRISE_ERR_DATA_CHANGED: CONFLICT,
  REPRISE_ERR_SERVER_HOST_REFUSED: INPUT,
  REPRISE_ERR_SERVER_ADDRESS_IN_USE: CONFLICT,
  REPRISE_ERR_SERVER_UNREACHABLE: UNAVAILABLE,
  REPRISE_ERR_SERVER_URL_INVALID: INPUT,
  REPRISE_ERR_SERVER_PROTOCOL: INTERNAL,
  REPRISE_ERR_HOOK_PAYLOAD_INVALID: { status: 400, exit: 65 },
  REPRISE_ERR_HOOK_SIGNATURE_INVALID: { status: 401, exit: 77 },
  REPRISE_ERR_HOOK_NOT_LINKED: { status: 404, exit: 66 },
  REPRISE_ERR_HOOK_DELIVERY_SEEN: { status: 409, exit: 75 },
  REPRISE_ERR_REPO_LINK_INVALID: INPUT,
  REPRISE_ERR_STORE_URL_INVALID: INPUT,
  REPRISE_ERR_STORE_UNAVAILABLE: UNAVAILABLE,
  REPRISE_ERR_ARTIFACTS_URL_INVALID: INPUT,
  REPRISE_ERR_ARTIFACTS_UNAVAILABLE: UNAVAILABLE,
  REPRISE_ERR_EXECUTOR_INVALID: INPUT,
  REPRISE_ERR_EXECUTOR_UNAVAILABLE: UNAVAILABLE,
  REPRISE_ERR_MIGRATE_MISMATCH: { status: 500, exit: 65 },
  REPRISE_ERR_AUTH_REQUIRED: { status: 401, exit: 77 },
  REPRISE_ERR_AUTH_INVALID: { status: 401, exit: 77 },
  REPRISE_ERR_FORBIDDEN: { status: 403, exit: 77 },
  REPRISE_ERR_CSRF: { status: 403, exit: 77 },
  REPRISE_ERR_LOGIN_THROTTLED: { status: 429, exit: 75 },
  REPRISE_ERR_USER_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_USER_EXISTS: CONFLICT,
  REPRISE_ERR_TOKEN_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_AUTH_NO_ADMIN: INPUT,
  REPRISE_ERR_LAST_ADMIN: CONFLICT,
  REPRISE_ERR_SERVE_REFUSED: CONFLICT,
  REPRISE_ERR_MODEL_NOT_SERVED: NOT_FOUND,
  REPRISE_ERR_PREDICTION_INVALID: INPUT,
  REPRISE_ERR_MODEL_SERVING_FAILED: { status: 502, exit: 69 },
  REPRISE_ERR_ALERT_NOT_FOUND: NOT_FOUND,
  REPRISE_ERR_INTERNAL: INTERNAL,
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes once used and now retired: never give them a new meaning. */
export const RETIRED_CODES: readonly string[] = [];

export class RepriseError extends Error {
  readonly code: ErrorCode;
  /** A suggested fix, shown under the message. */
  readonly hint: string | undefined;
  /** Extra structured facts (field, line, path) for `--json` and the API. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RepriseError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: { ...this.details } } : {}),
    };
  }
}

export function isRepriseError(e: unknown): e is RepriseError {
  return e instanceof RepriseError;
}

/** For invariants that cannot break unless Reprise itself is wrong. */
export function bug(what: string): RepriseError {
  return new RepriseError(
    'REPRISE_ERR_INTERNAL',
    `${what}. This is a bug in Reprise; please report it with the command you ran.`,
  );
}
