import { PassThrough, Readable } from 'node:stream';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { z } from 'zod';
import { allChanges, statusReport, runState } from '../cli/commands/history.js';
import { writeSummaryJsonStreaming } from '../cli/plan-changes.js';
import type { LoadedConfig } from '../config/load.js';
import { configuredStores } from '../config/stores.js';
import { readLockHolder } from '../lib/lock.js';
import type { Logger } from '../lib/log.js';
import { SnapshotError, UnpairedFetchError, UsageError } from '../domain/errors.js';
import { explainSku } from '../pipeline/explain.js';
import type { Db } from '../state/db.js';
import { pageHeaders, pageRoutes } from './page-routes.js';
import { getPlan } from '../state/plans.js';
import { getRunRow, getRunSummary, listRuns, resolveRunId, type RunRow } from '../state/runs.js';
import { sameOrigin, sameSecret, type Sessions } from './access.js';
import { bodyError, LoginBody, parseLimit, RunRequestBody, ScheduleBody, type RunJob } from './protocol.js';
import type { Runner, StartResult } from './runner.js';
import type { Schedule, ScheduleState } from './schedule.js';

/**
 * The HTTP API of `invsync serve` (SPEC §13) and the page's static files. Handlers read local
 * state through the same builders as the CLI and start runs through the Runner; no business
 * logic lives here.
 */
export interface ServeDeps {
  loaded: LoadedConfig;
  db: Db;
  runner: Runner;
  schedule?: Schedule;
  token: string;
  sessions: Sessions;
  publicDir: string;
  log: Logger;
}

export const SESSION_COOKIE = 'invsync_session';
const MAX_BODY_BYTES = 16 * 1024;

const NO_SCHEDULE: ScheduleState = { enabled: false, expression: null, nextRunAt: null };

async function readBody<T extends z.ZodType>(c: Context, schema: T): Promise<{ ok: true; value: z.infer<T> } | { ok: false; response: Response }> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return { ok: false, response: c.json({ error: '(body): expected a JSON object (Content-Type: application/json)', field: '(body)' }, 400) };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, response: c.json(bodyError(parsed.error), 400) };
  return { ok: true, value: parsed.data };
}

/** SPEC §13's answer for a run start: 202 { runId }, or 409 with the lock holder or the reason. */
function startAnswer(c: Context, result: StartResult): Response {
  switch (result.kind) {
    case 'started': return c.json({ runId: result.runId }, 202);
    case 'locked': return c.json({ error: 'locked', holder: result.holder, message: result.message }, 409);
    case 'stale': return c.json({ error: 'stale', reason: result.reason }, 409);
    case 'invalid': return c.json({ error: result.message }, 400);
    case 'failed': return c.json({ error: result.message }, 500);
  }
}

