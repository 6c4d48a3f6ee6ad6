/**
 * Served runs are the CLI's runs (SPEC §13, issue 17 point 2): the same lock both ways, and a
 * kill -9 of the run or of the server never corrupts anything — the run finishes or resumes
 * exactly like a killed CLI run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startCli, waitCli, waitFor } from '../helpers/cli.js';
import { startReceiver } from '../fakes/receiver.js';
import { cleanup, ENV, exited, finished, serve, shop, tokenOf } from './helpers.js';

afterEach(cleanup);

const lockDir = (stateDir: string) => path.join(stateDir, 'invsync.lock');
const holderPid = (stateDir: string): number | undefined => {
  try { return (JSON.parse(fs.readFileSync(path.join(stateDir, 'lock-holder.json'), 'utf8')) as { pid: number }).pid; } catch { return undefined; }
};

/**
 * A shop of n items served, the store answering each request after `latencyMs`, and a `full`
 * started through the API (202). `overrides` go into the config, `store` into its store entry.
 */
async function servedFull(n: number, latencyMs: number, overrides: Record<string, unknown> = {}, store: Record<string, unknown> = {}) {
  const s = await shop(n, overrides, store);
  const srv = await serve(s);
  const token = tokenOf(s.stateDir);
  s.emu.faults.latencyMs = latencyMs;
  const run = await srv.api('/api/runs', { body: { command: 'full' }, token });
  expect(run.status).toBe(202);
  return { s, srv, token, runId: run.body.runId as string };
}

describe('invsync serve: the same lock as the CLI', () => {
  it('a served run while a CLI run holds the lock gets 409 with the holder, and no run is recorded for it', async () => {
    const s = await shop(6);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    s.emu.faults.latencyMs = 6000;
    const cli = startCli(['-c', s.config, 'full'], { env: ENV });
    await waitFor(() => s.emu.requests.length > 0 && holderPid(s.stateDir) === cli.pid);
    const refused = await srv.api('/api/runs', { body: { command: 'full' }, token });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('locked');
    expect(refused.body.holder).toEqual({ pid: cli.pid, host: expect.any(String), command: 'full', since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    s.emu.faults.latencyMs = 0;
    expect((await waitCli(cli)).code).toBe(0);
    const runs = (await srv.api('/api/runs', { token })).body;
    expect(runs.map((r: { command: string; status: string }) => [r.command, r.status])).toEqual([['full', 'ok']]);
  });

  it('a CLI run while a served run holds the lock exits 3; the served run shows "running" with progress, then finishes', async () => {
    const { s, srv, token, runId } = await servedFull(6, 1500);
    const during = await srv.api(`/api/runs/${runId}`, { token });
    expect(during.body).toMatchObject({ runId, command: 'full', dryRun: false, status: 'running', finishedAt: null });
    expect(during.body.progress).toEqual({ sourceItems: expect.any(Number), batchesDone: expect.any(Number), batchesTotal: expect.any(Number) });
    const cli = await s.cli(['full', '--json']);
    expect(cli.code).toBe(3);
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'locked', exitCode: 3 });
    s.emu.faults.latencyMs = 0;
    const done = await finished(srv, token, runId);
    expect(done).toMatchObject({ status: 'ok', exitCode: 0, counts: { applied: 6 } });
    for (const [k, want] of s.targets) expect(s.emu.stockBySku().get(k)).toBe(want);
  });
});

