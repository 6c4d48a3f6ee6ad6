/**
 * `serve.schedule` (SPEC §13): `full` on a cron expression inside the server, a tick skipped
 * while another run holds the lock, pause and resume through the API, the next run in `status`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startCli, waitCli, waitFor } from '../helpers/cli.js';
import { cleanup, ENV, serve, shop, tokenOf, type Served } from './helpers.js';

afterEach(cleanup);

const EVERY_SECOND = '* * * * * *';

async function runsOf(srv: Served, token: string): Promise<Array<{ runId: string; command: string; status: string }>> {
  return (await srv.api('/api/runs?limit=1000', { token })).body;
}

describe('invsync serve: schedule', () => {
  it('runs full on the schedule; status (API and CLI) shows the next run; POST /api/schedule pauses and resumes', async () => {
    const s = await shop(3, { serve: { schedule: EVERY_SECOND } });
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    let runs: Awaited<ReturnType<typeof runsOf>> = [];
    const poll = async (until: () => boolean) => {
      const end = Date.now() + 30_000;
      for (runs = await runsOf(srv, token); !until(); runs = await runsOf(srv, token)) {
        if (Date.now() > end) throw new Error(`timed out; runs: ${JSON.stringify(runs)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await poll(() => runs.some((r) => r.command === 'full' && r.status === 'ok'));
    for (const [k, want] of s.targets) expect(s.emu.stockBySku().get(k)).toBe(want);

    const status = (await srv.api('/api/status', { token })).body;
    expect(status.schedule).toEqual({ enabled: true, expression: EVERY_SECOND, nextRunAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    const cli = JSON.parse((await s.cli(['status', '--json'])).stdout);
    expect(cli.schedule).toMatchObject({ enabled: true, expression: EVERY_SECOND, pid: srv.child.pid });
    expect((await s.cli(['status'])).stdout).toMatch(new RegExp(`schedule +\\* \\* \\* \\* \\* \\* \\(invsync serve, pid ${srv.child.pid}\\): next run \\d{4}-`));

    const paused = await srv.api('/api/schedule', { body: { enabled: false }, token });
    expect(paused).toMatchObject({ status: 200, body: { enabled: false, expression: EVERY_SECOND, nextRunAt: null } });
    expect((await srv.api('/api/status', { token })).body.schedule).toEqual({ enabled: false, expression: EVERY_SECOND, nextRunAt: null });
    expect(JSON.parse((await s.cli(['status', '--json'])).stdout).schedule).toMatchObject({ enabled: false, nextRunAt: null });
    // Let a run started by a tick just before the pause be recorded and end; then nothing more may start.
    await new Promise((r) => setTimeout(r, 1500));
    await poll(() => runs.every((r) => r.status !== 'running'));
    const before = runs.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(await runsOf(srv, token)).toHaveLength(before);

    const resumed = await srv.api('/api/schedule', { body: { enabled: true }, token });
    expect(resumed.body).toMatchObject({ enabled: true, nextRunAt: expect.any(String) });
    await poll(() => runs.length > before);

    // A stopped server leaves no schedule behind for `status`.
    srv.child.kill('SIGTERM');
    await new Promise((r) => srv.child.once('exit', r));
    expect(JSON.parse((await s.cli(['status', '--json'])).stdout).schedule).toBeNull();
  });

  it('a tick while a CLI run holds the lock is skipped and logged; no run is recorded for it', async () => {
    const s = await shop(4, { serve: { schedule: EVERY_SECOND } });
    const srv = await serve(s, [], { INVSYNC_LOG_LEVEL: 'info' });
    const token = tokenOf(s.stateDir);
    await srv.api('/api/schedule', { body: { enabled: false }, token });
    // A tick that fired just before the pause may still be starting its run child (slow on a loaded
    // machine), which takes the lock only once it is up: wait until no served run has held the lock
    // for five seconds in a row, so the CLI run below is the one holding it.
    const giveUp = Date.now() + 60_000;
    for (let quietSince = Date.now(); Date.now() - quietSince < 5000;) {
      if (Date.now() > giveUp) throw new Error('a served run kept the lock for a minute after the pause');
      const busy = fs.existsSync(path.join(s.stateDir, 'invsync.lock')) || (await runsOf(srv, token)).some((r) => r.status === 'running');
      if (busy) quietSince = Date.now();
      await new Promise((r) => setTimeout(r, 250));
    }
    s.emu.faults.latencyMs = 1200;
    const cli = startCli(['-c', s.config, 'full'], { env: ENV });
    await waitFor(() => s.emu.requests.length > 0);
    await srv.api('/api/schedule', { body: { enabled: true }, token });
    await waitFor(() => /schedule: tick skipped: `invsync full` \(pid \d+ on [^)]+\) holds the lock/.test(srv.stderr()), 20_000);
    await srv.api('/api/schedule', { body: { enabled: false }, token });
    s.emu.faults.latencyMs = 0;
    expect((await waitCli(cli)).code).toBe(0);
    const runs = await runsOf(srv, token);
    expect(runs.filter((r) => r.status === 'locked')).toEqual([]);
    expect(runs.some((r) => r.command === 'full' && r.status === 'ok')).toBe(true);
  });

  it('a lock left by a killed CLI run does not stop the schedule: the next tick takes it over and runs', async () => {
    const s = await shop(3, { serve: { schedule: EVERY_SECOND } });
    const srv = await serve(s, [], { INVSYNC_LOG_LEVEL: 'info' });
    const token = tokenOf(s.stateDir);
    await srv.api('/api/schedule', { body: { enabled: false }, token });
    const poll = async (ok: () => Promise<boolean>, ms: number) => {
      for (const end = Date.now() + ms; !(await ok());) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await poll(async () => !fs.existsSync(path.join(s.stateDir, 'invsync.lock')) && !(await runsOf(srv, token)).some((r) => r.status === 'running'), 60_000);
    // What kill -9 of `invsync full` leaves: the lock directory and a holder record whose process is gone.
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    fs.mkdirSync(path.join(s.stateDir, 'invsync.lock'));
    const lockIno = fs.statSync(path.join(s.stateDir, 'invsync.lock')).ino;
    fs.writeFileSync(path.join(s.stateDir, 'lock-holder.json'), JSON.stringify({ pid: dead, hostname: os.hostname(), command: 'full', startedAt: new Date().toISOString(), lockIno }));
    const before = new Set((await runsOf(srv, token)).map((r) => r.runId));
    await srv.api('/api/schedule', { body: { enabled: true }, token });
    await poll(async () => (await runsOf(srv, token)).some((r) => !before.has(r.runId) && r.command === 'full' && r.status === 'ok'), 30_000);
    await srv.api('/api/schedule', { body: { enabled: false }, token });
    expect(srv.stderr()).not.toMatch(/schedule: tick skipped: `invsync full` \(pid \d+ on [^)]+\) holds the lock/);
  });
});
