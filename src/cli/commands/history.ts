import { Option, type Command } from 'commander';
import { UsageError } from '../../domain/errors.js';
import { readLockHolder, type LockHolder } from '../../lib/lock.js';
import { lastSuccessAt } from '../../lib/metrics.js';
import { fmtDuration } from '../../lib/progress.js';
import { latestPushablePlan, statusCounts } from '../../state/plans.js';
import { getRunSummary, listRuns, storesOutcome, type RunRow } from '../../state/runs.js';
import { lastSuccessfulFetch } from '../../state/source-history.js';
import { getIndexMeta } from '../../state/store-index.js';
import { runCommand, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { isTruncated, planChanges, writeCsvStreaming, writeSummaryJsonStreaming } from '../plan-changes.js';
import { humanSummary, renderCsv, renderDiffTable } from '../render.js';
import { checkStoreNames, collectStore } from '../stores.js';
import { configuredStores, selectStores } from '../../config/stores.js';
import type { RunSummary, SummaryChange } from '../../domain/types.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Db } from '../../state/db.js';
import { readServedSchedule, type ServedSchedule } from '../../serve/schedule-file.js';

type Globals = () => GlobalOptions;

/** Read-only commands over the state dir: they never take the lock and record no run. */
export function registerHistoryCommands(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('status')
    .description('last runs, pending plan, lock holder and age, store index, last successful sync per source')
    .option('--store <name>', 'only this store (repeatable)', collectStore)
    .addHelpText('after', '\nExamples:\n  $ invsync status\n  $ invsync status --json | jq .lastSuccess')
    .action(async (opts: { store?: string[] }) => {
      exit(await runCommand({ ...globals(), json: false }, { name: 'status', mutating: false, quiet: true, check: (l) => checkStoreNames(l, opts.store) }, async (ctx) => {
        const status = statusReport(ctx.loaded, ctx.db, opts.store);
        if (globals().json) { ctx.out.write(`${JSON.stringify(status, null, 2)}\n`); return EXIT.ok; }
        ctx.out.write(`${statusLines(status, ctx.loaded).join('\n')}\n`);
        return EXIT.ok;
      }));
    });

  program.command('runs')
    .description('run history, newest first')
    .option('-n, --last <n>', 'how many runs', '20')
    .option('--store <name>', 'only runs that worked on this store (repeatable)', collectStore)
    .addHelpText('after', '\nExamples:\n  $ invsync runs -n 5\n  $ invsync runs --json')
    .action(async (opts: { last: string; store?: string[] }) => {
      exit(await runCommand({ ...globals(), json: false }, { name: 'runs', mutating: false, quiet: true, check: (l) => checkStoreNames(l, opts.store) }, async (ctx) => {
        const n = Number(opts.last);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--last: expected a whole number ≥ 1, got "${opts.last}"`);
        const all = listRuns(ctx.db, n, opts.store);
        const holder = readLockHolder(ctx.loaded.config.stateDir);
        const locked = holder !== undefined && !holder.dead;
        const runs = all.map((r) => ({ ...r, status: runState(r, all, locked) }));
        if (globals().json) ctx.out.write(`${JSON.stringify(runs, null, 2)}\n`);
        else ctx.out.write(runs.length ? `${runsTable(runs).join('\n')}\n` : 'no runs yet\n');
        return EXIT.ok;
      }));
    });

  program.command('show <run>')
    .description('a run\'s diff and summary (run id, unique prefix, or "last")')
    .addOption(new Option('--format <format>', 'table (diff and summary), json (the stored run summary) or csv (the diff)').choices(['table', 'json', 'csv']))
    .option('--store <name>', 'only this store\'s part of the run (repeatable)', collectStore)
    .addHelpText('after', '\nExamples:\n  $ invsync show last\n  $ invsync show 2026-11-22T02 --format csv > changes.csv\n  $ invsync show last --format json | jq .counts')
    .action(async (run: string, opts: { format?: 'table' | 'json' | 'csv'; store?: string[] }) => {
      exit(await runCommand({ ...globals(), json: false }, { name: 'show', mutating: false, quiet: true, check: (l) => checkStoreNames(l, opts.store) }, async (ctx) => {
        const multi = ctx.loaded.config.stores !== undefined;
        const stored = getRunSummary(ctx.db, run, multi ? opts.store : undefined);
        if (!stored) throw new UsageError(`no run "${run}"${multi && opts.store ? ` of store ${opts.store.map((n) => `"${n}"`).join(', ')}` : ''} (see \`invsync runs${multi && opts.store ? opts.store.map((n) => ` --store ${n}`).join('') : ''}\`; a prefix must match exactly one run)`);
        const summary = opts.store ? storePart(stored, opts.store) : stored;
        const format = opts.format ?? (globals().json ? 'json' : 'table');
        // A huge plan's summary lists only its first changes: the plan in the database has them all.
        const all = allChanges(ctx.db, summary);
        if (format === 'json' && all) await writeSummaryJsonStreaming(process.stdout, summary, all);
        else if (format === 'json') ctx.out.write(`${JSON.stringify(summary, null, 2)}\n`);
        else if (format === 'csv' && all) await writeCsvStreaming(process.stdout, all);
        else if (format === 'csv') ctx.out.write(renderCsv(summary.changes));
        else ctx.out.write(`${summary.changes.length ? `${renderDiffTable(summary.changes, { color: ctx.out.color })}\n` : ''}${humanSummary(summary, { color: ctx.out.color })}\n`);
        return EXIT.ok;
      }));
    });
}

/** `runId`: the run that built the plan (its diff is that run's). */
interface PendingPlan { id: number; runId: string; createdAt: string; status: string; items: ReturnType<typeof statusCounts> }

/** `status --json` (and serve's GET /api/status): one document, the same with one store or several. */
export interface StatusReport {
  configFile: string;
  stateDir: string;
  lock: (LockHolder & { ageMs?: number; dead: boolean }) | null;
  /** One store: its index and pending plan. */
  storeIndex?: ReturnType<typeof getIndexMeta> | null;
  pendingPlan?: PendingPlan | null;
  /** Several stores: each one's. */
  stores?: Array<{ name: string; type: string; sources: string[]; storeIndex: ReturnType<typeof getIndexMeta> | null; pendingPlan: PendingPlan | null }>;
  lastSuccess: string | null;
  sources: Array<{ name: string; type: string; enabled: boolean; lastFetch: { items: number; fetchedAt: string } | null }>;
  lastRuns: Array<RunRow & { status: string }>;
  /** The schedule of a running `invsync serve` on this state dir; null when none runs or it has none. */
  schedule: ServedSchedule | null;
}

function pendingPlanOf(db: Db, store?: string): PendingPlan | null {
  const p = latestPushablePlan(db, store);
  return p ? { id: p.id, runId: p.runId, createdAt: p.createdAt, status: p.status, items: statusCounts(db, p.id) } : null;
}

/** Build the status document from local state only (no lock, no network). */
export function statusReport(loaded: LoadedConfig, db: Db, storeNames?: readonly string[]): StatusReport {
  const { config } = loaded;
  const holder = readLockHolder(config.stateDir) ?? null;
  const selected = selectStores(configuredStores(config), storeNames);
  const runs = listRuns(db, 500, config.stores ? selected.map((s) => s.name) : undefined);
  const common = {
    configFile: loaded.filePath, stateDir: config.stateDir, lock: holder,
  };
  const rest = {
    lastSuccess: lastSuccessAt(runs)?.toISOString() ?? null,
    sources: config.sources.map((s) => ({ name: s.name, type: s.type, enabled: s.enabled, lastFetch: lastSuccessfulFetch(db, s.name) ?? null })),
    lastRuns: runs.slice(0, 10).map((r) => ({ ...r, status: runState(r, runs, holder !== null && !holder.dead) })),
    schedule: readServedSchedule(config.stateDir),
  };
  if (config.stores) {
    const stores = selected.map((s) => ({
      name: s.name, type: s.config.type, sources: s.sources, storeIndex: getIndexMeta(db, s.name) ?? null, pendingPlan: pendingPlanOf(db, s.name),
    }));
    return { ...common, stores, ...rest };
  }
  return { ...common, storeIndex: getIndexMeta(db) ?? null, pendingPlan: pendingPlanOf(db), ...rest };
}

/** The human `invsync status`. */
function statusLines(status: StatusReport, loaded: LoadedConfig): string[] {
  const now = Date.now();
  const { config } = loaded;
  const holder = status.lock;
  const ago = (iso: string) => `${iso} (${fmtDuration(Math.max(0, now - Date.parse(iso)))} ago)`;
  const nameWidth = Math.max(4, ...config.sources.map((s) => s.name.length));
  const head = [
    `config        ${status.configFile}`,
    `state dir     ${config.stateDir}`,
    `lock          ${!holder ? 'free' : `held by \`invsync ${holder.command}\` (pid ${holder.pid} on ${holder.hostname}) for ${fmtDuration(holder.ageMs ?? 0)}${holder.dead ? ' — that process is gone (killed?): the next run takes the lock over' : ''}`}`,
  ];
  const lastSync = `last sync     ${status.lastSuccess ? ago(status.lastSuccess) : 'never (no successful full or push yet)'}`;
  const sched = status.schedule;
  const schedule = sched ? [`schedule      ${sched.expression} (invsync serve, pid ${sched.pid}): ${sched.enabled && sched.nextRunAt ? `next run ${sched.nextRunAt}` : 'paused'}`] : [];
  if (status.stores) {
    const storeWidth = Math.max(4, ...status.stores.map((s) => s.name.length));
    return [
      ...head, lastSync, ...schedule,
      'stores',
      ...status.stores.flatMap((s) => {
        const items = s.pendingPlan?.items;
        return [
          `  ${s.name.padEnd(storeWidth)}  ${s.type.padEnd(12)} ${s.storeIndex ? `${s.storeIndex.itemCount} item(s), refreshed ${ago(s.storeIndex.refreshedAt)}` : 'never fetched (run \`invsync fetch\`)'}; sources ${s.sources.join(', ')}`,
          `    ${s.pendingPlan && items ? `pending plan ${s.pendingPlan.id} (${s.pendingPlan.status}, built ${ago(s.pendingPlan.createdAt)}): ${items.planned + items.sent} to send, ${items.applied} applied, ${items.failed} failed — \`invsync push --store ${s.name}\` applies it` : 'no pending plan'}`,
        ];
      }),
      ...sourceAndRunLines(status, nameWidth, ago),
    ];
  }
  const index = status.storeIndex;
  const plan = status.pendingPlan;
  const items = plan?.items;
  return [
    ...head,
    `store index   ${index ? `${index.itemCount} item(s) from ${index.store}, refreshed ${ago(index.refreshedAt)}` : 'never fetched (run \`invsync fetch\`)'}`,
    `pending plan  ${plan && items ? `plan ${plan.id} (${plan.status}, built ${ago(plan.createdAt)}): ${items.planned + items.sent} to send, ${items.applied} applied, ${items.failed} failed — \`invsync push\` applies it` : 'none'}`,
    lastSync, ...schedule,
    ...sourceAndRunLines(status, nameWidth, ago),
  ];
}

/**
 * A multi-store run's summary narrowed to some stores (`show --store`): their entries, changes and
 * errors, and their counts and safety (one store: exactly that store's).
 */
export function storePart(summary: RunSummary, names: string[]): RunSummary {
  if (!summary.stores) return summary;
  const wanted = new Set(names);
  const stores = summary.stores.filter((s) => wanted.has(s.name));
  if (stores.length === 0) {
    throw new UsageError(`run ${summary.runId} did not work on store ${names.map((n) => `"${n}"`).join(', ')} (it worked on ${summary.stores.map((s) => s.name).join(', ')})`);
  }
  const only = stores.length === 1 ? stores[0] : undefined;
  const worst = storesOutcome(stores, names)!;
  // The run's message names every store that did not end well: keep only these stores' part.
  const failed = stores.filter((s) => s.exitCode !== 0);
  const message = failed.length ? failed.map((s) => `store "${s.name}": exit ${s.exitCode}${s.message ? ` (${s.message})` : ''}`).join('; ') : undefined;
  return {
    ...summary, stores,
    changes: summary.changes.filter((c) => c.store !== undefined && wanted.has(c.store)),
    errors: summary.errors.filter((e) => e.store === undefined || wanted.has(e.store)),
    // The run listed only its first changes: these stores' plans may hold more than those kept.
    changesTotal: summary.changesTotal !== undefined ? stores.reduce((n, s) => n + s.counts.changed, 0) : undefined,
    exitCode: worst.exitCode, status: worst.status as RunSummary['status'], message,
    ...(only ? { counts: only.counts, safety: only.safety, planId: only.planId } : {}),
  };
}

/**
 * Every change of a run whose summary lists only its first ones, read from its plan (with
 * `stores`: each store's plan in turn, as the summary lists them), or undefined when the
 * summary has them all.
 */
export function allChanges(db: Db, summary: RunSummary): Iterable<SummaryChange> | undefined {
  if (!summary.stores) return isTruncated(summary) ? planChanges(db, summary.planId!, summary.dryRun || summary.command === 'match') : undefined;
  if ((summary.changesTotal ?? 0) <= summary.changes.length) return undefined;
  const plans = summary.stores.filter((s) => s.planId != null);
  if (plans.length === 0) return undefined;
  const planned = summary.dryRun || summary.command === 'match';
  return (function* () {
    for (const s of plans) for (const c of planChanges(db, s.planId!, planned)) yield { store: s.name, ...c };
  })();
}

/** A run row still marked "running" is running only while someone holds the lock, and only the newest such row. */
export function runState(r: RunRow, all: RunRow[], lockHeld: boolean): string {
  if (r.status !== 'running') return r.status;
  const newestRunning = all.find((x) => x.status === 'running');
  return lockHeld && newestRunning?.id === r.id ? 'running' : 'interrupted';
}

function runsTable(runs: Array<RunRow & { status: string }>): string[] {
  const rows = runs.map((r) => [
    r.id,
    `${r.command}${r.dryRun ? ' --dry-run' : ''}`,
    r.status,
    r.exitCode === null ? '-' : String(r.exitCode),
    r.finishedAt ? fmtDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '-',
  ]);
  const header = ['RUN', 'COMMAND', 'STATUS', 'EXIT', 'DURATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/** The `sources` and `last runs` blocks of `invsync status`, the same with one store or several. */
function sourceAndRunLines(
  status: {
    sources: Array<{ name: string; type: string; enabled: boolean; lastFetch: { items: number; fetchedAt: string } | null }>;
    lastRuns: Parameters<typeof runsTable>[0];
  },
  nameWidth: number,
  ago: (iso: string) => string,
): string[] {
  return [
    'sources',
    ...status.sources.map((s) => `  ${s.name.padEnd(nameWidth)}  ${s.type.padEnd(12)} ${!s.enabled ? 'disabled' : s.lastFetch ? `${s.lastFetch.items} item(s), last fetched ${ago(s.lastFetch.fetchedAt)}` : 'never fetched'}`),
    'last runs',
    ...(status.lastRuns.length ? runsTable(status.lastRuns).map((l) => `  ${l}`) : ['  none yet']),
  ];
}
