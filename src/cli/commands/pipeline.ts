import type { Command } from 'commander';
import { runCommand, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parseWindow } from '../options.js';
import { fetchStep, matchStep, pushStep } from '../steps.js';

type Globals = () => GlobalOptions;

interface WindowOpts { limit?: string; offset?: string; force?: boolean; dryRun?: boolean }

export function registerPipelineCommands(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('fetch')
    .description('stream every source into the snapshot and refresh the store index (reads only)')
    .option('--force', 'accept a source that shrank below its minItemsRatio (logged loudly)')
    .addHelpText('after', '\nExample:\n  $ invsync fetch -c /etc/invsync/shop.json')
    .action(async (opts: WindowOpts) => {
      exit(await runCommand(globals(), { name: 'fetch', mutating: true }, (ctx) => fetchStep(ctx, { force: Boolean(opts.force) })));
    });

  program.command('match')
    .description('diff the snapshot against the store index into a plan, behind the safety gates (no network)')
    .option('--limit <n>', 'only the first n store items of the window (store order)')
    .option('--offset <n>', 'skip the first n store items (store order)')
    .option('--force', 'override a tripped safety gate (logged loudly)')
    .addHelpText('after', '\nExample:\n  $ invsync match --limit=100 --offset=200')
    .action(async (opts: WindowOpts) => {
      exit(await runCommand(globals(), { name: 'match', mutating: true }, (ctx) =>
        matchStep(ctx, { window: parseWindow(opts), force: Boolean(opts.force) })));
    });

  program.command('push')
    .description('apply the newest pending plan to the store in batches (resumable)')
    .option('--dry-run', 'show what would be written; write nothing')
    .addHelpText('after', '\nExamples:\n  $ invsync push --dry-run\n  $ invsync push            # also resumes an interrupted push')
    .action(async (opts: WindowOpts) => {
      exit(await runCommand(globals(), { name: 'push', mutating: true, dryRun: Boolean(opts.dryRun) }, (ctx) =>
        pushStep(ctx, { dryRun: Boolean(opts.dryRun) })));
    });

  program.command('full')
    .description('fetch, match and push under one lock; a failed fetch never pushes')
    .option('--limit <n>', 'only the first n store items (store order)')
    .option('--offset <n>', 'skip the first n store items (store order)')
    .option('--dry-run', 'do everything up to the first store write; write nothing')
    .option('--force', 'override a tripped safety gate (logged loudly)')
    .addHelpText('after', '\nExamples:\n  $ invsync full --dry-run\n  $ invsync full --limit=100 --offset=0')
    .action(async (opts: WindowOpts) => {
      const dryRun = Boolean(opts.dryRun);
      exit(await runCommand(globals(), { name: 'full', mutating: true, dryRun }, async (ctx) => {
        const window = parseWindow(opts);
        const fetched = await fetchStep(ctx, { force: Boolean(opts.force) });
        if (fetched !== EXIT.ok) return fetched;
        const matched = await matchStep(ctx, { window, force: Boolean(opts.force) });
        if (matched !== EXIT.ok) return matched;
        return pushStep(ctx, { dryRun, planId: ctx.summary.planId ?? undefined });
      }));
    });
}
