import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isLoopback, resolveToken, sameOrigin, sameSecret, Sessions } from '../../src/serve/access.js';
import { bodyError, RunRequestBody } from '../../src/serve/protocol.js';
import { refusalResult } from '../../src/serve/runner.js';
import { checkCronExpression } from '../../src/serve/schedule.js';
import { parsePort } from '../../src/cli/commands/serve.js';
import { tempDir } from '../helpers/cli.js';

describe('serve access rules', () => {
  it('localhost, 127.0.0.0/8 and ::1 are loopback; anything else is not', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1']) expect([h, isLoopback(h)]).toEqual([h, true]);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1', 'localhost.example.com', '::ffff:10.0.0.1']) expect([h, isLoopback(h)]).toEqual([h, false]);
  });

  it('same origin: Origin, else Referer, must be http://<Host>; neither is refused', () => {
    expect(sameOrigin({ host: '127.0.0.1:8417', origin: 'http://127.0.0.1:8417' })).toBe(true);
    expect(sameOrigin({ host: '127.0.0.1:8417', origin: 'http://127.0.0.1:8418' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:8417', origin: 'null' })).toBe(false);
    // An Origin present decides, even with a matching Referer.
    expect(sameOrigin({ host: '127.0.0.1:8417', origin: 'http://evil.example', referer: 'http://127.0.0.1:8417/' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:8417', referer: 'http://127.0.0.1:8417/runs?x=1' })).toBe(true);
    expect(sameOrigin({ host: '127.0.0.1:8417', referer: 'not a url' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:8417' })).toBe(false);
    expect(sameOrigin({ origin: 'http://127.0.0.1:8417' })).toBe(false);
  });

  it('sameSecret compares whole secrets, whatever their lengths', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'abc')).toBe(false);
  });

  it('sessions expire and end on logout', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    const id = sessions.create();
    expect(sessions.valid(id)).toBe(true);
    expect(sessions.valid(`${id}x`)).toBe(false);
    expect(sessions.valid(undefined)).toBe(false);
    now = 1000;
    expect(sessions.valid(id)).toBe(false);
    const other = sessions.create();
    sessions.end(other);
    expect(sessions.valid(other)).toBe(false);
  });

  it('the token: configured wins; else generated once into the state dir (0600) and reused; non-loopback needs it', () => {
    const stateDir = path.join(tempDir(), 'state');
    expect(resolveToken({ configured: 'configured-token-123456', stateDir, host: '0.0.0.0' })).toEqual({ token: 'configured-token-123456', generated: false });
    expect(fs.existsSync(stateDir)).toBe(false);
    expect(() => resolveToken({ stateDir, host: '0.0.0.0' })).toThrow('serve.token: required to listen on 0.0.0.0');
    const first = resolveToken({ stateDir, host: '127.0.0.1' });
    expect(first.generated).toBe(true);
    expect(fs.statSync(first.file!).mode & 0o777).toBe(0o600);
    const second = resolveToken({ stateDir, host: 'localhost' });
    expect(second).toEqual({ token: first.token, generated: false, file: first.file });
  });
});

describe('serve request bodies and answers', () => {
  it('POST /api/runs bodies: defaults, and every refusal names its field', () => {
    expect(RunRequestBody.parse({ command: 'full' })).toEqual({ command: 'full', dryRun: false });
    const field = (body: unknown) => { const r = RunRequestBody.safeParse(body); return r.success ? null : bodyError(r.error).field; };
    expect(field({ command: 'x' })).toBe('command');
    expect(field({ command: 'fetch', dryRun: true })).toBe('dryRun');
    expect(field({ command: 'push', limit: 5 })).toBe('limit');
    expect(field({ command: 'full', offset: -1 })).toBe('offset');
    expect(field({ command: 'full', store: '' })).toBe('store');
    expect(field({ command: 'full', extra: true })).toBe('extra');
    expect(field(null)).toBe('(body)');
  });

  it('a child refusal maps to 409 locked (with the holder), 409 stale, 400 or 500', () => {
    expect(refusalResult({ type: 'refused', code: 'INVSYNC_LOCKED', exitCode: 3, message: 'm', holder: { pid: 7, hostname: 'h', command: 'full', startedAt: 't' } }))
      .toEqual({ kind: 'locked', holder: { pid: 7, host: 'h', command: 'full', since: 't' }, message: 'm' });
    expect(refusalResult({ type: 'refused', code: 'INVSYNC_LOCKED', exitCode: 3, message: 'm' })).toMatchObject({ kind: 'locked', holder: null });
    expect(refusalResult({ type: 'refused', code: 'INVSYNC_STALE_PLAN', exitCode: 4, message: 'why' })).toEqual({ kind: 'stale', reason: 'why' });
    expect(refusalResult({ type: 'refused', code: 'INVSYNC_SAFETY', exitCode: 4, message: 'gate' })).toEqual({ kind: 'stale', reason: 'gate' });
    expect(refusalResult({ type: 'refused', code: 'INVSYNC_CONFIG', exitCode: 2, message: 'c' })).toEqual({ kind: 'invalid', message: 'c' });
    expect(refusalResult({ type: 'refused', code: null, exitCode: 5, message: 'x' })).toEqual({ kind: 'failed', message: 'x' });
  });

  it('cron expressions and ports are checked before anything starts', () => {
    expect(() => checkCronExpression('* * * * * *')).not.toThrow();
    expect(() => checkCronExpression('0 2 * * *')).not.toThrow();
    expect(() => checkCronExpression('every tuesday')).toThrow(/^serve\.schedule: not a cron expression/);
    expect(parsePort('0')).toBe(0);
    expect(parsePort('8417')).toBe(8417);
    expect(() => parsePort('65536')).toThrow('--port');
    expect(() => parsePort('-1')).toThrow('--port');
  });
});
