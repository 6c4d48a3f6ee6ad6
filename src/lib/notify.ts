import crypto from 'node:crypto';
import os from 'node:os';
import type { Notify } from '../config/schema.js';
import type { RunSummary } from '../domain/types.js';
import { createHttpClient } from './http.js';
import { logger } from './log.js';
import { registerSecret } from './redact.js';

/**
 * Telling someone how a run went, so a sync that fails — or silently stops running — is noticed:
 *
 * - `notify.webhook`: POST the run summary (JSON, or `{"text": …}` for Slack-compatible
 *   incoming webhooks) for failed, partial and blocked runs, or for every run (`on: "always"`).
 * - `notify.healthcheck`: healthchecks.io pings — `<url>/start` when the run starts, `<url>` when
 *   it succeeds, `<url>/fail` otherwise — so a missing ping raises the alarm on their side.
 *
 * A notification never fails a run: each attempt has a 10 s timeout and at most 2 retries
 * (through the shared HTTP client); a failure is logged as a warning and forgotten.
 */

export interface Notifier {
  /** The run has started (holds the lock): healthcheck /start. Never throws; does not delay the run. */
  start(): void;
  /**
   * The run has finished. Never throws; resolves once every notification is sent or given up.
   * The healthcheck gets its end ping only when `start()` was called for this run.
   */
  finish(summary: RunSummary): Promise<void>;
}

export interface NotifierOptions {
  /** The summary as people read it (healthcheck body, Slack text). */
  describe: (summary: RunSummary) => string;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  hostname?: string;
}

/** Statuses that `on: "problems"` reports. A run refused by the lock is never reported: the run holding it reports. */
const PROBLEMS = new Set<RunSummary['status']>(['failed', 'partial', 'blocked']);

/** Changes sent in a webhook body at most; the rest is counted in `changesOmitted` (`invsync show` has all). */
export const WEBHOOK_MAX_CHANGES = 1000;

/** Whether the webhook fires for this run. Pure. */
export function webhookWanted(on: 'problems' | 'always', status: RunSummary['status']): boolean {
  if (status === 'locked') return false;
  return on === 'always' || PROBLEMS.has(status);
}

export function createNotifier(config: Notify, options: NotifierOptions): Notifier {
  const { webhook, healthcheck } = config;
  if (!webhook && !healthcheck) return { start() {}, async finish() {} };
  const log = logger('notify');
  // Webhook and ping URLs carry their secret in the path (Slack's token, the check's UUID).
  for (const u of [webhook?.url, healthcheck?.url]) if (u) registerSecret(new URL(u).pathname.replace(/\/+$/, ''));
  const http = createHttpClient({ name: 'notify', timeoutMs: options.timeoutMs ?? 10_000, retries: options.retries ?? 2, concurrency: 2 });
  const hostname = options.hostname ?? os.hostname();
  const rid = crypto.randomUUID();
  let started: Promise<void> | null = null;

  const attempt = async (what: string, send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (err) {
      log.warn(`${what} failed (the run itself is not affected): ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  return {
    start() {
      if (!healthcheck) return;
      started = attempt('healthcheck start ping', () => http.text({ method: 'POST', url: pingUrl(healthcheck.url, 'start', rid), body: '' }));
    },
    async finish(summary) {
      const tasks: Array<Promise<void>> = [];
      if (healthcheck && started) {
        tasks.push(started.then(() => attempt('healthcheck ping', () => http.text({
          method: 'POST',
          url: pingUrl(healthcheck.url, summary.exitCode === 0 ? '' : 'fail', rid),
          // healthchecks.io keeps up to 100 kB of body per ping; a short one is all it needs.
          body: truncate(`${options.describe(summary)}\n`, 10_000),
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        }))));
      }
      if (webhook && webhookWanted(webhook.on, summary.status)) {
        const json = webhook.format === 'slack' ? { text: slackText(summary, options.describe(summary), hostname) } : webhookBody(summary, hostname);
        tasks.push(attempt('webhook notification', () => http.text({ method: 'POST', url: webhook.url, json, headers: webhook.headers })));
      }
      await Promise.all(tasks);
    },
  };
}

/** `<url>/start`, `<url>/fail` or `<url>`, with the run id that pairs a start with its end. */
export function pingUrl(base: string, suffix: '' | 'start' | 'fail', rid: string): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${suffix ? `/${suffix}` : ''}`;
  u.searchParams.set('rid', rid);
  return u.toString();
}

/** The SPEC §6 summary plus the host, with at most WEBHOOK_MAX_CHANGES changes. */
export function webhookBody(summary: RunSummary, hostname: string): Record<string, unknown> {
  const omitted = Math.max(0, summary.changes.length - WEBHOOK_MAX_CHANGES);
  return {
    ...summary,
    host: hostname,
    changes: omitted ? summary.changes.slice(0, WEBHOOK_MAX_CHANGES) : summary.changes,
    ...(omitted ? { changesOmitted: omitted } : {}),
  };
}

/** Slack mrkdwn: an emoji and bold headline, then the human summary. */
export function slackText(summary: RunSummary, described: string, hostname: string): string {
  const icon = { ok: ':white_check_mark:', partial: ':warning:', blocked: ':no_entry:', failed: ':x:', locked: ':lock:' }[summary.status];
  const headline = `${icon} *invsync ${summary.command}${summary.dryRun ? ' --dry-run' : ''} ${summary.status.toUpperCase()}* on ${hostname} (exit ${summary.exitCode})`;
  // Slack reads &, < and > as markup: they must be escaped in message text.
  const body = described.split('\n').slice(1).join('\n').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return truncate(`${headline}\n${body}`, 3000);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

