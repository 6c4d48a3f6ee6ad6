import type { Command } from 'commander';
import { runCommand, type GlobalOptions } from '../context.js';
import { parseCount, parseWindow } from '../options.js';
import { checkStoreNames, collectStore, runOnStores } from '../stores.js';
import type { LoadedConfig } from '../../config/load.js';
import { configuredStores, isMultiStore, selectStores } from '../../config/stores.js';
import { rollbackTarget } from '../../pipeline/rollback.js';
import { readPlanFile } from '../../pipeline/saved-plan.js';
import { UsageError } from '../../domain/errors.js';
import type { Db } from '../../state/db.js';

type Globals = () => GlobalOptions;

/** The union of the options fetch, match, push, rollback and full declare; each command gets only its own. */
interface PipelineOpts { limit?: string; offset?: string; force?: boolean; dryRun?: boolean; out?: string; verify?: boolean; canary?: string; store?: string[] }

const STORE_HELP = 'only this store (repeatable; default: every configured store)';

export function registerPipelineCommands(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('fetch')
    .description('stream every source into the snapshot and refresh the store index (reads only)')
    .option('--force', 'accept a source that shrank below its minItemsRatio (logged loudly)')
    .option('--store <name>', `${STORE_HELP}; reads only the sources feeding these stores`, collectStore)
    .addHelpText('after', '\nExample:\n  $ invsync fetch -c /etc/invsync/shop.json')
    .action(async (opts: PipelineOpts) => {
      const spec = { name: 'fetch', mutating: true, check: checkStores(opts) };
      exit(await runCommand(globals(), spec, (ctx) => runOnStores(ctx, opts.store, { command: 'fetch', force: Boolean(opts.force) })));
    });

  program.command('match')
    .description('diff the snapshot against the store index into a plan, behind the safety gates (no network)')
    .option('--limit <n>', 'only the first n store items of the window (store order)')
    .option('--offset <n>', 'skip the first n store items (store order)')
    .option('--force', 'override a tripped safety gate (logged loudly)')
    .option('--out <file>', 'also save the plan to a file, to apply exactly it later with `invsync push <file>`')
    .option('--store <name>', STORE_HELP, collectStore)
    .addHelpText('after', '\nExamples:\n  $ invsync match --limit=100 --offset=200\n  $ invsync match --out plan.json && invsync push plan.json')
    .action(async (opts: PipelineOpts) => {
      const check = (loaded: LoadedConfig) => {
        checkStores(opts)(loaded);
        const stores = selectStores(configuredStores(loaded.config), opts.store);
        if (opts.out !== undefined && stores.length > 1) {
          throw new UsageError(`--out: saves the plan of one store; pick it with --store (configured: ${stores.map((s) => s.name).join(', ')})`);
        }
      };
      exit(await runCommand(globals(), { name: 'match', mutating: true, parse: () => parseWindow(opts), check }, (ctx, window) =>
        runOnStores(ctx, opts.store, { command: 'match', window, force: Boolean(opts.force), out: opts.out })));
    });

  program.command('push [plan-file]')
    .description('apply the newest pending plan (or a saved plan file, exactly) to the store in batches; resumable')
    .option('--dry-run', 'show what would be written; write nothing')
    .option('--no-verify', 'skip reading the changed items back from the store')
    .option('--canary <n>', 'apply and verify n changes first; go on only if all landed')
    .option('--force', 'push a plan older than safety.maxPlanAgeMs (logged loudly)')
    .option('--store <name>', STORE_HELP, collectStore)
    .addHelpText('after', '\nExamples:\n  $ invsync push --dry-run\n  $ invsync push            # also resumes an interrupted push\n  $ invsync push plan.json --canary 5')
    .action(async (planFile: string | undefined, opts: PipelineOpts) => {
      const spec = {
        name: 'push', mutating: true, dryRun: Boolean(opts.dryRun), parse: () => parseCanary(opts.canary),
        // A missing or unreadable plan file is a usage error found before the lock and the run record.
        check: (loaded: LoadedConfig) => { checkStores(opts)(loaded); if (planFile !== undefined) readPlanFile(planFile); },
      };
      exit(await runCommand(globals(), spec, (ctx, canary) =>
        runOnStores(ctx, opts.store, { command: 'push', dryRun: Boolean(opts.dryRun), planFile, verify: opts.verify, canary, force: Boolean(opts.force) })));
    });

  program.command('rollback <run>')
    .description('put back the stock levels a run replaced (from its journal), with the same lock, batching, breaker and verification')
    .option('--dry-run', 'show the rollback plan; write nothing and leave nothing for `push` to apply')
    .option('--no-verify', 'skip reading the restored items back')
    .option('--store <name>', STORE_HELP, collectStore)
    .addHelpText('after', '\n"last" is the newest run that applied a change. Levels changed since that run are left as they are.\n\nExamples:\n  $ invsync rollback last --dry-run\n  $ invsync rollback 2026-11-22T02:00:00.123Z-7f3a')
    .action(async (run: string, opts: PipelineOpts) => {
      const spec = {
        name: 'rollback', mutating: true, dryRun: Boolean(opts.dryRun), check: checkStores(opts),
        // An unknown run, or one that changed nothing here, is refused before the run is recorded.
        preflight: (loaded: LoadedConfig, db: Db) => {
          rollbackTarget(db, selectStores(configuredStores(loaded.config), opts.store).map((s) => s.name), run, isMultiStore(loaded.config));
        },
      };
      exit(await runCommand(globals(), spec, (ctx) =>
        runOnStores(ctx, opts.store, { command: 'rollback', run, dryRun: Boolean(opts.dryRun), verify: opts.verify })));
    });

  program.command('full')
    .description('fetch, match and push under one lock; a failed fetch never pushes')
    .option('--limit <n>', 'only the first n store items (store order)')
    .option('--offset <n>', 'skip the first n store items (store order)')
    .option('--dry-run', 'do everything up to the first store write; write nothing')
    .option('--force', 'override a tripped safety gate (logged loudly)')
    .option('--no-verify', 'skip reading the changed items back from the store')
    .option('--canary <n>', 'apply and verify n changes first; go on only if all landed')
    .option('--store <name>', STORE_HELP, collectStore)
    .addHelpText('after', '\nExamples:\n  $ invsync full --dry-run\n  $ invsync full --limit=100 --offset=0')
    .action(async (opts: PipelineOpts) => {
      const dryRun = Boolean(opts.dryRun);
      const parse = () => ({ window: parseWindow(opts), canary: parseCanary(opts.canary) });
      exit(await runCommand(globals(), { name: 'full', mutating: true, dryRun, parse, check: checkStores(opts) }, (ctx, { window, canary }) =>
        runOnStores(ctx, opts.store, { command: 'full', window, dryRun, force: Boolean(opts.force), verify: opts.verify, canary })));
    });
}

function checkStores(opts: PipelineOpts) {
  return (loaded: Parameters<typeof checkStoreNames>[0]) => checkStoreNames(loaded, opts.store);
}

function parseCanary(value: string | undefined): number | undefined {
  const n = parseCount('canary', value);
  return n === 0 ? undefined : n;
}
