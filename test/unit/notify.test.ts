import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { humanSummary } from '../../src/cli/render.js';
import { Notify } from '../../src/config/schema.js';
import { configureLogging } from '../../src/lib/log.js';
import { createNotifier, webhookWanted, WEBHOOK_MAX_CHANGES } from '../../src/lib/notify.js';
import { change, summaryOf } from '../helpers/summaries.js';
import { startReceiver, type Receiver } from '../fakes/receiver.js';

process.env.INVSYNC_RETRY_BASE_MS = '20';

const receivers: Receiver[] = [];
afterEach(async () => { await Promise.all(receivers.splice(0).map((r) => r.close())); });

let logFile: string;
beforeAll(() => {
  logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-notify-')), 'log.jsonl');
  configureLogging({ level: 'warn', stderrLevel: 'silent', file: logFile });
});
const warnings = () => fs.readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const describe_ = (s: Parameters<typeof humanSummary>[0]) => humanSummary(s);
const failed = () => summaryOf({ status: 'failed', exitCode: 5, message: 'source "feed": HTTP 503', counts: { ...summaryOf().counts, applied: 0, pending: 2 } });

describe('webhook notifications', () => {
  it('fire for failed, partial and blocked runs by default, for every run with on: always, never for a run refused by the lock', () => {
    for (const s of ['failed', 'partial', 'blocked'] as const) expect(webhookWanted('problems', s)).toBe(true);
    expect(webhookWanted('problems', 'ok')).toBe(false);
    expect(webhookWanted('always', 'ok')).toBe(true);
    expect(webhookWanted('always', 'locked')).toBe(false);
  });

  it('POST the run summary JSON (with the host) for a failed run, and nothing for a good one', async () => {
    const hook = await receiver();
    const notifier = createNotifier(Notify.parse({ webhook: { url: `${hook.url}/hooks/abc` } }), { describe: describe_, hostname: 'shop-1' });
    notifier.start();
    await notifier.finish(summaryOf());
    expect(hook.requests).toHaveLength(0);
    await notifier.finish(failed());
    expect(hook.requests).toHaveLength(1);
    const [req] = hook.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/hooks/abc' });
    expect(req!.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(req!.body)).toMatchObject({ runId: failed().runId, status: 'failed', exitCode: 5, host: 'shop-1', counts: { pending: 2 } });
  });

  it('send custom headers, and cap a huge diff so the body stays small', async () => {
    const hook = await receiver();
    const notifier = createNotifier(Notify.parse({ webhook: { url: hook.url, on: 'always', headers: { Authorization: 'Bearer t0ken-123' } } }), { describe: describe_ });
    const changes = Array.from({ length: WEBHOOK_MAX_CHANGES + 5 }, (_, i) => change(`S-${i}`, 1, 2));
    await notifier.finish(summaryOf({ changes }));
    expect(hook.requests[0]!.headers.authorization).toBe('Bearer t0ken-123');
    const body = JSON.parse(hook.requests[0]!.body) as { changes: unknown[]; changesOmitted: number };
    expect(body.changes).toHaveLength(WEBHOOK_MAX_CHANGES);
    expect(body.changesOmitted).toBe(5);
  });

  it('format slack: a Slack-compatible {"text"} payload with the outcome, the summary and the low-stock list', async () => {
    const hook = await receiver();
    const notifier = createNotifier(Notify.parse({ webhook: { url: hook.url, format: 'slack' } }), { describe: describe_, hostname: 'shop-1' });
    await notifier.finish({ ...failed(), lowStock: [{ sku: 'ABC-2', qty: 0 }], message: 'source "feed": <html> & more' });
    const body = JSON.parse(hook.requests[0]!.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['text']);
    const text = body.text as string;
    expect(text.split('\n')[0]).toBe(':x: *invsync full FAILED* on shop-1 (exit 5)');
    expect(text).toContain('Low stock: 1 item(s) at or below the threshold: ABC-2 (0).');
    expect(text).toContain('&lt;html&gt; &amp; more');
  });

  it('a failing receiver is retried at most twice, never fails the caller, and leaves a warning without the URL\'s secret', async () => {
    const hook = await receiver();
    hook.faults.statuses = [500, 502, 503, 504];
    const notifier = createNotifier(Notify.parse({ webhook: { url: `${hook.url}/services/T000/B000/XXXXsecret` } }), { describe: describe_ });
    await expect(notifier.finish(failed())).resolves.toBeUndefined();
    expect(hook.requests).toHaveLength(3);
    const warning = warnings().find((m) => m.startsWith('webhook notification failed'));
    expect(warning).toMatch(/HTTP 503/);
    expect(warning).not.toContain('XXXXsecret');
  });

  it('a receiver that never answers is given up after the timeout', async () => {
    const hook = await receiver();
    hook.faults.hang = true;
    const notifier = createNotifier(Notify.parse({ webhook: { url: hook.url } }), { describe: describe_, timeoutMs: 200, retries: 1 });
    const started = Date.now();
    await notifier.finish(failed());
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hook.requests).toHaveLength(2);
  });
});

