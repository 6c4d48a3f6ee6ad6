import type { Command } from 'commander';
import { UsageError } from '../../domain/errors.js';
import { readLockHolder } from '../../lib/lock.js';
import { latestPushablePlan, statusCounts } from '../../state/plans.js';
import { getRunSummary, listRuns } from '../../state/runs.js';
import { getIndexMeta } from '../../state/store-index.js';
import { runCommand, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { humanSummary, renderDiffTable } from '../render.js';

type Globals = () => GlobalOptions;

/** Read-only commands over the state dir: they never take the lock. */
export function registerHistoryCommands(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('status')
    .description('last runs, pending plan, lock holder, store index age')
    .addHelpText('after', '\nExample:\n  $ invsync status --json')
    .action(async () => {
      exit(await runCommand({ ...globals(), json: false }, { name: 'status', mutating: false, quiet: true }, async (ctx) => {
        const { stateDir } = ctx.loaded.config;
        const holder = readLockHolder(stateDir);
        const plan = latestPushablePlan(ctx.db);
        const index = getIndexMeta(ctx.db);
        const status = {
          stateDir,
          lock: holder ?? null,
          storeIndex: index ?? null,
          pendingPlan: plan ? { id: plan.id, createdAt: plan.createdAt, status: plan.status, items: statusCounts(ctx.db, plan.id) } : null,
          lastRuns: listRuns(ctx.db, 10),
        };
        if (globals().json) { ctx.out.write(`${JSON.stringify(status, null, 2)}\n`); return EXIT.ok; }
        const lines = [
          `state dir:   ${stateDir}`,
          `lock:        ${holder ? `held by \`invsync ${holder.command}\` pid ${holder.pid} on ${holder.hostname} for ${Math.round((holder.ageMs ?? 0) / 1000)} s` : 'free'}`,
          `store index: ${index ? `${index.itemCount} item(s), refreshed ${index.refreshedAt} (generation ${index.generation})` : 'never fetched'}`,
          `pending:     ${plan ? `plan ${plan.id} (${plan.status}): ${JSON.stringify(statusCounts(ctx.db, plan.id))}` : 'none'}`,
          'last runs:',
          ...status.lastRuns.map((r) => `  ${r.id}  ${r.command.padEnd(6)} ${r.status.padEnd(8)} exit ${r.exitCode ?? '-'}${r.dryRun ? '  (dry run)' : ''}`),
        ];
        ctx.out.write(`${lines.join('\n')}\n`);
        return EXIT.ok;
      }));
    });

  program.command('runs')
    .description('run history, newest first')
    .option('-n, --last <n>', 'how many runs', '20')
    .addHelpText('after', '\nExample:\n  $ invsync runs -n 5')
    .action(async (opts: { last: string }) => {
      exit(await runCommand({ ...globals(), json: false }, { name: 'runs', mutating: false, quiet: true }, async (ctx) => {
        const runs = listRuns(ctx.db, Number(opts.last) || 20);
        if (globals().json) ctx.out.write(`${JSON.stringify(runs, null, 2)}\n`);
        else ctx.out.write(`${runs.map((r) => `${r.id}  ${r.command.padEnd(6)} ${r.status.padEnd(8)} exit ${r.exitCode ?? '-'}${r.dryRun ? '  (dry run)' : ''}`).join('\n')}\n`);
        return EXIT.ok;
      }));
    });

  program.command('show <run>')
    .description('a run\'s summary and diff (run id, unique prefix, or "last")')
    .addHelpText('after', '\nExample:\n  $ invsync show last --json')
    .action(async (run: string) => {
      exit(await runCommand({ ...globals(), json: false }, { name: 'show', mutating: false, quiet: true }, async (ctx) => {
        const summary = getRunSummary(ctx.db, run);
        if (!summary) throw new UsageError(`no run "${run}" (see \`invsync runs\`)`);
        if (globals().json) ctx.out.write(`${JSON.stringify(summary, null, 2)}\n`);
        else ctx.out.write(`${summary.changes.length ? renderDiffTable(summary.changes) : ''}${humanSummary(summary)}\n`);
        return EXIT.ok;
      }));
    });
}
