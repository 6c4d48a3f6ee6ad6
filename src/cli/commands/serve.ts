import type { Command } from 'commander';
import { UsageError } from '../../domain/errors.js';
import { logger } from '../../lib/log.js';
import { startServer } from '../../serve/server.js';
import { runCommand, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';

type Globals = () => GlobalOptions;

/** `--port`: 0 (any free port) to 65535. Pure. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > 65535) throw new UsageError(`--port: expected a port number from 0 to 65535, got "${value}"`);
  return Number(value);
}

/**
 * `invsync serve` (SPEC §13): the dashboard and API over the state dir until SIGINT/SIGTERM.
 * Runs are child processes taking the same lock as the CLI; on a stop signal the server stops
 * listening and scheduling and lets a run in progress finish, then exits 0.
 */
export function registerServeCommand(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('serve')
    .description('a local dashboard and JSON API over the state dir: status, history, diffs, runs (same lock as the CLI), schedule')
    .option('--host <host>', 'address to listen on (a non-loopback one requires serve.token)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8417')
    .addHelpText('after', '\nExamples:\n  $ invsync serve                      # http://127.0.0.1:8417, token printed on first start\n  $ curl -H "Authorization: Bearer $(cat .invsync/serve.token)" http://127.0.0.1:8417/api/status')
    .action(async (opts: { host: string; port: string }) => {
      const parse = () => ({ port: parsePort(opts.port), host: opts.host.trim() });
      exit(await runCommand({ ...globals(), json: false }, { name: 'serve', mutating: false, quiet: true, parse }, async (ctx, { host, port }) => {
        const server = await startServer({
          loaded: ctx.loaded, db: ctx.db, host, port, log: logger('serve'), print: (line) => ctx.out.write(`${line}\n`),
        });
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        logger('serve').info(`${signal}: stopping`);
        await server.close();
        return EXIT.ok;
      }));
    });
}