describe('healthcheck pings (healthchecks.io convention)', () => {
  it('ping <url>/start when the run starts, then <url> on success, with one run id pairing them', async () => {
    const hc = await receiver();
    const notifier = createNotifier(Notify.parse({ healthcheck: { url: `${hc.url}/ping/0b1c2d3e-uuid/` } }), { describe: describe_ });
    notifier.start();
    await notifier.finish(summaryOf());
    expect(hc.requests.map((r) => r.path)).toEqual(['/ping/0b1c2d3e-uuid/start', '/ping/0b1c2d3e-uuid']);
    const [start, end] = hc.requests;
    expect(start!.query.get('rid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(end!.query.get('rid')).toBe(start!.query.get('rid'));
    expect(end!.body).toContain('✔ invsync full: OK');
  });

  it('ping <url>/fail with a short human body for a failed, partial or blocked run', async () => {
    const hc = await receiver();
    for (const s of [failed(), summaryOf({ status: 'partial', exitCode: 1 }), summaryOf({ status: 'blocked', exitCode: 4 })]) {
      const notifier = createNotifier(Notify.parse({ healthcheck: { url: hc.url } }), { describe: describe_ });
      notifier.start();
      await notifier.finish(s);
    }
    const ends = hc.requests.filter((r) => !r.path.endsWith('/start'));
    expect(ends.map((r) => r.path)).toEqual(['/fail', '/fail', '/fail']);
    expect(ends[0]!.body).toContain('FAILED (exit 5)');
    expect(ends[0]!.body).toContain('source "feed": HTTP 503');
    expect(ends[0]!.body.length).toBeLessThanOrEqual(10_000);
  });

  it('send no end ping for a run that never pinged /start (a dry run, a run refused by the lock)', async () => {
    const hc = await receiver();
    const notifier = createNotifier(Notify.parse({ healthcheck: { url: hc.url } }), { describe: describe_ });
    await notifier.finish(failed());
    expect(hc.requests).toHaveLength(0);
  });

  it('an unreachable ping endpoint only logs a warning', async () => {
    const hc = await receiver();
    const url = hc.url;
    await hc.close();
    receivers.splice(0);
    const notifier = createNotifier(Notify.parse({ healthcheck: { url } }), { describe: describe_, retries: 0 });
    notifier.start();
    await expect(notifier.finish(summaryOf())).resolves.toBeUndefined();
    expect(warnings().some((m) => m.startsWith('healthcheck ping failed') && /ECONNREFUSED/.test(m))).toBe(true);
  });
});

describe('notify config', () => {
  it('defaults to problems-only JSON webhooks; a bad URL is a config error naming its path', () => {
    expect(Notify.parse({ webhook: { url: 'https://hooks.example.com/x' } }).webhook).toEqual({ url: 'https://hooks.example.com/x', on: 'problems', format: 'json' });
    const bad = Notify.safeParse({ healthcheck: { url: 'hc-ping.com/abc' } });
    expect(bad.error?.issues[0]?.path).toEqual(['healthcheck', 'url']);
    expect(Notify.safeParse({ webhook: { url: 'https://x.example', on: 'sometimes' } }).success).toBe(false);
  });

  it('accepts a bare URL string for webhook and healthcheck, standing for { url } with the defaults', () => {
    const parsed = Notify.parse({ webhook: 'https://hooks.example.com/x', healthcheck: 'https://hc-ping.com/0b1c' });
    expect(parsed).toEqual({
      webhook: { url: 'https://hooks.example.com/x', on: 'problems', format: 'json' },
      healthcheck: { url: 'https://hc-ping.com/0b1c' },
    });
    const bad = Notify.safeParse({ healthcheck: 'hc-ping.com/abc' });
    expect(bad.error?.issues[0]?.path).toEqual(['healthcheck', 'url']);
    expect(Notify.safeParse({ webhook: 42 }).success).toBe(false);
  });

  it('a bare healthcheck URL pings like the object form', async () => {
    const hc = await receiver();
    const notifier = createNotifier(Notify.parse({ healthcheck: `${hc.url}/ping/abcd-uuid` }), { describe: describe_ });
    notifier.start();
    await notifier.finish(failed());
    expect(hc.requests.map((r) => r.path)).toEqual(['/ping/abcd-uuid/start', '/ping/abcd-uuid/fail']);
  });
});
