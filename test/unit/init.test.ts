import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FILE, envNames, SOURCE_TYPES, starterConfig, STORE_TYPES } from '../../src/cli/commands/init.js';
import { loadConfig } from '../../src/config/load.js';
import { SECRET_KEYS } from '../../src/config/schema.js';
import { ConfigError } from '../../src/domain/errors.js';

function writeStarter(sources: string[], store: string, format: 'yaml' | 'json'): { file: string; text: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-init-'));
  const file = path.join(dir, DEFAULT_FILE[format]);
  const text = starterConfig(sources, store, format);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { file, text };
}

/** Every secret-looking value in the loaded config, by path. */
function secretValues(value: unknown, at: string[] = []): Array<[string, string]> {
  if (typeof value === 'string') {
    const key = at[at.length - 1] ?? '';
    return SECRET_KEYS.has(key) || at.includes('headers') ? [[at.join('.'), value]] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => secretValues(v, [...at, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => secretValues(v, [...at, k]));
  return [];
}

describe('invsync init: the starter config', () => {
  it('knows every source and store type of the config schema', () => {
    expect(SOURCE_TYPES).toEqual(['csv', 'json', 'dropshipzone', 'inventree', 'netsuite', 'ledger']);
    expect(STORE_TYPES).toEqual(['woocommerce', 'shift4shop', 'magento2', 'shopify', 'bigcommerce', 'medusa', 'vendure', 'amazon']);
  });

  for (const format of ['yaml', 'json'] as const) {
    it(`validates as written (${format}) for every source × store combination, every secret an \${ENV} reference`, async () => {
      for (const source of SOURCE_TYPES) {
        for (const store of STORE_TYPES) {
          const { file, text } = writeStarter([source], store, format);
          const names = envNames(format === 'yaml' ? text.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n') : text);
          const env = Object.fromEntries(names.map((n) => [n, `VALUE_OF_${n}`]));
          const loaded = await loadConfig({ explicitPath: file, env }).catch((err: Error) => {
            throw new Error(`${source} × ${store} (${format}): ${err.message}`);
          });
          expect([source, store, loaded.config.sources[0]!.type, loaded.config.store!.type]).toEqual([source, store, source, store]);
          const secrets = secretValues({ sources: loaded.config.sources, store: loaded.config.store });
          expect(secrets.length).toBeGreaterThan(source === 'csv' || source === 'ledger' ? 0 : 1);
          for (const [where, value] of secrets) expect([source, store, where, value]).toEqual([source, store, where, expect.stringContaining('VALUE_OF_')]);
          expect(loaded.warnings).toEqual([]);
        }
      }
    });
  }

  it('a secret variable left unset is a config error naming it (nothing literal to fall back on)', async () => {
    const { file } = writeStarter(['dropshipzone'], 'shopify', 'yaml');
    const err = await loadConfig({ explicitPath: file, env: { SHOPIFY_ACCESS_TOKEN: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('sources.0.password: environment variable DSZ_PASSWORD is not set');
  });

  it('the YAML is commented: it says what to do next, which variables to set, and explains the keys', () => {
    const text = starterConfig(['csv', 'dropshipzone'], 'woocommerce', 'yaml');
    expect(text).toMatch(/^# invsync configuration \(csv \+ dropshipzone → woocommerce\)/);
    expect(text).toContain('#   DSZ_PASSWORD WC_KEY WC_SECRET');
    expect(text).toContain('invsync check');
    expect(text).toMatch(/# A SKU offered by several sources: sum \| min \| max \| priority\.\n {2}aggregate: sum/);
    expect(text).toMatch(/^# notify:$/m);
    expect(text.split('\n').filter((l) => l.trim().startsWith('#')).length).toBeGreaterThan(20);
  });

  it('amazon: the starter config does not suggest rateLimit or concurrency, which its usage plans replace', () => {
    const amazon = starterConfig(['csv'], 'amazon', 'yaml');
    expect(amazon).not.toMatch(/# rateLimit: \{|# concurrency: 1/);
    expect(amazon).toContain("# The request rate follows Amazon's usage plans per operation; rateLimit and concurrency do not apply.");
    expect(starterConfig(['csv'], 'woocommerce', 'yaml')).toContain('# rateLimit: { perSecond: 5 }');
  });

  it('several sources of one type get distinct names; an unknown type is a usage error listing the known ones', async () => {
    const { file } = writeStarter(['csv', 'csv', 'json'], 'woocommerce', 'yaml');
    const loaded = await loadConfig({ explicitPath: file, env: { SUPPLIER_TOKEN: 't', WC_KEY: 'k', WC_SECRET: 's' } });
    expect(loaded.config.sources.map((s) => s.name)).toEqual(['feed', 'feed2', 'api']);
    expect(() => starterConfig(['ftp'], 'woocommerce', 'yaml')).toThrow('--source: unknown type "ftp" (one of: csv, json, dropshipzone, inventree, netsuite, ledger)');
    expect(() => starterConfig(['csv'], 'prestashop', 'yaml')).toThrow(/--store: unknown type "prestashop"/);
  });
});
