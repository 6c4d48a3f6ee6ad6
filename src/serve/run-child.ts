import { runCommand, type CommandSpec } from '../cli/context.js';
import { checkStoreNames, runOnStores } from '../cli/stores.js';
import { configuredStores, isMultiStore } from '../config/stores.js';
import { InvsyncError, LockedError, StalePlanError } from '../domain/errors.js';
import type { RunProgress } from '../lib/progress.js';
import { logger } from '../lib/log.js';
import type { PipelineRequest } from '../pipeline/run.js';
import { assertApplicable } from '../pipeline/steps.js';
import { SummaryBuilder } from '../pipeline/summary.js';
import { getPlan } from '../state/plans.js';
import { exitCodeFor } from '../cli/exit-codes.js';
import { RunJob, type ChildMessage, type RunProgressCounts } from './protocol.js';

/**
 * One served run, in its own process (forked by the server): exactly the CLI's run — the same
 * runCommand (config, lock, run record, hooks, notifications) and the same pipeline entry — so a
 * crash or kill -9 here never takes the server down, and a server crash never stops this run
 * half-way: it finishes (or, killed, is resumed by the next run) like a CLI run.
 *
 * It tells the server, over IPC, `started` (lock held, run recorded: the runId) or `refused`,
 * then progress, then `finished`. A server that is gone is simply not told.
 */

function send(message: ChildMessage): void {
  // The callback takes the error of a channel the killed server left half-closed: without it, Node
  // raises it as an 'error' event on `process`, which would kill this run half-way.
  if (process.connected && process.send) process.send(message, undefined, {}, () => {});
}

/** Progress counts for the server, sent at most every `intervalMs`. */
function ipcProgress(intervalMs = 250): RunProgress {
  const counts: RunProgressCounts = { sourceItems: 0, batchesDone: 0, batchesTotal: 0 };
  let last = 0;
  const flush = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < intervalMs) return;
    last = now;
    send({ type: 'progress', progress: { ...counts } });
  };
  return {
    enabled: true,
    sourceItem() { counts.sourceItems++; flush(false); },
    batch(done, total) { counts.batchesDone = done; counts.batchesTotal = total; flush(false); },
    stop() { flush(true); },
  };
}

export async function runJob(job: RunJob): Promise<number> {
  let stores = job.stores;
  const window = { ...(job.limit !== undefined ? { limit: job.limit } : {}), ...(job.offset !== undefined ? { offset: job.offset } : {}) };
  const request: PipelineRequest = job.command === 'fetch' ? { command: 'fetch' }
    : job.command === 'match' ? { command: 'match', window }
      : job.command === 'push' ? { command: 'push', dryRun: job.dryRun, ...(job.planId !== undefined ? { planId: job.planId } : {}) }
        : { command: 'full', window, dryRun: job.dryRun };
  const spec: CommandSpec = {
    name: job.command,
    mutating: true,
    dryRun: job.dryRun,
    check: (loaded) => checkStoreNames(loaded, stores),
    ...(job.planId !== undefined ? {
      // "Apply exactly this plan": refused before the run starts when push would refuse it.
      preflight: (loaded, db) => {
        const plan = getPlan(db, job.planId!);
        if (!plan) throw new StalePlanError(`no plan ${job.planId} in this state directory`);
        const setup = configuredStores(loaded.config).find((s) => s.name === plan.store);
        if (!setup) throw new StalePlanError(`plan ${plan.id} is for store "${plan.store}", which is no longer configured`);
        assertApplicable({ db, config: loaded.config, log: logger('serve') }, {
          setup, checksum: loaded.storeChecksum(setup.name), summary: new SummaryBuilder('', 'push', false),
        }, plan.id);
        if (isMultiStore(loaded.config)) stores = [plan.store];
      },
    } : {}),
  };
  return runCommand({ config: job.configFile, json: false, progress: false, logLevel: job.logLevel }, spec, (ctx) => runOnStores(ctx, stores, request), {
    progress: ipcProgress(),
    started: (runId) => send({ type: 'started', runId }),
    refused: (err) => send({
      type: 'refused',
      code: err instanceof InvsyncError ? err.code : null,
      exitCode: exitCodeFor(err),
      message: err instanceof Error ? err.message : String(err),
      ...(err instanceof LockedError && err.holder ? { holder: err.holder } : {}),
    }),
  });
}

async function main(): Promise<void> {
  let raw: unknown = null;
  try { raw = JSON.parse(process.argv[2] ?? 'null'); } catch { /* refused below */ }
  const parsed = RunJob.safeParse(raw);
  if (!parsed.success) {
    send({ type: 'refused', code: 'INVSYNC_USAGE', exitCode: 2, message: `bad run job: ${parsed.error.issues[0]?.message}` });
    process.exit(2);
  }
  const code = await runJob(parsed.data).catch((err: unknown) => {
    process.stderr.write(`invsync serve run: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 5;
  });
  send({ type: 'finished', exitCode: code });
  // Keep-alive sockets must not hold the run open (as in cli/main.ts).
  process.exitCode = code;
  setTimeout(() => process.exit(code), 20).unref();
  if (process.connected) process.disconnect();
}

await main();
