import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'invsync.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A temp directory for one test, removed by `cleanup`. */
export function tempDir(prefix = 'invsync-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Run the built CLI as cron would: no TTY, its own cwd (default: a fresh temp dir, like $HOME),
 * environment given explicitly. Resolves when it exits.
 */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const child = startCli(args, options);
  return waitCli(child);
}

export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): ChildProcess & { started: number } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, INVSYNC_RETRY_BASE_MS: '20', ...options.env })) {
    if (v !== undefined) env[k] = v;
  }
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? tempDir('invsync-cwd-'), env, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { started: number; out: string; err: string };
  child.started = Date.now();
  child.out = '';
  child.err = '';
  child.stdout!.on('data', (d: Buffer) => { child.out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { child.err += d.toString(); });
  return child;
}

/**
 * Secret values the e2e tests configure. Every CLI run is checked: none may appear on stdout or
 * stderr, whatever the test is about (a test that needs another secret adds it here).
 */
export const KNOWN_SECRETS = [
  'cs_0123456789abcdef0123456789abcdef01234567',
  'ck_0123456789abcdef0123456789abcdef01234567',
  'cs_wrong_secret_4242424242424242',
  'fake-dsz-password',
];

export function waitCli(child: ChildProcess & { started: number }): Promise<CliResult> {
  const c = child as ChildProcess & { started: number; out: string; err: string };
  return new Promise((resolve, reject) => {
    c.on('close', (code, signal) => {
      const leaked = KNOWN_SECRETS.find((secret) => c.out.includes(secret) || c.err.includes(secret));
      if (leaked) reject(new Error(`a secret (${leaked.slice(0, 6)}…) was printed by invsync ${(c.spawnargs ?? []).slice(2).join(' ')}`));
      else resolve({ code, signal, stdout: c.out, stderr: c.err, ms: Date.now() - c.started });
    });
  });
}

/** Current captured stderr of a running child (for waiting on a log line). */
export function stderrOf(child: ChildProcess): string {
  return (child as ChildProcess & { err: string }).err;
}

export async function waitFor(predicate: () => boolean, timeoutMs = 20_000, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function writeJson(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

export function writeCsv(file: string, rows: Array<[string, number | string]>, header = 'sku,qty'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${header}\n${rows.map(([s, q]) => `${s},${q}`).join('\n')}\n`);
  return file;
}
