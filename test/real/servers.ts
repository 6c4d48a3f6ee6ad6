/**
 * Real store servers for the end-to-end tests (e2e/<store>/start.mjs), run as child processes
 * bound to 127.0.0.1. Each is stopped by `stop()` (call it in afterAll), and dies with the test
 * process anyway: its stdin is a pipe from us, and it exits when that closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RealServer<T> {
  /** What the server printed on its READY line. */
  info: T;
  /** Milliseconds from spawn to READY. */
  startMs: number;
  /** Everything the server wrote to stderr (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Spawn `node e2e/<store>/start.mjs` and wait for its `<PREFIX>_READY {json}` line.
 * Rejects (after killing the child) when it exits first or `timeoutMs` passes.
 */
export function startRealServer<T>(store: 'vendure' | 'medusa', env: Record<string, string> = {}, timeoutMs = 120_000): Promise<RealServer<T>> {
  if (!fs.existsSync(path.join(ROOT, 'e2e', store, 'node_modules'))) {
    return Promise.reject(new Error(`e2e/${store} has no node_modules: run "node e2e/ensure.mjs ${store}" (npm test and npm run e2e:${store} do)`));
  }
  const started = Date.now();
  const prefix = `${store.toUpperCase()}_READY `;
  const child = spawn(process.execPath, [path.join(ROOT, 'e2e', store, 'start.mjs')], {
    cwd: path.join(ROOT, 'e2e', store),
    env: { ...process.env, ...env, VENDURE_EXIT_WITH_STDIN: '1', MEDUSA_EXIT_WITH_STDIN: '1', VENDURE_DISABLE_TELEMETRY: 'true', MEDUSA_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) { running.delete(child); return; }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    running.delete(child);
  };

  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${store} server: ${why}\n--- stderr ---\n${err.slice(-4000)}`)));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.on('exit', (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ info: JSON.parse(line.slice(prefix.length)) as T, startMs: Date.now() - started, stderr: () => err, stop });
    });
  });
}
