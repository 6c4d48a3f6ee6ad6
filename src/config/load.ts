import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import type { z } from 'zod';
import { ConfigError } from '../domain/errors.js';
import { registerSecret, registerUrlSecrets } from '../lib/redact.js';
import { loadMatchExtras } from '../pipeline/rules/load.js';
import { loadRewrites } from '../pipeline/sku-map.js';
import { stateKey } from '../state/state-key.js';
import { describeConfigSyntaxError } from './parse-error.js';
import { plainHttpUses } from './plain-http.js';
import { Config, SECRET_KEYS } from './schema.js';
import { configuredStores } from './stores.js';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file the configuration came from. */
  filePath: string;
  /**
   * HMAC-SHA256 of what a plan depends on (see configChecksum), keyed by the state dir's key.
   * Computed on first read, which creates `<stateDir>/.key` when it is missing.
   */
  readonly checksum: string;
  /** Human warnings found while loading (e.g. literal secrets in a world-readable file). */
  warnings: string[];
  /**
   * What one store's plans depend on (SPEC §9): its own keys, rules and gates and the sources
   * feeding it, so editing one store does not stale another's plan. The one store of a
   * singular `store` config uses `checksum`.
   */
  storeChecksum(name: string): string;
}

const MODULE_NAME = 'invsync';

/**
 * Find (cosmiconfig, from `cwd` upwards) or read (`explicitPath`) the configuration, substitute
 * `${NAME}` environment references, validate it, and resolve relative paths against the config
 * file's directory (cron runs in $HOME, not next to the config).
 * Throws ConfigError whose message starts with the offending path (`store.url: Invalid url`).
 */
export async function loadConfig(options: { explicitPath?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    // Inside the try: creating the explorer already reads every package.json from the cwd upwards
    // (cosmiconfig's own "cosmiconfig" key), and a broken one throws with its text quoted.
    const explorer = cosmiconfig(MODULE_NAME, {
      searchStrategy: 'global',
      searchPlaces: [
        'package.json', `.${MODULE_NAME}rc`, `.${MODULE_NAME}rc.json`, `.${MODULE_NAME}rc.yaml`, `.${MODULE_NAME}rc.yml`,
        `.${MODULE_NAME}rc.js`, `.${MODULE_NAME}rc.mjs`, `${MODULE_NAME}.config.json`, `${MODULE_NAME}.config.js`, `${MODULE_NAME}.config.mjs`,
      ],
    });
    if (options.explicitPath) {
      const abs = path.resolve(options.cwd ?? process.cwd(), options.explicitPath);
      if (!fs.existsSync(abs)) throw new ConfigError(`config file not found: ${abs}`);
      found = await explorer.load(abs);
    } else {
      found = await explorer.search(options.cwd ?? process.cwd());
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read the configuration: ${readErrorText(err)}`);
  }
  if (!found || found.isEmpty || found.config == null) {
    throw new ConfigError(
      'no configuration found: pass --config <file>, or create invsync.config.json (see `invsync init`) in this directory or a parent',
    );
  }
  const filePath = found.filepath;
  const substituted = substituteEnv(found.config, env, []);
  const parsed = Config.safeParse(substituted);
  if (!parsed.success) throw new ConfigError(formatIssue(parsed.error.issues[0]!), undefined);
  const config = resolvePaths(parsed.data, path.dirname(filePath));
  registerSecrets(config);
  // The rules' files (kits, exclude, skuMap with its pack column) are checked with the rest of the
  // config, so a bad row stops `full` before it fetches anything (exit 2, nothing done); match
  // reads them again for its run.
  loadMatchExtras(config.rules);
  loadRewrites(config.sources, config.rules.skuCaseSensitive);
  const plainHttp = plainHttpUses(config);
  const refused = plainHttp.find((u) => !u.allowed);
  if (refused) {
    throw new ConfigError(`plain http:// to ${refused.host}, which may be on the Internet, where anyone on the way can read and alter the catalog and the stock writes: use https://, or set "allowInsecureHttp": true on this endpoint to accept that`, refused.path);
  }
  const warnings = [
    ...literalSecretWarnings(found.config, filePath),
    ...plainHttp.map((u) => `${u.path}: plain http:// to ${u.host} (allowInsecureHttp): the catalog and the stock writes travel unprotected`),
  ];
  let checksum: string | undefined;
  return {
    config, filePath, warnings,
    get checksum() { return (checksum ??= configChecksum(config, stateKey(config.stateDir))); },
    storeChecksum(this: LoadedConfig, name: string) {
      if (config.store) return this.checksum;
      return storeConfigChecksum(config, name, stateKey(config.stateDir));
    },
  };
}

/** `store.url: Invalid url` — the path first, so users find the value at once. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : '(config)';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    message = `${message}${issue.discriminator ? ` (unknown "${issue.discriminator}")` : ''}`;
  }
  return `${where}: ${message}`;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replace `${NAME}` in every string; an unset variable is a configuration error naming both. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, at: Array<string | number>): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        throw new ConfigError(`environment variable ${name} is not set`, at.length ? at.join('.') : '(config)');
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...at, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...at, k])]));
  }
  return value;
}

function resolvePaths(config: Config, baseDir: string): Config {
  const abs = (p: string) => path.resolve(baseDir, p);
  return {
    ...config,
    stateDir: abs(config.stateDir),
    log: { ...config.log, file: config.log.file ? abs(config.log.file) : undefined },
    rules: {
      ...config.rules,
      ...(config.rules.kits ? { kits: abs(config.rules.kits) } : {}),
      ...(config.rules.exclude && !Array.isArray(config.rules.exclude) ? { exclude: { file: abs(config.rules.exclude.file) } } : {}),
    },
    sources: config.sources.map((s) => ({
      ...s,
      ...('path' in s && typeof s.path === 'string' ? { path: abs(s.path) } : {}),
      ...(s.skuMap ? { skuMap: abs(s.skuMap) } : {}),
      ...(s.type === 'ledger' ? {
        ...(s.counts === undefined ? {} : { counts: typeof s.counts === 'string' ? abs(s.counts) : s.counts.map(abs) }),
        movements: s.movements.map((m) => (m.path === undefined ? m : { ...m, path: abs(m.path) })),
      } : {}),
    })) as Config['sources'],
  };
}

/** A syntax error names file, line, column and reason; never the parser's code frame (it shows the secrets around the error). */
function readErrorText(err: unknown): string {
  const file = (err as { filepath?: unknown })?.filepath;
  if (typeof file !== 'string') return describeConfigSyntaxError(err, '(config)', undefined);
  let text: string | undefined;
  try { text = fs.readFileSync(file, 'utf8'); } catch { text = undefined; }
  return describeConfigSyntaxError(err, file, text);
}

function registerSecrets(value: unknown, key?: string): void {
  if (typeof value === 'string') {
    // A URL named after a token (amazon `tokenUrl`) is where to ask, not a secret: masking it whole
    // would leave its errors saying `POST ***`. Its credentials, if any, are registered below.
    if (key && (SECRET_KEYS.has(key) || (/secret|password|token/i.test(key) && !/url$/i.test(key)))) registerSecret(value);
    // Feed, store and notify URLs carry credentials in userinfo and query values (`?customer=…&pw=…`).
    if (key && /url$/i.test(key)) registerUrlSecrets(value);
    return;
  }
  if (Array.isArray(value)) { value.forEach((v) => registerSecrets(v)); return; }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // Header values such as "Authorization: Bearer …" are secrets too.
      if (k === 'headers' && v && typeof v === 'object') {
        for (const hv of Object.values(v)) if (typeof hv === 'string') { registerSecret(hv); registerSecret(hv.split(' ').pop()); }
        continue;
      }
      registerSecrets(v, k);
    }
  }
}

