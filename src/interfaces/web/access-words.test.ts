import { describe, expect, it } from 'vitest';
import { auditDetails, auditFamily, auditTargetPage, tokenState } from './access-words.js';

const DAY = Date.UTC(2026, 11, 3, 12);

describe('the audit log in words', () => {
  it('tells the family of an action', () => {
    expect(auditFamily('token.create')).toBe('token');
    expect(auditFamily('gc')).toBe('gc');
  });

  it('says what users, grants and tokens entries did', () => {
    expect(auditDetails({ action: 'user.add', details: { role: 'viewer' } })).toBe('role viewer');
    expect(auditDetails({ action: 'user.role', details: { from: 'member', to: 'admin' } })).toBe('member → admin');
    expect(auditDetails({ action: 'user.disable', details: {} })).toBe('');
    expect(auditDetails({ action: 'user.password', details: { set: false } })).toBe('password cleared');
    expect(auditDetails({ action: 'grant.set', details: { project: 'iris', role: 'member' } })).toBe('member in iris');
    expect(auditDetails({ action: 'grant.remove', details: { project: 'iris' } })).toBe('no longer a grant in iris');
    expect(auditDetails({ action: 'token.create', details: { id: 'tk_1', kind: 'user', expiresAt: null } })).toBe('tk_1 (user token), no expiry');
    expect(auditDetails({ action: 'token.create', details: { id: 'tk_2', kind: 'run', run: 'r1', expiresAt: DAY } })).toBe('tk_2 (run token for run r1), expires 3 Dec 2026');
    expect(auditDetails({ action: 'token.revoke', details: { ids: ['tk_1'] } })).toBe('tk_1');
    expect(auditDetails({ action: 'token.revoke', details: { ids: ['tk_1', 'tk_2'], all: true } })).toBe('every live token: tk_1, tk_2');
  });

  it('says what promotions, alias moves, deletions and gc did', () => {
    expect(auditDetails({ action: 'model.promote', details: { toVersion: 3, alias: 'production', fromVersion: 2, run: 'r9', note: 'best so far' } })).toBe(
      'v3 as production (was v2) from run r9: best so far',
    );
    expect(auditDetails({ action: 'model.alias', details: { alias: 'candidate', toVersion: 1 } })).toBe('candidate: added at v1');
    expect(auditDetails({ action: 'model.alias', details: { alias: 'production', fromVersion: 1, toVersion: 2 } })).toBe('production: v1 → v2');
    expect(auditDetails({ action: 'run.delete', details: { name: 'brave-otter', project: 'iris' } })).toBe('brave-otter in iris');
    expect(auditDetails({ action: 'gc', details: { runs: ['a', 'b'], blobsFreed: 5, bytesFreed: 2048 } })).toBe('artifacts of 2 runs: 5 blobs (2.0 KiB) freed');
  });

  it('falls back to the details as they are for anything else', () => {
    expect(auditDetails({ action: 'project.delete', details: { id: 4 } })).toBe('id: 4');
    expect(auditDetails({ action: 'user.role', details: { odd: { a: 1 } } })).toBe('odd: {"a":1}');
  });

  it('links runs and models to their pages', () => {
    expect(auditTargetPage({ action: 'run.delete', target: 'r1' })).toEqual({ kind: 'run', id: 'r1' });
    expect(auditTargetPage({ action: 'model.alias', target: 'iris' })).toEqual({ kind: 'model', id: 'iris' });
    expect(auditTargetPage({ action: 'user.add', target: 'vic' })).toBeNull();
  });

  it('tells a token revoked, expired or active', () => {
    expect(tokenState({ revokedAt: DAY, expiresAt: null }, DAY + 1).state).toBe('revoked');
    expect(tokenState({ revokedAt: null, expiresAt: DAY }, DAY + 1)).toEqual({ state: 'expired', text: 'expired 3 Dec 2026' });
    expect(tokenState({ revokedAt: null, expiresAt: null }, DAY)).toEqual({ state: 'active', text: 'active, no expiry' });
    expect(tokenState({ revokedAt: null, expiresAt: DAY }, DAY - 1).text).toBe('active until 3 Dec 2026');
  });
});
