import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../domain/errors.js';
import type { Logger } from '../lib/log.js';
import { readLockHolder } from '../lib/lock.js';
import { registerSecret } from '../lib/redact.js';
import type { Db } from '../state/db.js';
import { resolveToken, Sessions } from './access.js';
import { createApp } from './app.js';
import { Runner } from './runner.js';
import { checkCronExpression, Schedule } from './schedule.js';

export const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));

export interface ServeOptions {
  loaded: LoadedConfig;
  db: Db;
  host: string;
  port: number;
  log: Logger;
  /** Where the one-time token notice and the address go (stdout). */
  print: (line: string) => void;
}

export interface RunningServer {
  url: string;
  /** Stop listening and scheduling, then wait for the runs in progress to finish (they are never cut short). */
  close(): Promise<void>;
}

/**
 * Start `invsync serve`: token (config or generated), schedule, HTTP server. Throws ConfigError
 * (non-loopback bind without serve.token, a bad serve.schedule) or UsageError (the port is busy):
 * both exit 2 before anything listens.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { loaded, db, log } = options;
  const { config } = loaded;
  if (config.serve.schedule !== undefined) checkCronExpression(config.serve.schedule);
  const token = resolveToken({ configured: config.serve.token, stateDir: config.stateDir, host: options.host });
  registerSecret(token.token);
  const runner = new Runner(log);
  const schedule = config.serve.schedule === undefined ? undefined : new Schedule(config.serve.schedule, config.stateDir, log, async () => {
    const holder = readLockHolder(config.stateDir);
    // A dead holder's lock (kill -9) is no reason to skip: the run takes it over.
    if (runner.busy() || (holder && !holder.dead)) {
      log.info(`schedule: tick skipped: ${holder ? `\`invsync ${holder.command}\` (pid ${holder.pid} on ${holder.hostname}) holds the lock` : 'a served run is in progress'}`);
      return;
    }
    const result = await runner.start({ configFile: loaded.filePath, command: 'full', dryRun: false });
    if (result.kind === 'locked') log.info(`schedule: tick skipped: ${result.message}`);
    else if (result.kind !== 'started') log.error(`schedule: the scheduled run could not start: ${'message' in result ? result.message : result.reason}`);
  });
  const app = createApp({ loaded, db, runner, schedule, token: token.token, sessions: new Sessions(), publicDir: PUBLIC_DIR, log });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }) as Server;
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    schedule?.stop();
    // A token generated for a start that never listened was never shown: the next start makes and prints a new one.
    if (token.generated && token.file) fs.rmSync(token.file, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port: ${options.port} on ${options.host} is already in use (another invsync serve?); pick another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UsageError(`--host: cannot listen on ${options.host} (${code})`);
    if (code === 'EACCES') throw new UsageError(`--port: not allowed to listen on port ${options.port} (below 1024 needs privileges)`);
    throw err;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  if (token.generated) options.print(`invsync serve: API token (shown once; kept in ${token.file}): ${token.token}`);
  options.print(`invsync serve: listening on ${url}`);
  const sched = schedule?.state();
  if (sched) log.info(`schedule ${sched.expression}: next run ${sched.nextRunAt}`);
  return {
    url,
    async close() {
      schedule?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (runner.busy()) log.info('waiting for the run in progress to finish (it is never cut short)');
      await runner.idle();
    },
  };
}
