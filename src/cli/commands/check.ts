import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { configuredStores } from '../../config/stores.js';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import type { SourceConfig, StoreConfig } from '../../config/schema.js';
import { ConfigError, InvsyncError } from '../../domain/errors.js';
import { configureLogging } from '../../lib/log.js';
import { restrictNewFiles } from '../../lib/owner-only.js';
import { redact } from '../../lib/redact.js';
import { fmtDuration } from '../../lib/progress.js';
import { createSource, loadSourceAdapters } from '../../sources/registry.js';
import type { SourceAdapter } from '../../sources/types.js';
import { createStore, loadStoreAdapters } from '../../stores/registry.js';
import type { StoreAdapter } from '../../stores/types.js';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { useColor } from '../render.js';

/**
 * `invsync check`: validate the configuration, then try every enabled source's first page and
 * the store's authentication, read-only, one line per check. Exit 0 when all pass, 2 for a
 * configuration problem, 5 when a connection fails. Takes no lock and records no run, so it
 * is safe while a sync is running.
 */

export interface CheckResult {
  check: string;
  ok: boolean;
  /** A problem that does not stop a sync (shown, does not change the exit code). */
  warning?: boolean;
  detail: string;
  ms?: number;
  /** What kind of failure: a bad config value or an unreachable/refusing endpoint. */
  kind?: 'config' | 'connection';
}

export function registerCheckCommand(program: Command, globals: () => GlobalOptions, exit: (code: number) => void): void {
  program.command('check')
    .description('validate the config and test every source and the store (read-only: first page, authentication)')
    .addHelpText('after', '\nExamples:\n  $ invsync check -c /etc/invsync/shop.yaml\n  $ invsync check --json     # one object per check')
    .action(async () => {
      const g = globals();
      // A source's check may cache a token in the state dir: owner-only, as in a sync.
      restrictNewFiles();
      // Retry warnings would interleave with the check lines; the failing check names the error.
      configureLogging({ level: g.logLevel ?? process.env.INVSYNC_LOG_LEVEL ?? 'error' });
      const color = !g.json && useColor(process.stdout);
      const results: CheckResult[] = [];
      const print = (r: CheckResult) => {
        results.push(r);
        if (!g.json) process.stdout.write(`${checkLine(r, color)}\n`);
      };
      const code = await runChecks(g.config, print);
      if (g.json) process.stdout.write(`${JSON.stringify({ ok: code === EXIT.ok, exitCode: code, checks: results }, null, 2)}\n`);
      else {
        const failed = results.filter((r) => !r.ok).length;
        process.stdout.write(failed === 0
          ? `All ${results.length} checks passed.\n`
          : `${failed} of ${results.length} checks failed (exit ${code}).\n`);
      }
      exit(code);
    });
}

/** Run every check in order, reporting each through `report`; returns the exit code. */
export async function runChecks(configPath: string | undefined, report: (r: CheckResult) => void): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ explicitPath: configPath });
  } catch (err) {
    report({ check: 'config', ok: false, kind: 'config', detail: redact(errorText(err)) });
    return err instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
  const { config } = loaded;
  const enabled = config.sources.filter((s) => s.enabled);
  const stores = configuredStores(config);
  const storeText = config.store ? `store ${config.store.type}` : `${stores.length} store(s): ${stores.map((s) => `${s.name} (${s.config.type})`).join(', ')}`;
  report({ check: 'config', ok: true, detail: `${loaded.filePath}: ${enabled.length} source(s) enabled, ${storeText}` });
  for (const w of loaded.warnings) report({ check: 'config', ok: true, warning: true, detail: redact(w) });

  const writable = dirWritable(config.stateDir);
  report({ check: 'state dir', ok: writable === null, kind: 'config', detail: writable ?? `${config.stateDir} is writable` });
  const baseDir = path.dirname(loaded.filePath);
  for (const [key, file] of [['log.file', config.log.file], ['metrics.textfile', config.metrics.textfile && path.resolve(baseDir, config.metrics.textfile)]] as const) {
    if (!file) continue;
    const problem = dirWritable(path.dirname(file));
    if (problem) report({ check: key, ok: true, warning: true, detail: `${problem} (the sync still runs; this output is lost)` });
  }

  // Probe all endpoints at once (a slow one does not hold up the others), report in config order.
  const probes: Array<{ name: string; run: Promise<CheckResult> }> = [
    ...enabled.map((s) => ({ name: `source ${s.name}`, run: probe(`source ${s.name} (${s.type})`, () => sourceCheck(s, config.stateDir, (name) => stores.find((x) => x.name === name)?.config)) })),
    ...stores.map((s) => ({
      name: config.store ? 'store' : `store ${s.name}`,
      run: probe(config.store ? `store (${s.config.type})` : `store ${s.name} (${s.config.type})`, () => storeCheck(s.config)),
    })),
  ];
  let code: number = writable === null ? EXIT.ok : EXIT.usage;
  for (const p of probes) {
    const r = await p.run;
    report(r);
    if (!r.ok) code = r.kind === 'config' && code !== EXIT.failed ? EXIT.usage : EXIT.failed;
  }
  return code;
}

