import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { demoCatalog, demoFeed } from '../../demo/catalog.js';
import { DEFAULT_WOO_KEY, startWooEmulator } from '../../demo/woocommerce-emulator.js';
import type { GlobalOptions } from '../context.js';

const BIN = fileURLToPath(new URL('../../../bin/invsync.js', import.meta.url));

/**
 * `invsync demo`: a WooCommerce emulator on 127.0.0.1, a sample supplier feed and a config,
 * then a real `invsync full` (a separate process, exactly as cron would run it) against them.
 */
export function registerDemoCommand(program: Command, globals: () => GlobalOptions, exit: (code: number) => void): void {
  program.command('demo')
    .description('run a real sync against a bundled WooCommerce emulator on 127.0.0.1 (no credentials needed)')
    .option('--dir <dir>', 'where to write the demo feed, config and state (default: a new temp dir)')
    .option('--dry-run', 'show the diff only')
    .option('--serve', 'keep the emulator running afterwards (Ctrl-C to stop) to try other commands')
    .addHelpText('after', '\nExample:\n  $ invsync demo            # or: npm run demo')
    .action(async (opts: { dir?: string; dryRun?: boolean; serve?: boolean }) => {
      const dir = path.resolve(opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-demo-')));
      fs.mkdirSync(dir, { recursive: true });
      const catalog = demoCatalog();
      const emulator = await startWooEmulator({ products: catalog });
      fs.writeFileSync(path.join(dir, 'supplier.csv'), demoFeed(catalog));
      const configPath = path.join(dir, 'invsync.config.json');
      fs.writeFileSync(configPath, `${JSON.stringify({
        stateDir: '.invsync',
        sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv', columns: { sku: 'sku', qty: 'qty' } }],
        store: { type: 'woocommerce', url: emulator.url, consumerKey: DEFAULT_WOO_KEY.consumerKey, consumerSecret: DEFAULT_WOO_KEY.consumerSecret },
        rules: { aggregate: 'sum', buffer: 0, maxQty: null, missing: 'keep', skuCaseSensitive: false },
      }, null, 2)}\n`, { mode: 0o600 });
      process.stderr.write(`invsync demo: WooCommerce emulator at ${emulator.url}, files in ${dir}\n`);

      const args = [BIN, 'full', '-c', configPath, ...(opts.dryRun ? ['--dry-run'] : []), ...(globals().json ? ['--json'] : ['--verbose']),
        ...(globals().logLevel ? ['--log-level', globals().logLevel!] : [])];
      process.stderr.write(`$ invsync ${args.slice(1).join(' ')}\n`);
      const code = await new Promise<number>((resolve) => {
        const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: os.homedir() });
        child.on('close', (c) => resolve(c ?? 5));
      });
      const writes = emulator.writeRequests();
      process.stderr.write(`invsync demo: the emulator received ${emulator.requests.length} request(s), ${writes} of them write(s).\n`);
      if (opts.serve) {
        process.stderr.write(`Emulator still running at ${emulator.url}. Try:\n  invsync full -c ${configPath}   # a second run writes nothing\n  invsync status -c ${configPath}\nCtrl-C to stop.\n`);
        await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      }
      await emulator.close();
      exit(code);
    });
}
