/**
 * `invsync serve` (SPEC §13) from dist/, spoken to with Node's fetch: auth, every endpoint's
 * shape, and a dry run → review → "apply exactly this plan" that writes the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { cleanup, finished, serve, shop, sku, tokenOf } from './helpers.js';

afterEach(cleanup);

describe('invsync serve: auth', () => {
  it('every /api request needs the token; /healthz does not; a wrong Bearer token is 401', async () => {
    const s = await shop(3);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    expect(await srv.api('/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    const none = await srv.api('/api/status');
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/^unauthorized/);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await srv.api('/api/runs')).status).toBe(401);
    expect((await srv.api('/api/runs', { body: { command: 'fetch' } })).status).toBe(401);
    expect((await srv.api('/api/status', { token: `${token}x` })).status).toBe(401);
    expect((await srv.api('/api/status', { headers: { authorization: `Basic ${token}` } })).status).toBe(401);
    expect((await srv.api('/api/status', { token })).status).toBe(200);
  });

  it('login sets an HttpOnly SameSite=Strict session cookie (not the token); cookie POSTs need our Origin; logout ends the session', async () => {
    const s = await shop(3);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    expect((await srv.api('/api/login', { body: { token: 'wrong-token-wrong-token' } })).status).toBe(401);
    expect(await srv.api('/api/login', { body: {} })).toMatchObject({ status: 400, body: { field: 'token' } });
    expect((await srv.api('/api/login', { body: { token }, headers: { origin: 'http://evil.example' } })).status).toBe(403);

    const login = await srv.api('/api/login', { body: { token } });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^invsync_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(token);
    const cookie = setCookie.split(';')[0]!;

    expect((await srv.api('/api/status', { headers: { cookie } })).status).toBe(200);
    // State-changing cookie requests: refused without our Origin/Referer, accepted with it.
    const host = new URL(srv.url).host;
    expect((await srv.api('/api/runs', { body: { command: 'fetch' }, headers: { cookie } })).status).toBe(403);
    expect((await srv.api('/api/runs', { body: { command: 'fetch' }, headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await srv.api('/api/runs', { body: { command: 'fetch' }, headers: { cookie, origin: 'null' } })).status).toBe(403);
    expect((await srv.api('/api/runs', { body: { command: 'fetch' }, headers: { cookie, referer: 'http://evil.example/x' } })).status).toBe(403);
    const viaReferer = await srv.api('/api/runs', { body: { command: 'fetch' }, headers: { cookie, referer: `http://${host}/index.html` } });
    expect(viaReferer.status).toBe(202);
    await finished(srv, token, viaReferer.body.runId);
    const viaOrigin = await srv.api('/api/runs', { body: { command: 'fetch' }, headers: { cookie, origin: `http://${host}` } });
    expect(viaOrigin.status).toBe(202);
    await finished(srv, token, viaOrigin.body.runId);
    // A Bearer request needs no Origin (scripts, curl).
    const bearer = await srv.api('/api/runs', { body: { command: 'fetch' }, token });
    expect(bearer.status).toBe(202);
    await finished(srv, token, bearer.body.runId);

    expect((await srv.api('/api/logout', { method: 'POST', headers: { cookie, origin: `http://${host}` } })).status).toBe(200);
    expect((await srv.api('/api/status', { headers: { cookie } })).status).toBe(401);
  });
});

describe('invsync serve: the API', () => {
  it('dry run via the API → the run until finished → its planId → apply exactly that plan → the store is written', async () => {
    const s = await shop(12);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);

    const dry = await srv.api('/api/runs', { body: { command: 'full', dryRun: true }, token });
    expect(dry.status).toBe(202);
    expect(Object.keys(dry.body)).toEqual(['runId']);
    const dryRun = await finished(srv, token, dry.body.runId);
    expect(dryRun).toMatchObject({ runId: dry.body.runId, command: 'full', dryRun: true, status: 'ok', exitCode: 0, counts: { changed: 12, applied: 0 } });
    expect(typeof dryRun.finishedAt).toBe('string');
    expect(dryRun.changes).toHaveLength(12);
    expect(typeof dryRun.planId).toBe('number');
    expect(s.emu.writeRequests()).toBe(0);
    expect(s.emu.stockBySku().get(sku(1))).toBe(1);

    const apply = await srv.api(`/api/plans/${dryRun.planId}/apply`, { method: 'POST', token });
    expect(apply.status).toBe(202);
    const pushed = await finished(srv, token, apply.body.runId);
    expect(pushed).toMatchObject({ command: 'push', dryRun: false, status: 'ok', exitCode: 0, planId: dryRun.planId, counts: { applied: 12, failed: 0 } });
    for (const [k, want] of s.targets) expect([k, s.emu.stockBySku().get(k)]).toEqual([k, want]);

    // The same plan again: refused with the reason, nothing written.
    const writes = s.emu.writeRequests();
    const again = await srv.api(`/api/plans/${dryRun.planId}/apply`, { method: 'POST', token });
    expect(again).toMatchObject({ status: 409, body: { error: 'stale', reason: `plan ${dryRun.planId} cannot be applied: it is already applied` } });
    expect(s.emu.writeRequests()).toBe(writes);
    expect(await srv.api('/api/plans/9999/apply', { method: 'POST', token })).toMatchObject({ status: 404 });
    expect(await srv.api('/api/plans/x1/apply', { method: 'POST', token })).toMatchObject({ status: 400, body: { field: 'id' } });
  });

  it('the same safety gates: a gate-tripped run is "blocked" (exit 4) with the reason, and its plan cannot be applied', async () => {
    const s = await shop(10);
    // The feed lists 2 of the 10 store SKUs: 80 % missing, above maxMissingRatio (0.3).
    fs.writeFileSync(path.join(s.dir, 'supplier.csv'), `sku,qty\n${sku(1)},5\n${sku(2)},5\n`);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    const run = await srv.api('/api/runs', { body: { command: 'full' }, token });
    expect(run.status).toBe(202);
    const blocked = await finished(srv, token, run.body.runId);
    expect(blocked).toMatchObject({ status: 'blocked', exitCode: 4, safety: { tripped: 'maxMissingRatio' } });
    expect(s.emu.writeRequests()).toBe(0);
    const apply = await srv.api(`/api/plans/${blocked.planId}/apply`, { method: 'POST', token });
    expect(apply.status).toBe(409);
    expect(apply.body).toMatchObject({ error: 'stale', reason: expect.stringMatching(new RegExp(`^plan ${blocked.planId} was blocked by a safety gate \\(maxMissingRatio\\)`)) });
    expect(s.emu.writeRequests()).toBe(0);
  });

  it('a plan made stale by a newer fetch is refused with 409 and the reason (as `push` refuses it)', async () => {
    const s = await shop(4);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    const dry = await finished(srv, token, (await srv.api('/api/runs', { body: { command: 'full', dryRun: true }, token })).body.runId);
    await finished(srv, token, (await srv.api('/api/runs', { body: { command: 'fetch' }, token })).body.runId);
    const stale = await srv.api(`/api/plans/${dry.planId}/apply`, { method: 'POST', token });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toBe('stale');
    expect(stale.body.reason).toMatch(new RegExp(`^plan ${dry.planId} is stale: the store index was refreshed after it was built`));
    expect(s.emu.writeRequests()).toBe(0);
  });

  it('GET /api/status is `status --json` plus the schedule; GET /api/runs lists runs newest first; explain is `explain --json`', async () => {
    const s = await shop(3);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    // Before any fetch: the CLI's refusal (exit 4) with its reason, not an internal error.
    expect(await srv.api(`/api/explain/${sku(2)}`, { token })).toMatchObject({ status: 409, body: { error: 'the store index is empty: run `invsync fetch` first' } });
    const a = await srv.api('/api/runs', { body: { command: 'full', dryRun: true }, token });
    await finished(srv, token, a.body.runId);
    const b = await srv.api('/api/runs', { body: { command: 'match', limit: 2, offset: 1 }, token });
    const match = await finished(srv, token, b.body.runId);
    expect(match.counts.inScope).toBe(2);

    const status = await srv.api('/api/status', { token });
    const cli = JSON.parse((await s.cli(['status', '--json'])).stdout);
    expect(status.body.schedule).toEqual({ enabled: false, expression: null, nextRunAt: null });
    const { schedule: _a, lock: _l1, ...api } = status.body;
    const { schedule: _b, lock: _l2, ...fromCli } = cli;
    expect(api).toEqual(fromCli);
    expect(api.pendingPlan).toMatchObject({ id: match.planId });

    const runs = await srv.api('/api/runs?limit=5', { token });
    expect(runs.body).toEqual([
      { runId: b.body.runId, command: 'match', dryRun: false, status: 'ok', exitCode: 0, startedAt: match.startedAt, finishedAt: match.finishedAt },
      expect.objectContaining({ runId: a.body.runId, command: 'full', dryRun: true, status: 'ok', exitCode: 0 }),
    ]);
    expect((await srv.api('/api/runs?limit=1', { token })).body).toHaveLength(1);
    expect(await srv.api('/api/runs?limit=0', { token })).toMatchObject({ status: 400, body: { field: 'limit' } });
    expect(await srv.api('/api/runs/nope', { token })).toMatchObject({ status: 404 });

    const explain = await srv.api(`/api/explain/${sku(2)}`, { token });
    const explainCli = JSON.parse((await s.cli(['explain', sku(2), '--json'])).stdout);
    expect(explain.status).toBe(200);
    expect(explain.body).toEqual(explainCli);
    expect(explain.body).toMatchObject({ sku: sku(2), target: 12, notWritten: null });
  });

  it('bad bodies are 400 naming the field', async () => {
    const s = await shop(2);
    const srv = await serve(s);
    const token = tokenOf(s.stateDir);
    const bad = async (body: unknown) => (await srv.api('/api/runs', { body, token }));
    expect(await bad({ command: 'nope' })).toMatchObject({ status: 400, body: { field: 'command' } });
    expect(await bad({})).toMatchObject({ status: 400, body: { field: 'command' } });
    expect(await bad({ command: 'full', dryRun: 'yes' })).toMatchObject({ status: 400, body: { field: 'dryRun' } });
    expect(await bad({ command: 'match', dryRun: true })).toMatchObject({ status: 400, body: { field: 'dryRun' } });
    expect(await bad({ command: 'full', limit: 0 })).toMatchObject({ status: 400, body: { field: 'limit' } });
    expect(await bad({ command: 'push', offset: 3 })).toMatchObject({ status: 400, body: { field: 'offset' } });
    expect(await bad({ command: 'full', store: 'other' })).toMatchObject({ status: 400, body: { field: 'store', error: 'store: no store named "other" (configured: store)' } });
    expect(await bad({ command: 'full', surprise: 1 })).toMatchObject({ status: 400, body: { field: 'surprise' } });
    expect(await bad('not json')).toMatchObject({ status: 400, body: { field: '(body)' } });
    expect(await bad({ command: 'full', store: 'x'.repeat(20_000) })).toMatchObject({ status: 413, body: { field: '(body)' } });
    expect(await srv.api('/api/schedule', { body: { enabled: 'no' }, token })).toMatchObject({ status: 400, body: { field: 'enabled' } });
    expect(await srv.api('/api/schedule', { body: { enabled: false }, token })).toMatchObject({ status: 409 });
    expect((await srv.api('/api/runs?limit=5', { token })).body).toEqual([]);
  });

  it('serves the page folder at / with content types', async () => {
    const s = await shop(1);
    const srv = await serve(s);
    const root = await fetch(`${srv.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await root.text()).toContain('<html');
    expect((await fetch(`${srv.url}/index.html`)).headers.get('content-type')).toMatch(/^text\/html/);
    expect((await fetch(`${srv.url}/nope.js`)).status).toBe(404);
    expect((await fetch(`${srv.url}/..%2f..%2fpackage.json`)).status).toBe(404);
  });
});
