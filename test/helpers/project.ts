import path from 'node:path';
import { runCli, tempDir, writeCsv, writeJson, type CliResult } from './cli.js';

export interface CsvProject {
  dir: string;
  /** Path of invsync.config.json. */
  config: string;
  /** The built CLI on this config: `invsync -c <config> …args`. */
  run: (args: string[]) => Promise<CliResult>;
  /** Replace the supplier's rows (the next fetch reads them). */
  feed: (rows: Array<[string, number | string]>) => void;
}

/**
 * The project most e2e tests start from: the supplier's `sku,qty` rows in `supplier.csv` (source
 * "feed") and `invsync.config.json` with `stateDir: "state"` plus `config` (the store or stores,
 * rules, safety, …). `dir` defaults to a fresh temp dir; `env` is given to every run.
 */
export function csvProject(
  feed: Array<[string, number | string]>,
  config: Record<string, unknown>,
  options: { dir?: string; env?: Record<string, string | undefined> } = {},
): CsvProject {
  const dir = options.dir ?? tempDir();
  const writeFeed = (rows: Array<[string, number | string]>) => { writeCsv(path.join(dir, 'supplier.csv'), rows); };
  writeFeed(feed);
  const file = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    ...config,
  });
  return { dir, config: file, run: (args) => runCli(['-c', file, ...args], { env: options.env }), feed: writeFeed };
}
