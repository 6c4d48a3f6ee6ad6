/**
 * Starting `invsync serve`: the token (generated 0600 and printed once, or from serve.token),
 * the loopback rule, a busy port, bad options — each a clear error with exit 2.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { runCli } from '../helpers/cli.js';
import { cleanup, ENV, exited, serve, shop } from './helpers.js';

afterEach(cleanup);

/** Run `use` with a port another server on 127.0.0.1 is listening on. */
async function withBusyPort(use: (port: number) => Promise<void>): Promise<void> {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  try {
    await use((blocker.address() as net.AddressInfo).port);
  } finally {
    blocker.close();
  }
}

describe('invsync serve: start-up', () => {
  it('generates the token into <stateDir>/serve.token (0600) and prints it only the first time', async () => {
    const s = await shop(1);
    const first = await serve(s);
    const file = path.join(s.stateDir, 'serve.token');
    const token = fs.readFileSync(file, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.stdout()).toContain(`API token (shown once; kept in ${file}): ${token}`);
    expect(first.stderr()).not.toContain(token);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);

    const second = await serve(s);
    expect(second.stdout()).not.toContain(token);
    expect(second.stdout()).toMatch(/^invsync serve: listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    expect((await second.api('/api/status', { token })).status).toBe(200);
  });

  it('serve.token may be an ${ENV} reference: no token file, never printed, and a non-loopback host is allowed', async () => {
    const s = await shop(1, { serve: { token: '${INVSYNC_SERVE_TOKEN}' } });
    const token = 'a-long-enough-serve-token-0123456789';
    const srv = await serve(s, ['--host', '0.0.0.0'], { INVSYNC_SERVE_TOKEN: token });
    expect(srv.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(fs.existsSync(path.join(s.stateDir, 'serve.token'))).toBe(false);
    expect(srv.stdout() + srv.stderr()).not.toContain(token);
    const port = new URL(srv.url).port;
    const res = await fetch(`http://127.0.0.1:${port}/api/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it('a non-loopback host without serve.token is a configuration error (exit 2), nothing listens and no token is made', async () => {
    const s = await shop(1);
    const result = await runCli(['-c', s.config, 'serve', '--host', '0.0.0.0', '--port', '0'], { env: ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('serve.token: required to listen on 0.0.0.0, which is not a loopback address');
    expect(result.stdout).toBe('');
    expect(fs.existsSync(path.join(s.stateDir, 'serve.token'))).toBe(false);
  });

  it('a busy port is a clear error (exit 2)', async () => {
    const s = await shop(1);
    await withBusyPort(async (port) => {
      const result = await runCli(['-c', s.config, 'serve', '--port', String(port)], { env: ENV });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--port: ${port} on 127.0.0.1 is already in use`);
    });
  });

  it('a start that fails on a busy port leaves no unshown token behind: the next start prints one', async () => {
    const s = await shop(1);
    await withBusyPort(async (port) => {
      expect((await runCli(['-c', s.config, 'serve', '--port', String(port)], { env: ENV })).code).toBe(2);
    });
    const file = path.join(s.stateDir, 'serve.token');
    expect(fs.existsSync(file)).toBe(false);
    const next = await serve(s);
    expect(next.stdout()).toContain(`API token (shown once; kept in ${file}): ${fs.readFileSync(file, 'utf8').trim()}`);
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
  });

  it('a bad --port or serve.schedule is exit 2 naming it', async () => {
    const s = await shop(1, { serve: { schedule: 'every tuesday' } });
    const badPort = await runCli(['-c', s.config, 'serve', '--port', '70000'], { env: ENV });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port: expected a port number from 0 to 65535, got \\"70000\\"');
    const badSchedule = await runCli(['-c', s.config, 'serve', '--port', '0'], { env: ENV });
    expect(badSchedule.code).toBe(2);
    expect(badSchedule.stderr).toContain('serve.schedule: not a cron expression');
    expect(fs.existsSync(path.join(s.stateDir, 'serve.token'))).toBe(false);
    const short = await shop(1, { serve: { token: 'short' } });
    const badToken = await runCli(['-c', short.config, 'serve', '--port', '0'], { env: ENV });
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toContain('serve.token: at least 16 characters');
  });
});
