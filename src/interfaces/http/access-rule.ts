/**
 * @module interfaces/http/access-rule
 * What a route asks of who calls it, declared with the route (native and MLflow alike):
 * public, or an action (core/access) in the projects the request is about, found from its
 * parameters by a scope. The server checks the rule of every route before its handler
 * runs, and refuses to register a route under an API prefix without one.
 */
import { ACTION_MEANING, mayDo, roleIn, type Action, type Principal } from '../../core/access.js';
import { RepriseError } from '../../core/errors.js';

/** What the request is about: projects (a grant there counts) and the runs it writes (a run token writes its own only). */
export interface Scope {
  readonly projects: readonly string[];
  readonly runs: readonly string[];
}

/** The request as a scope sees it: raw, before any schema (a refusal comes before a 400). */
export interface AccessInput {
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: unknown;
}

/** What scopes look up in the store. */
export interface ScopeLookup {
  runProject(runId: string): Promise<string | undefined>;
  /** The projects of the runs a model's versions came from. */
  modelProjects(model: string): Promise<string[]>;
  /** A project by the MLflow API's experiment id. */
  experimentProject(experimentId: string): Promise<string | undefined>;
}

export type ScopeOf = (input: AccessInput, look: ScopeLookup) => Promise<Scope>;

export type AccessRule =
  /** No credentials asked; says why. */
  | { readonly public: string }
  | {
      /** A function where the body decides (a forced promotion is an admin's). */
      readonly action: Action | ((input: AccessInput) => Action);
      readonly scope?: ScopeOf;
      /** A run token may take this write whatever run it names (content-addressed blobs: bytes, not a run's record). */
      readonly anyRun?: true;
    };

export const NO_SCOPE: Scope = { projects: [], runs: [] };

/** Reading anything: every role may. */
export const READ: AccessRule = { action: 'read' };

export function isPublic(rule: AccessRule): rule is { readonly public: string } {
  return 'public' in rule;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field of an object, if it is one. */
export function field(value: unknown, key: string): string | undefined {
  if (!isObject(value)) return undefined;
  const v = value[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Runs named by a request (ids as sent; missing ones skipped): their projects, and that they are the runs written. */
export async function runsScope(ids: readonly unknown[], look: ScopeLookup): Promise<Scope> {
  const runs = [...new Set(ids.filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.toLowerCase()))];
  const projects = (await Promise.all(runs.map((id) => look.runProject(id)))).filter((p): p is string => p !== undefined);
  return { projects: [...new Set(projects)], runs };
}

/** The run named by a path parameter (`:id` by default). */
export function runParam(name = 'id'): ScopeOf {
  return (input, look) => runsScope([input.params[name]], look);
}

/** The runs named by a field of the body (a string or a list). */
export function runsInBody(key: string): ScopeOf {
  return (input, look) => {
    const raw = isObject(input.body) ? input.body[key] : undefined;
    return runsScope(Array.isArray(raw) ? raw : [raw], look);
  };
}

/** A project named by a path parameter, a body field or a query field. */
export function projectFrom(where: 'params' | 'body' | 'query', key = 'project'): ScopeOf {
  return async (input) => {
    const p = where === 'params' ? input.params[key] : field(where === 'body' ? input.body : input.query, key);
    return { projects: p !== undefined ? [p] : [], runs: [] };
  };
}

/** A registered model named by a path parameter: the projects its versions came from. */
export function modelParam(name = 'name'): ScopeOf {
  return async (input, look) => {
    const m = input.params[name];
    return { projects: m !== undefined ? await look.modelProjects(m) : [], runs: [] };
  };
}

/** Checks a rule for a principal (undefined: nobody signed in); throws what the caller is told. */
export async function authorize(rule: AccessRule, who: Principal | undefined, input: AccessInput, look: ScopeLookup): Promise<void> {
  if (isPublic(rule)) return;
  if (!who) {
    throw new RepriseError('REPRISE_ERR_AUTH_REQUIRED', 'this server asks who you are: send a token (Authorization: Bearer rpr_…) or sign in', {
      hint: 'set REPRISE_TOKEN to a token from: reprise tokens create --user NAME',
    });
  }
  const scope = rule.scope ? await rule.scope(input, look) : NO_SCOPE;
  const action = typeof rule.action === 'function' ? rule.action(input) : rule.action;
  const ownRunOnly = action === 'run' && (rule.anyRun || (scope.runs.length > 0 && scope.runs.every((r) => r === who.runId)));
  if (who.runId !== null && action !== 'read' && !ownRunOnly) {
    throw new RepriseError('REPRISE_ERR_FORBIDDEN', `a run token writes to its own run (${who.runId}) only`, { details: { user: who.name, run: who.runId } });
  }
  if (!mayDo(who, action, scope.projects)) {
    const where = scope.projects.find((p) => !mayDo(who, action, [p]));
    const role = roleIn(who, where);
    throw new RepriseError('REPRISE_ERR_FORBIDDEN', `${who.name} is ${role === 'admin' || role === 'observer' ? 'an' : 'a'} ${role}${where !== undefined ? ` in project ${where}` : ''}, a role without "${action}" (${ACTION_MEANING[action]})`, {
      hint: 'an admin can change the role: reprise users role NAME ROLE (or --project P for one project)',
      details: { user: who.name, role, action: action, ...(where !== undefined ? { project: where } : {}) },
    });
  }
}

/** Run records in the body (the body itself, or a field holding one or a list): their projects, and the runs written. */
export function runRecordsInBody(key?: string): ScopeOf {
  return async (input) => {
    const holder = key === undefined ? input.body : typeof input.body === 'object' && input.body !== null ? (input.body as Record<string, unknown>)[key] : undefined;
    const records = (Array.isArray(holder) ? holder : [holder]).filter((r): r is object => typeof r === 'object' && r !== null);
    const projects = records.map((r) => field(r, 'project')).filter((p): p is string => p !== undefined);
    const runs = records.map((r) => field(r, 'id')?.toLowerCase()).filter((p): p is string => p !== undefined);
    return { projects: [...new Set(projects)], runs };
  };
}
