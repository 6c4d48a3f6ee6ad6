import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { ownerOnly, secureStateDir } from '../lib/owner-only.js';
import { replaceFileSync } from '../lib/replace-file.js';

/** Who may use the server: the token, where it comes from, and which hosts count as loopback. */

export const TOKEN_FILE = 'serve.token';

/** `localhost`, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address) are loopback (SPEC §13). Pure. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/**
 * The API token: `serve.token` from the config, else `<stateDir>/serve.token`, created (0600,
 * atomically) on first start. `generated` is true only when it was created now (it is printed
 * once, then). A non-loopback bind without `serve.token` is a configuration error (exit 2): a
 * token sitting in a file is fine on one machine, not as the only guard of a network service.
 */
export function resolveToken(options: { configured?: string; stateDir: string; host: string }): { token: string; generated: boolean; file?: string } {
  if (options.configured !== undefined) return { token: options.configured, generated: false };
  if (!isLoopback(options.host)) {
    throw new ConfigError(`required to listen on ${options.host}, which is not a loopback address: set it (e.g. "\${INVSYNC_SERVE_TOKEN}"), or listen on 127.0.0.1`, 'serve.token');
  }
  secureStateDir(options.stateDir);
  const file = path.join(options.stateDir, TOKEN_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) {
      ownerOnly(file);
      return { token: existing, generated: false, file };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'serve.token');
  }
  const token = crypto.randomBytes(24).toString('base64url');
  replaceFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file };
}

/** Compare a presented secret with the expected one in constant time (hashes: equal lengths whatever is presented). */
export function sameSecret(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * Browser sessions: a random id per login, kept in memory (a restart logs everyone out), so the
 * cookie never carries the token itself. Sessions expire after `ttlMs` (default 12 h).
 */
export class Sessions {
  private readonly sessions = new Map<string, number>();
  constructor(private readonly ttlMs = 12 * 3_600_000, private readonly now: () => number = Date.now) {}

  create(): string {
    this.prune();
    const id = crypto.randomBytes(32).toString('base64url');
    this.sessions.set(id, this.now() + this.ttlMs);
    return id;
  }

  valid(id: string | undefined): boolean {
    if (!id) return false;
    const expires = this.sessions.get(id);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, expires] of this.sessions) if (expires <= now) this.sessions.delete(id);
  }
}

/**
 * A cookie-authenticated state-changing request must come from the server's own page: its
 * `Origin` (or, without one, `Referer`) must be `http://<the Host it was sent to>`. Pure.
 * NOTE: the Host header is what the browser connected to; a page on another site cannot make a
 * browser send our SameSite=Strict cookie, and this check refuses whatever else gets through.
 */
export function sameOrigin(headers: { origin?: string; referer?: string; host?: string }): boolean {
  if (!headers.host) return false;
  const own = `http://${headers.host}`.toLowerCase();
  if (headers.origin !== undefined) return headers.origin.toLowerCase() === own;
  if (headers.referer === undefined) return false;
  try {
    return new URL(headers.referer).origin.toLowerCase() === own;
  } catch {
    return false;
  }
}
