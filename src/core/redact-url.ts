/**
 * @module core/redact-url
 * Repository URLs as they may be shown: a link's URL can carry the credentials the server
 * fetches with, and no message, record or screen should.
 */
/**
 * The URL with any password or token in its user-info replaced by `***`, for recording and
 * messages: `https://oauth2:TOKEN@host/x` → `https://oauth2:***@host/x`. A user without a
 * password is kept in ssh-style URLs (`git@host:x`, `ssh://git@host/x`) but hidden in
 * http(s) ones, where a lone user is often a token (`https://TOKEN@github.com/x`).
 */
export function redactRepositoryUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!m) return url;
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const userInfo = authority.slice(0, at);
  const colon = userInfo.indexOf(':');
  let redacted: string;
  if (colon >= 0) redacted = `${userInfo.slice(0, colon)}:***`;
  else if (/^https?$/i.test(m[1]!)) redacted = '***';
  else return url;
  const start = m[1]!.length + 3;
  return `${url.slice(0, start)}${redacted}${url.slice(start + at)}`;
}
