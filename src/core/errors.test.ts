import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bug, ERROR_CODES, isRepriseError, RepriseError, RETIRED_CODES, type ErrorCode } from './errors.js';

const ERRORS_DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'errors.md');
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

function readDoc(): string {
  expect(existsSync(ERRORS_DOC), `${ERRORS_DOC} must document every error code`).toBe(true);
  return readFileSync(ERRORS_DOC, 'utf8');
}

describe('the error catalogue', () => {
  it('names every code REPRISE_ERR_<AREA>[_<WHAT>]', () => {
    for (const code of CODES) expect(code).toMatch(/^REPRISE_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });

  it('gives every code an HTTP error status and a non-zero exit code', () => {
    for (const code of CODES) {
      const { status, exit } = ERROR_CODES[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(exit, code).toBeGreaterThan(0);
    }
  });

  it('never reuses a retired code', () => {
    for (const code of RETIRED_CODES) expect(CODES).not.toContain(code);
  });
});

describe('docs/errors.md', () => {
  it('has a "### <code>" heading for every code', () => {
    const headings = new Set([...readDoc().matchAll(/^###\s+(REPRISE_ERR_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1]));
    const undocumented = CODES.filter((c) => !headings.has(c));
    expect(undocumented, 'codes without a heading in docs/errors.md').toEqual([]);
  });

  it('mentions no code that does not exist', () => {
    const mentioned = new Set([...readDoc().matchAll(/REPRISE_ERR_[A-Z0-9_]*[A-Z0-9]/g)].map((m) => m[0]));
    const unknown = [...mentioned].filter((c) => !(c in ERROR_CODES));
    expect(unknown, 'codes in docs/errors.md missing from ERROR_CODES').toEqual([]);
  });
});

describe('RepriseError', () => {
  it('carries its code, hint, details and cause, and maps the code to status and exit', () => {
    const cause = new Error('disk');
    const e = new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', 'no run "x"', { hint: 'try ls', details: { ref: 'x' }, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('RepriseError');
    expect(e.message).toBe('no run "x"');
    expect(e.code).toBe('REPRISE_ERR_RUN_NOT_FOUND');
    expect(e.cause).toBe(cause);
    expect(e.status).toBe(404);
    expect(e.exitCode).toBe(2);
    expect(new RepriseError('REPRISE_ERR_INTERNAL', 'x').status).toBe(500);
    expect(new RepriseError('REPRISE_ERR_INTERNAL', 'x').exitCode).toBe(70);
  });

  it('serializes to code and message, with hint and details only when present', () => {
    expect(JSON.parse(JSON.stringify(new RepriseError('REPRISE_ERR_ARG_INVALID', 'bad')))).toEqual({
      code: 'REPRISE_ERR_ARG_INVALID',
      message: 'bad',
    });
    const e = new RepriseError('REPRISE_ERR_ARG_INVALID', 'bad', { hint: 'h', details: { field: 'limit' } });
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'REPRISE_ERR_ARG_INVALID', message: 'bad', hint: 'h', details: { field: 'limit' } });
  });

  it('is told apart from other errors', () => {
    expect(isRepriseError(new RepriseError('REPRISE_ERR_INTERNAL', 'x'))).toBe(true);
    expect(isRepriseError(new Error('x'))).toBe(false);
    expect(isRepriseError({ code: 'REPRISE_ERR_INTERNAL', message: 'x' })).toBe(false);
  });

  it('reports broken invariants as internal errors that ask for a report', () => {
    const e = bug('stage index out of range');
    expect(e.code).toBe('REPRISE_ERR_INTERNAL');
    expect(e.message).toMatch(/^stage index out of range\. This is a bug in Reprise/);
  });
});