/** A config file with literal (non-${ENV}) secrets that group/others can read draws a warning. */
function literalSecretWarnings(raw: unknown, filePath: string): string[] {
  if (process.platform === 'win32') return [];
  let mode: number;
  try { mode = fs.statSync(filePath).mode; } catch { return []; }
  if ((mode & 0o077) === 0) return [];
  const literal: string[] = [];
  const walk = (v: unknown, at: string[]) => {
    if (typeof v === 'string') {
      const key = at[at.length - 1] ?? '';
      if ((SECRET_KEYS.has(key) || at.includes('headers')) && v.length > 0 && !ENV_REF.test(v)) literal.push(at.join('.'));
      ENV_REF.lastIndex = 0;
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, String(i)]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(raw, []);
  if (literal.length === 0) return [];
  return [`${filePath} holds literal secrets (${literal.join(', ')}) and is readable by group/others: chmod 600 it, or use \${ENV} references`];
}

/**
 * What a plan depends on: sources, store, rules and safety. Monitoring settings (log, notify,
 * metrics, alerts) are left out, so editing them between match and push does not stale a plan.
 * NOTE: keyed (HMAC), because the input holds the secrets after `${ENV}` substitution: a plain
 * hash stored in the database and in plan files would let anyone holding a copy and the config
 * template test password guesses offline (REVIEW #14).
 */
export function storeConfigChecksum(config: Config, name: string, key: Buffer): string {
  const setup = configuredStores(config).find((s) => s.name === name);
  const sources = config.sources.filter((s) => setup?.sources.includes(s.name));
  return crypto.createHmac('sha256', key).update(JSON.stringify({ stateDir: config.stateDir, sources, setup })).digest('hex');
}

export function configChecksum(config: Config, key: Buffer): string {
  const { stateDir, sources, store, rules, safety } = config;
  return crypto.createHmac('sha256', key).update(JSON.stringify({ stateDir, sources, store, rules, safety })).digest('hex');
}
