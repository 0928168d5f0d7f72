/**
 * @module services/login-throttle
 * Repeated failed sign-ins slowed down: after 5 failures within 15 minutes for one user
 * name, or from one address, further tries are refused without checking the password,
 * for 30 s, doubling with each failure after that, up to 15 minutes. A success clears
 * the name's count. Kept in the server's memory: each server of a team counts its own.
 */
export const FREE_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60_000;
export const FIRST_LOCK_MS = 30_000;
export const MAX_LOCK_MS = 15 * 60_000;

interface Failures {
  /** Times of the failures within the window. */
  times: number[];
  lockedUntil: number;
}

export class LoginThrottle {
  readonly #byKey = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until any of these keys may try again; 0 when all may. */
  waitMs(keys: readonly string[]): number {
    const now = this.now();
    return Math.max(0, ...keys.map((k) => (this.#byKey.get(k)?.lockedUntil ?? 0) - now));
  }

  failed(keys: readonly string[]): void {
    const now = this.now();
    for (const k of keys) {
      const f = this.#byKey.get(k) ?? { times: [], lockedUntil: 0 };
      f.times = f.times.filter((t) => t > now - FAILURE_WINDOW_MS);
      f.times.push(now);
      const over = f.times.length - FREE_FAILURES;
      if (over >= 0) f.lockedUntil = now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** over);
      this.#byKey.set(k, f);
    }
    this.#forgetOld(now);
  }

  succeeded(key: string): void {
    this.#byKey.delete(key);
  }

  /** Keys whose failures are all out of the window and whose lock is over, dropped: the map stays small. */
  #forgetOld(now: number): void {
    if (this.#byKey.size < 10_000) return;
    for (const [k, f] of this.#byKey) {
      if (f.lockedUntil < now && (f.times.at(-1) ?? 0) < now - FAILURE_WINDOW_MS) this.#byKey.delete(k);
    }
  }
}
