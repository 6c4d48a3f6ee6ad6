import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, startCli, stderrOf, tempDir, waitFor } from '../helpers/cli.js';
import { WOO_ENV, writeWooSetup } from '../helpers/woo-setup.js';

/** `invsync serve` from dist/, as a child process, against the WooCommerce emulator. */

export const ENV = WOO_ENV;

export const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;

export interface Shop {
  emu: WooEmulator;
  dir: string;
  config: string;
  stateDir: string;
  /** The feed's target for every SKU. */
  targets: Map<string, number>;
  cli(args: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
}

const emulators: WooEmulator[] = [];
const servers: ChildProcess[] = [];

/**
 * n products with stock 1, a feed setting SKU i to i + 10; `overrides` are merged into the config,
 * `store` into its store entry.
 */
export async function shop(n: number, overrides: Record<string, unknown> = {}, store: Record<string, unknown> = {}): Promise<Shop> {
  const emu = await startWooEmulator({ products: simpleProducts(n, { stock: () => 1 }) });
  emulators.push(emu);
  const dir = tempDir('invsync-serve-');
  const rows = Array.from({ length: n }, (_, k) => [sku(k + 1), k + 11] as [string, number]);
  const config = writeWooSetup(dir, { url: emu.url, rows, store, overrides });
  return {
    emu, dir, config, stateDir: path.join(dir, 'state'), targets: new Map(rows),
    cli: (args, env = {}) => runCli(['-c', config, ...args], { env: { ...ENV, ...env } }),
  };
}

/** The API token `invsync serve` generated into the shop's state dir on its first start. */
export const tokenOf = (stateDir: string): string => fs.readFileSync(path.join(stateDir, 'serve.token'), 'utf8').trim();

export interface Served {
  child: ChildProcess & { started: number };
  url: string;
  origin: string;
  stdout(): string;
  stderr(): string;
  /** fetch with the Bearer token (when given) and JSON. */
  api(route: string, init?: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function serve(s: Shop, args: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const child = startCli(['-c', s.config, 'serve', '--port', '0', ...args], { env: { ...ENV, ...env } });
  servers.push(child);
  const out = () => (child as unknown as { out: string }).out;
  await waitFor(() => /listening on http:\/\/\S+/.test(out()) || child.exitCode !== null, 30_000);
  const url = /listening on (http:\/\/\S+)/.exec(out())?.[1];
  if (!url) throw new Error(`invsync serve did not start: ${out()} ${stderrOf(child)}`);
  return {
    child, url, origin: url,
    stdout: out,
    stderr: () => stderrOf(child),
    async api(route, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${route}`, {
        method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'), headers,
        ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* not JSON: the text */ }
      return { status: res.status, body, headers: res.headers };
    },
  };
}

/** Poll GET /api/runs/<id> until the run is no longer running. */
export async function finished(srv: Served, token: string, runId: string, timeoutMs = 40_000): Promise<any> {
  let last: any;
  const end = Date.now() + timeoutMs;
  for (;;) {
    last = (await srv.api(`/api/runs/${runId}`, { token })).body;
    if (last?.status !== 'running') return last;
    if (Date.now() > end) throw new Error(`run ${runId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stop every server (SIGTERM, then SIGKILL) and emulator the test started. */
export async function cleanup(): Promise<void> {
  for (const child of servers.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const gone = await Promise.race([exited(child).then(() => true), new Promise((r) => { timer = setTimeout(() => r(false), 15_000); })]);
      clearTimeout(timer);
      if (!gone) child.kill('SIGKILL');
    }
  }
  await Promise.all(emulators.splice(0).map((e) => e.close()));
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