export function createApp(deps: ServeDeps): Hono {
  const { loaded, db, runner, sessions, log } = deps;
  const { config } = loaded;
  const app = new Hono();
  const scheduleState = () => deps.schedule?.state() ?? NO_SCHEDULE;

  app.onError((err, c) => {
    log.error({ err }, `${c.req.method} ${c.req.path}: ${err.message}`);
    return c.json({ error: 'internal error (see the server log)' }, 500);
  });

  app.get('/healthz', (c) => c.json({ ok: true }));

  // Every request body here is a few fields: a bigger one is refused before it is read.
  app.use('/api/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `(body): larger than ${MAX_BODY_BYTES} bytes`, field: '(body)' }, 413) }));

  // Auth for every /api route but login: a Bearer token (scripts; no Origin needed), or the
  // session cookie, plus a same-origin check on anything that changes state.
  app.use('/api/*', async (c, next) => {
    if (c.req.path === '/api/login') return next();
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (m && sameSecret(m[1]!, deps.token)) return next();
      return c.json({ error: 'unauthorized: wrong or malformed Authorization: Bearer token' }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    if (!sessions.valid(getCookie(c, SESSION_COOKIE))) {
      return c.json({ error: 'unauthorized: send Authorization: Bearer <token>, or log in (POST /api/login)' }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !originOk(c)) {
      return c.json({ error: 'forbidden: a cookie-authenticated request must come from this server\'s own page (Origin or Referer)' }, 403);
    }
    return next();
  });

  app.post('/api/login', async (c) => {
    // A login from another site's page is refused too (login CSRF).
    if ((c.req.header('origin') !== undefined || c.req.header('referer') !== undefined) && !originOk(c)) {
      return c.json({ error: 'forbidden: log in from this server\'s own page' }, 403);
    }
    const body = await readBody(c, LoginBody);
    if (!body.ok) return body.response;
    if (!sameSecret(body.value.token, deps.token)) return c.json({ error: 'unauthorized: wrong token' }, 401);
    setCookie(c, SESSION_COOKIE, sessions.create(), { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.json({ ok: true });
  });

  app.post('/api/logout', (c) => {
    sessions.end(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.json({ ok: true });
  });

  app.get('/api/status', (c) => c.json({ ...statusReport(loaded, db), schedule: scheduleState() }));

  app.get('/api/runs', (c) => {
    const limit = parseLimit(c.req.query('limit'), 20, 1000);
    if (typeof limit === 'string') return c.json({ error: limit, field: 'limit' }, 400);
    const rows = listRuns(db, limit);
    return c.json(rows.map((r) => ({
      runId: r.id, command: r.command, dryRun: r.dryRun, status: liveState(r, rows), exitCode: r.exitCode, startedAt: r.startedAt, finishedAt: r.finishedAt,
    })));
  });

  app.get('/api/runs/:id', async (c) => {
    const id = resolveRunId(db, c.req.param('id'));
    const row = id === undefined ? undefined : getRunRow(db, id);
    if (!row) return c.json({ error: `no run "${c.req.param('id')}"` }, 404);
    if (row.status === 'running') {
      const status = liveState(row, listRuns(db, 50));
      const active = runner.get(row.id);
      return c.json({
        runId: row.id, command: row.command, dryRun: row.dryRun, status, exitCode: null, startedAt: row.startedAt, finishedAt: null,
        ...(active ? { progress: active.progress } : {}),
      });
    }
    const summary = getRunSummary(db, row.id)!;
    // A huge run's stored summary lists only its first changes: stream them all from its plan (each
    // store's in turn), as `show --format json` does.
    const all = allChanges(db, summary);
    if (!all) return c.json(summary);
    const out = new PassThrough();
    void writeSummaryJsonStreaming(out, summary, all)
      .then(() => out.end(), (err: Error) => out.destroy(err));
    return c.body(Readable.toWeb(out) as ReadableStream, 200, { 'Content-Type': 'application/json; charset=UTF-8' });
  });

  app.post('/api/runs', async (c) => {
    const body = await readBody(c, RunRequestBody);
    if (!body.ok) return body.response;
    const b = body.value;
    if (b.store !== undefined && !configuredStores(config).some((s) => s.name === b.store)) {
      return c.json({ error: `store: no store named "${b.store}" (configured: ${configuredStores(config).map((s) => s.name).join(', ')})`, field: 'store' }, 400);
    }
    const job: RunJob = {
      configFile: loaded.filePath, command: b.command, dryRun: b.dryRun,
      ...(b.limit !== undefined ? { limit: b.limit } : {}), ...(b.offset !== undefined ? { offset: b.offset } : {}),
      ...(b.store !== undefined ? { stores: [b.store] } : {}),
    };
    return startAnswer(c, await runner.start(job));
  });

  app.post('/api/plans/:id/apply', async (c) => {
    const text = c.req.param('id');
    if (!/^\d+$/.test(text) || Number(text) < 1) return c.json({ error: `plan id: expected a whole number ≥ 1, got "${text}"`, field: 'id' }, 400);
    if (!getPlan(db, Number(text))) return c.json({ error: `no plan ${text}` }, 404);
    return startAnswer(c, await runner.start({ configFile: loaded.filePath, command: 'push', dryRun: false, planId: Number(text) }));
  });

  app.get('/api/explain/:sku', async (c) => {
    const sku = c.req.param('sku');
    if (sku.trim() === '') return c.json({ error: 'sku: empty', field: 'sku' }, 400);
    const store = c.req.query('store');
    if (store !== undefined && !configuredStores(config).some((s) => s.name === store)) return c.json({ error: `store: no store named "${store}"`, field: 'store' }, 400);
    try {
      return c.json(await explainSku({ db, config, sku, ...(store !== undefined ? { store } : {}) }));
    } catch (err) {
      // Nothing fetched yet, or no snapshot: the CLI's exit 4/2 answer, as a conflict with its reason.
      if (err instanceof UnpairedFetchError || err instanceof SnapshotError || err instanceof UsageError) return c.json({ error: err.message }, 409);
      throw err;
    }
  });

  app.post('/api/schedule', async (c) => {
    const body = await readBody(c, ScheduleBody);
    if (!body.ok) return body.response;
    if (!deps.schedule) return c.json({ error: 'no schedule: set serve.schedule in the configuration (a cron expression) and restart invsync serve' }, 409);
    return c.json(deps.schedule.setEnabled(body.value.enabled));
  });

  // The page's charts (not in SPEC §13's list; read-only, behind the same auth).
  app.route('/api', pageRoutes(db, { skuCaseSensitive: config.rules.skuCaseSensitive }));

  app.all('/api/*', (c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));

  app.use('/*', pageHeaders);
  app.use('/*', serveStatic({ root: deps.publicDir }));

  return app;

  function originOk(c: Context): boolean {
    return sameOrigin({ origin: c.req.header('origin'), referer: c.req.header('referer'), host: c.req.header('host') });
  }

  /** A run row's state as this server sees it: running only while its process (this server's child, or the lock holder) lives. */
  function liveState(r: RunRow, rows: RunRow[]): string {
    if (r.status !== 'running') return r.status;
    if (runner.get(r.id)) return 'running';
    const holder = readLockHolder(config.stateDir);
    return runState(r, rows, holder !== undefined && !holder.dead);
  }
}

