import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { registerCheckCommand } from './commands/check.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerHistoryCommands } from './commands/history.js';
import { registerInitCommand } from './commands/init.js';
import { registerLedgerCommand } from './commands/ledger.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerServeCommand } from './commands/serve.js';

/**
 * The program: parse → run → exit. This file is the only place that ends the process; the
 * exit code comes from the one table in exit-codes.ts.
 */
const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('invsync')
    .description('Keep an online store\'s stock levels equal to what its suppliers can ship.')
    .version(pkg.version, '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: search for invsync.config.json, .invsyncrc… upwards)')
    .option('--json', 'print the run summary as one JSON document on stdout')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .option('--no-progress', 'no progress bars (default when stderr is not a terminal)')
    .option('-v, --verbose', 'print the diff and summary on stdout even when it is not a terminal (cron prints nothing on success)')
    .showHelpAfterError('(run `invsync --help` for usage)')
    .exitOverride()
    .addHelpText('after', `
Exit codes: 0 ok · 1 some items failed · 2 usage/config error · 3 locked by another run
            4 safety gate, circuit breaker or a stale plan stopped the run
            5 a source or the store failed (also: a push that applied nothing, the store being down)

Examples:
  $ invsync full --dry-run          # fetch, diff and show what would change
  $ invsync full                    # the cron job
  $ invsync full --limit=100 --offset=100 --json
  $ invsync init --source csv --store woocommerce && invsync check`);
  const globals = () => program.opts<GlobalOptions>();
  registerPipelineCommands(program, globals, exit);
  registerHistoryCommands(program, globals, exit);
  registerCheckCommand(program, globals, exit);
  registerInitCommand(program, globals, exit);
  registerDemoCommand(program, globals, exit);
  registerLedgerCommand(program, globals, exit);
  registerExplainCommand(program, globals, exit);
  registerServeCommand(program, globals, exit);
  return program;
}

async function main(argv: string[]): Promise<void> {
  // `invsync runs | head` closes the pipe early: that ends the output, it is not a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  let code: number | undefined;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      code = ok ? EXIT.ok : EXIT.usage;
    } else {
      process.stderr.write(`invsync: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
      code = EXIT.failed;
    }
  }
  if (code === undefined) {
    program.outputHelp();
    code = EXIT.usage;
  }
  process.exitCode = code;
  // Keep-alive sockets must not hold a cron job open; exit once stdout is flushed.
  process.stdout.write('', () => { setTimeout(() => process.exit(code), 20).unref(); });
}

await main(process.argv);