async function probe(check: string, run: () => Promise<string>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const detail = await run();
    return { check, ok: true, detail: redact(detail), ms: Date.now() - started };
  } catch (err) {
    const kind = err instanceof ConfigError ? 'config' : 'connection';
    return { check, ok: false, kind, detail: redact(errorText(err)), ms: Date.now() - started };
  }
}

/** A check gets one retry, not the sync's five: the answer should come in seconds. */
function quick<T extends { retries?: number }>(c: T): T {
  return { ...c, retries: Math.min(c.retries ?? 1, 1) };
}

async function sourceCheck(config: SourceConfig, stateDir: string, resolveStore?: (name: string) => StoreConfig | undefined): Promise<string> {
  await loadSourceAdapters([config.type]);
  if (config.type === 'store') {
    // A `store` source reads a configured store, or one it configures itself: that adapter is needed too.
    const store = typeof config.store === 'string' ? resolveStore?.(config.store) : config.store;
    if (store) await loadStoreAdapters([store.type]);
  }
  const source = createSource(quick(config), { stateDir, resolveStore: (name) => { const s = resolveStore?.(name); return s && quick(s); } });
  if (source.check) return source.check();
  return firstRecord(source);
}

async function storeCheck(config: StoreConfig): Promise<string> {
  await loadStoreAdapters([config.type]);
  const store = createStore(quick(config));
  if (store.check) return store.check();
  return firstStoreItem(store);
}

/** For an adapter without `check()`: read the first record, then stop the stream. */
async function firstRecord(source: SourceAdapter): Promise<string> {
  const controller = new AbortController();
  try {
    for await (const record of source.stream(controller.signal)) {
      return record.kind === 'item' ? `first item read: ${record.sku} (${record.qty})` : `first row read (rejected: ${record.reason})`;
    }
    return 'reachable, but it listed no items';
  } finally {
    controller.abort();
  }
}

async function firstStoreItem(store: StoreAdapter): Promise<string> {
  const controller = new AbortController();
  try {
    for await (const item of store.list(controller.signal)) return `authenticated; first item: ${item.sku}`;
    return 'authenticated; the store lists no items';
  } finally {
    controller.abort();
  }
}

/** null when `dir` exists and is writable, or can be created; otherwise the problem. */
function dirWritable(dir: string): string | null {
  let probe = dir;
  while (!fs.existsSync(probe)) {
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  try {
    fs.accessSync(probe, fs.constants.W_OK);
    return null;
  } catch {
    return probe === dir ? `${dir} is not writable` : `${dir} does not exist and ${probe} is not writable`;
  }
}

function errorText(err: unknown): string {
  if (err instanceof InvsyncError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export function checkLine(r: CheckResult, color: boolean): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const mark = !r.ok ? paint('1;31', '✖') : r.warning ? paint('33', '⚠') : paint('32', '✔');
  return `${mark} ${r.check.padEnd(24)} ${r.detail}${r.ms !== undefined ? paint('2', ` (${fmtDuration(r.ms)})`) : ''}`;
}
