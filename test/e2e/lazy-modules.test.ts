/**
 * A command loads only the adapters its config names (issue 19: memory): a CSV feed into a
 * WooCommerce store loads neither the other stores nor the other sources, nor pino-pretty when
 * stderr is not a terminal. Observed from inside the built CLI's process: a preloaded module
 * records every ES module the process loads and, at exit, whether pino-pretty was required.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';

let emu: Awaited<ReturnType<typeof startWooEmulator>>;
let dir: string;

beforeAll(async () => {
  emu = await startWooEmulator({ products: simpleProducts(3) });
  dir = tempDir();
  writeCsv(path.join(dir, 'feed.csv'), [['SKU-0001', 5], ['SKU-0002', 6]]);
  fs.writeFileSync(path.join(dir, 'hooks.mjs'), `import fs from 'node:fs';
export async function load(url, context, next) {
  fs.appendFileSync(${JSON.stringify(path.join(dir, 'loaded.txt'))}, url + '\\n');
  return next(url, context);
}
`);
  fs.writeFileSync(path.join(dir, 'probe.mjs'), `import { createRequire, register } from 'node:module';
register(${JSON.stringify(`file://${path.join(dir, 'hooks.mjs')}`)});
const required = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const pretty = Object.keys(required).some((f) => f.includes('/pino-pretty/'));
  process.stderr.write('PINO_PRETTY=' + pretty + '\\n');
});
`);
});
afterAll(async () => { await emu.close(); });

/** ES modules (paths below dist/) a `fetch` of `sources` loaded, and whether pino-pretty was required. */
async function modulesOfFetch(name: string, sources: unknown[]): Promise<{ dist: string[]; pretty: boolean }> {
  fs.rmSync(path.join(dir, 'loaded.txt'), { force: true });
  const config = writeJson(path.join(dir, `${name}.json`), {
    stateDir: `state-${name}`, sources,
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
  });
  const run = await runCli(['-c', config, 'fetch', '--json'], {
    cwd: dir,
    env: { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret, NODE_OPTIONS: `--import=${path.join(dir, 'probe.mjs')}` },
  });
  expect(run.code).toBe(0);
  const urls = fs.readFileSync(path.join(dir, 'loaded.txt'), 'utf8').split('\n');
  return {
    dist: urls.map((u) => /\/dist\/(.+)$/.exec(u)?.[1]).filter((p): p is string => p !== undefined),
    pretty: /PINO_PRETTY=true/.test(run.stderr),
  };
}

describe('a command loads only what its config needs', () => {
  it('a CSV feed into WooCommerce: no other store or source adapter, no pino-pretty', async () => {
    const { dist, pretty } = await modulesOfFetch('csv', [{ name: 'feed', type: 'csv', path: 'feed.csv' }]);
    expect(dist).toContain('stores/woocommerce/index.js');
    expect(dist).toContain('sources/csv/index.js');
    // The adapters themselves (their index.js); the config schema needs a few of their schema files.
    const adapters = dist.filter((p) => /^(stores|sources)\/[^/]+\/index\.js$/.test(p));
    expect(adapters.sort()).toEqual(['sources/csv/index.js', 'stores/woocommerce/index.js']);
    expect(dist.some((p) => /^stores\/(shopify|amazon|magento2|bigcommerce|vendure|medusa|shift4shop)\/(index|client|graphql|feed|report)\.js$/.test(p))).toBe(false);
    expect(pretty).toBe(false);
  });

  it('a config naming another source type loads that adapter too', async () => {
    fs.writeFileSync(path.join(dir, 'feed.json'), JSON.stringify([{ sku: 'SKU-0003', qty: 2 }]));
    const { dist } = await modulesOfFetch('two', [
      { name: 'feed', type: 'csv', path: 'feed.csv' },
      { name: 'api', type: 'json', path: 'feed.json', skuPath: 'sku', qtyPath: 'qty' },
    ]);
    expect(dist).toContain('sources/json/index.js');
    expect(dist.some((p) => p.startsWith('sources/dropshipzone/') || p.startsWith('stores/shopify/'))).toBe(false);
  });
});