describe('invsync serve: the same hooks as the CLI', () => {
  it('a served run notifies (webhook, healthcheck) exactly like a CLI run; a run refused by the lock notifies nothing', async () => {
    const hook = await startReceiver();
    const hc = await startReceiver();
    try {
      const { s, srv, token, runId } = await servedFull(3, 0, { notify: { webhook: { url: `${hook.url}/hook`, on: 'always' }, healthcheck: { url: `${hc.url}/ping` } } });
      await finished(srv, token, runId);
      await hook.waitFor(1);
      expect(JSON.parse(hook.requests[0]!.body)).toMatchObject({ runId, command: 'full', status: 'ok', exitCode: 0 });
      await hc.waitFor(2);
      expect(hc.requests.map((r) => r.path)).toEqual(['/ping/start', '/ping']);

      // Slow enough that the CLI still holds the lock when the server's run child (slow to start on a
      // loaded machine) asks for it.
      s.emu.faults.latencyMs = 6000;
      const cli = startCli(['-c', s.config, 'full'], { env: ENV });
      await waitFor(() => holderPid(s.stateDir) === cli.pid);
      expect((await srv.api('/api/runs', { body: { command: 'full' }, token })).status).toBe(409);
      s.emu.faults.latencyMs = 0;
      expect((await waitCli(cli)).code).toBe(0);
      await hook.waitFor(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(hook.requests.map((r) => (JSON.parse(r.body) as { status: string }).status)).toEqual(['ok', 'ok']);
    } finally {
      await hook.close();
      await hc.close();
    }
  });
});

describe('invsync serve: kill -9', () => {
  it('kill -9 of the run child leaves the server answering; the run shows "interrupted" and the next run resumes its journal', async () => {
    const { s, srv, token, runId } = await servedFull(30, 0, {}, { batchSize: 5 });
    // Slow the writes down, then kill the run in the middle of its push.
    s.emu.faults.latencyMs = 400;
    await waitFor(() => s.emu.writeRequests() >= 2, 30_000);
    const pid = holderPid(s.stateDir)!;
    expect(pid).not.toBe(srv.child.pid);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => { try { process.kill(pid, 0); return false; } catch { return true; } });
    s.emu.faults.latencyMs = 0;

    expect((await srv.api('/healthz')).status).toBe(200);
    const killed = await finished(srv, token, runId);
    expect(killed).toMatchObject({ runId, status: 'interrupted', finishedAt: null });
    const applied = [...s.emu.stockBySku()].filter(([k, q]) => q === s.targets.get(k)).length;
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(30);

    const resume = await srv.api('/api/runs', { body: { command: 'push' }, token });
    expect(resume.status).toBe(202);
    const resumed = await finished(srv, token, resume.body.runId);
    expect(resumed).toMatchObject({ status: 'ok', exitCode: 0, counts: { failed: 0, pending: 0 } });
    expect(resumed.counts.applied).toBe(30);
    for (const [k, want] of s.targets) expect([k, s.emu.stockBySku().get(k)]).toEqual([k, want]);
    // Nothing was applied twice: each item written once (30 items / 5 per batch, plus the batch in flight when killed at most).
    const itemsWritten = s.emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/batch') && r.status === 200).reduce((n, r) => n + (r.items ?? 0), 0);
    expect(itemsWritten).toBeLessThanOrEqual(35);
  });

  it('kill -9 of the server while a run runs: the run finishes on its own and the state is whole', async () => {
    const { s, srv, runId } = await servedFull(10, 800);
    await waitFor(() => s.emu.requests.length > 0);
    srv.child.kill('SIGKILL');
    await exited(srv.child);
    // The run (its own process) goes on: the lock is released once it has finished.
    s.emu.faults.latencyMs = 0;
    await waitFor(() => !fs.existsSync(lockDir(s.stateDir)), 40_000);
    for (const [k, want] of s.targets) expect([k, s.emu.stockBySku().get(k)]).toEqual([k, want]);
    const status = JSON.parse((await s.cli(['status', '--json'])).stdout);
    expect(status.lock).toBeNull();
    expect(status.pendingPlan).toBeNull();
    expect(status.lastRuns[0]).toMatchObject({ id: runId, command: 'full', status: 'ok', exitCode: 0 });
    const again = await s.cli(['full', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).counts.changed).toBe(0);
  });
});

describe('invsync serve: stopping', () => {
  it('SIGTERM lets the run in progress finish, then exits 0', async () => {
    const { s, srv } = await servedFull(4, 700);
    await waitFor(() => s.emu.requests.length > 0);
    srv.child.kill('SIGTERM');
    expect(await exited(srv.child)).toBe(0);
    expect(fs.existsSync(lockDir(s.stateDir))).toBe(false);
    for (const [k, want] of s.targets) expect(s.emu.stockBySku().get(k)).toBe(want);
  });
});
