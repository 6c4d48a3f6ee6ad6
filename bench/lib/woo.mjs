/**
 * Parent side of lib/woo-host.mjs: start a WooCommerce emulator in its own process and drive it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHost } from './host.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/**
 * Start an emulator (http, or https with `tls`), seeded with `seed` (see the host's `seed`).
 * Returns { url, keys, seeded, call(cmd, args), stats(), clearLog(), faults(f), verify(a), close() }.
 */
export async function startWoo({ tls = false, faults = {}, seed = null, batchLimit } = {}) {
  // Room for a 1,000,000-product catalog plus its rendered pages.
  const host = startHost(path.join(here, 'woo-host.mjs'), ['--max-old-space-size=4096']);
  try {
    const started = await host.call('start', { tls: tls ? testTls() : undefined, faults, batchLimit });
    const seeded = seed ? await host.call('seed', seed) : null;
    return {
      ...started,
      seeded,
      pid: host.pid,
      call: host.call,
      stats: () => host.call('stats'),
      clearLog: () => host.call('clearLog'),
      faults: (f) => host.call('faults', f),
      verify: (a) => host.call('verify', a),
      close: host.close,
    };
  } catch (err) {
    await host.close();
    throw err;
  }
}

/**
 * The test suite's self-signed key pair for 127.0.0.1 (TEST_TLS in test/fakes/woocommerce.ts),
 * read from that file so the bench carries no key material of its own.
 */
export function testTls() {
  const text = fs.readFileSync(path.join(root, 'test/fakes/woocommerce.ts'), 'utf8');
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(text)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(text)?.[0];
  if (!key || !cert) throw new Error('test/fakes/woocommerce.ts: TEST_TLS key pair not found');
  return { key, cert };
}
