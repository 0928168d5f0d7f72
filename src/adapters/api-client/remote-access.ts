/**
 * @module adapters/api-client/remote-access
 * `reprise users`, `tokens` and `audit` through a server (REPRISE_SERVER): each a request
 * to its API, made as the holder of REPRISE_TOKEN, whose role the server checks.
 */
import type { AuditEntry, Role, TokenRecord } from '../../core/access.js';
import type { AccessCommands, CreatedToken, UserView } from '../../services/access-service.js';
import type { AuditQuery } from '../../services/audit-trail.js';
import type { ApiClient } from './api-client.js';

const path = (name: string): string => `/users/${encodeURIComponent(name)}`;

export class RemoteAccess implements AccessCommands {
  constructor(private readonly api: ApiClient) {}

  addUser(o: { name: string; role: Role; password?: string; by: string }): Promise<UserView> {
    return this.api.json<UserView>({ method: 'POST', path: '/users', json: o });
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.api.json<{ users: UserView[] }>({ method: 'GET', path: '/users' })).users;
  }

  setRole(name: string, role: Role, by: string): Promise<UserView> {
    return this.api.json<UserView>({ method: 'PATCH', path: path(name), json: { role, by } });
  }

  setDisabled(name: string, disabled: boolean, by: string): Promise<UserView> {
    return this.api.json<UserView>({ method: 'PATCH', path: path(name), json: { disabled, by } });
  }

  setPassword(name: string, password: string | null, by: string): Promise<UserView> {
    return this.api.json<UserView>({ method: 'PATCH', path: path(name), json: { password, by } });
  }

  grant(name: string, project: string, role: Role | null, by: string): Promise<UserView> {
    const at = `${path(name)}/grants/${encodeURIComponent(project)}`;
    return role === null ? this.api.json<UserView>({ method: 'DELETE', path: `${at}?by=${encodeURIComponent(by)}` }) : this.api.json<UserView>({ method: 'PUT', path: at, json: { role, by } });
  }

  createToken(o: { user?: string; by: string; expiresInMs?: number; description?: string; runId?: string }): Promise<CreatedToken> {
    return this.api.json<CreatedToken>({
      method: 'POST',
      path: '/tokens',
      json: {
        ...(o.user !== undefined ? { user: o.user } : {}),
        by: o.by,
        ...(o.expiresInMs !== undefined ? { expiresIn: `${o.expiresInMs / 1000}s` } : {}),
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(o.runId !== undefined ? { runId: o.runId } : {}),
      },
    });
  }

  /** Without user or all: the caller's own. */
  async listTokens(query: { user?: string; all?: boolean; includeRevoked?: boolean } = {}): Promise<TokenRecord[]> {
    const q = new URLSearchParams();
    if (query.user !== undefined) q.set('user', query.user);
    else if (query.all) q.set('all', 'true');
    if (query.includeRevoked) q.set('revoked', 'true');
    return (await this.api.json<{ tokens: TokenRecord[] }>({ method: 'GET', path: `/tokens?${q}` })).tokens;
  }

  async revoke(textOrId: string, by: string): Promise<TokenRecord> {
    return (await this.api.json<{ revoked: TokenRecord[] }>({ method: 'POST', path: '/tokens/revoke', json: { token: textOrId, by } })).revoked[0]!;
  }

  async revokeAllOf(user: string, by: string): Promise<TokenRecord[]> {
    return (await this.api.json<{ revoked: TokenRecord[] }>({ method: 'POST', path: '/tokens/revoke', json: { user, all: true, by } })).revoked;
  }

  async auditLog(q: AuditQuery): Promise<AuditEntry[]> {
    const s = new URLSearchParams({ limit: String(q.limit) });
    if (q.before !== undefined) s.set('before', String(q.before));
    if (q.by !== undefined) s.set('by', q.by);
    if (q.action !== undefined) s.set('action', q.action);
    return (await this.api.json<{ entries: AuditEntry[] }>({ method: 'GET', path: `/audit?${s}` })).entries;
  }
}
